namespace OpenSslTls.Tests.Support;

/// <summary>
/// What a test needs from the machine (the shared Kamailio fixtures, SoftHSM2, gcc...). A developer's plain
/// <c>dotnet test</c> skips a test whose prerequisite is missing, saying which; under <c>./build.sh test</c> and CI,
/// which export <see cref="Variable"/>=1 after installing every prerequisite, a missing one fails the test instead, so
/// such tests can never be skipped unseen where they are meant to run.
/// </summary>
public static class Prerequisites
{
    /// <summary>Set to 1 by build.sh test: every prerequisite must be present.</summary>
    public const string Variable = "OPENSSLTLS_REQUIRE_ALL";

    /// <summary>Whether a missing prerequisite fails the test instead of skipping it.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(Variable) is "1" or "true" or "yes";

    /// <summary>Skips (or, when <see cref="Required"/>, fails) the running test unless <paramref name="present"/>.</summary>
    public static void Require(bool present, string missing)
    {
        if (present)
        {
            return;
        }

        if (Required)
        {
            Assert.Fail($"{missing} ({Variable}=1: ./build.sh test and CI must run this test; ./build.sh setup test installs what it needs)");
        }

        Skip.If(true, $"{missing} (skipped; with {Variable}=1, as in ./build.sh test, this fails)");
    }

    /// <summary>The shared Kamailio fixtures (../shared/fixtures beside the checkout): the directory, or skip/fail.</summary>
    public static string SharedFixtures()
    {
        string? directory = RepositoryPaths.SharedFixtures;
        Require(directory is not null, $"the shared Kamailio fixtures ({Path.GetFullPath(Path.Combine(RepositoryPaths.Root, "..", "shared", "fixtures"))}) are not present");
        return directory!;
    }

    /// <summary>One shared fixture file: its path, or skip/fail.</summary>
    public static string SharedFixture(string name)
    {
        string path = Path.Combine(SharedFixtures(), name);
        Require(File.Exists(path), $"the shared fixture {path} is not present");
        return path;
    }
}
