using OpenSslTls.Tests.Support;
using Xunit.Sdk;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// A missing prerequisite skips under a plain <c>dotnet test</c> and fails under <c>./build.sh test</c>
/// (<see cref="Prerequisites.Variable"/>=1). In the process-wide collection: it sets an environment variable.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class PrerequisitesTests : IDisposable
{
    private readonly string? _saved = Environment.GetEnvironmentVariable(Prerequisites.Variable);

    [Fact]
    public void A_missing_prerequisite_fails_the_test_when_all_are_required()
    {
        Environment.SetEnvironmentVariable(Prerequisites.Variable, "1");

        var error = Assert.ThrowsAny<XunitException>(() => Prerequisites.Require(false, "softhsm2 is not installed"));

        Assert.Contains("softhsm2 is not installed", error.Message, StringComparison.Ordinal);
        Assert.Contains(Prerequisites.Variable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_prerequisite_skips_the_test_with_its_reason_otherwise()
    {
        Environment.SetEnvironmentVariable(Prerequisites.Variable, null);

        var skip = Assert.Throws<Xunit.SkipException>(() => Prerequisites.Require(false, "softhsm2 is not installed"));

        Assert.StartsWith("softhsm2 is not installed", skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_present_prerequisite_neither_skips_nor_fails()
    {
        Environment.SetEnvironmentVariable(Prerequisites.Variable, "1");

        Prerequisites.Require(true, "never shown");
    }

    public void Dispose() => Environment.SetEnvironmentVariable(Prerequisites.Variable, _saved);
}
