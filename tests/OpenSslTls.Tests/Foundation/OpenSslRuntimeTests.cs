using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Interop;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Tests.Foundation;

public sealed class OpenSslRuntimeTests
{
    [Fact]
    public void Loads_OpenSSL_and_reports_a_version_matching_the_bindings()
    {
        OpenSslRuntime.EnsureInitialized();

        Assert.True(OpenSslRuntime.IsInitialized);
        Assert.True(OpenSslRuntime.Version.IsAbiCompatibleWith(OpenSslRuntime.BindingsVersion),
            $"runtime {OpenSslRuntime.Version} vs bindings {OpenSslRuntime.BindingsVersion}");
        Assert.Equal(3, OpenSslRuntime.Version.Major);
    }

    [Fact]
    public void Build_info_names_the_loaded_libraries_and_the_version_text()
    {
        OpenSslBuildInfo info = OpenSslRuntime.GetBuildInfo();

        Assert.StartsWith("OpenSSL " + OpenSslRuntime.Version, info.VersionText, StringComparison.Ordinal);
        Assert.Contains("libcrypto", info.LibCryptoPath, StringComparison.Ordinal);
        Assert.Contains("libssl", info.LibSslPath, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(info.OpenSslDirectory));
    }

    [Fact]
    public void Version_numbers_decode_as_OpenSSL_3_encodes_them()
    {
        // 0xMNN00PP0L: 3.0.22 release.
        Assert.Equal(new OpenSslVersion(3, 0, 22), OpenSslVersion.FromNumber(0x30000160UL));
        Assert.Equal(new OpenSslVersion(3, 2, 1), OpenSslVersion.FromNumber(0x30200010UL));
    }

    [Fact]
    public void A_different_major_minor_refuses_to_start_without_tls_force_run()
    {
        var bindings = new OpenSslVersion(3, 0, 0);
        var runtime = OpenSslVersion.FromNumber(0x1010117fUL); // 1.1.1w

        var error = Assert.Throws<OpenSslException>(() => VersionGate.Check(runtime, bindings, forceRun: false, logger: null));

        Assert.Contains("1.1", error.Message, StringComparison.Ordinal);
        Assert.Contains("tls_force_run", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_different_major_minor_starts_with_tls_force_run_and_logs_a_warning()
    {
        var logger = new FakeLogger();
        var bindings = new OpenSslVersion(3, 0, 0);

        VersionGate.Check(new OpenSslVersion(3, 2, 0), bindings, forceRun: true, logger);

        FakeLogRecord record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains("3.2.0", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_patch_level_of_the_same_minor_is_accepted_silently()
    {
        var logger = new FakeLogger();

        VersionGate.Check(new OpenSslVersion(3, 0, 99), new OpenSslVersion(3, 0, 0), forceRun: false, logger);

        Assert.Empty(logger.Collector.GetSnapshot());
    }

    [Fact]
    public void Library_overrides_after_loading_are_refused_with_a_clear_message()
    {
        OpenSslRuntime.EnsureInitialized();

        var error = Assert.Throws<InvalidOperationException>(() => NativeLibraryLoader.SetOverrides("/nonexistent/libssl.so.3", null));

        Assert.Contains("already loaded", error.Message, StringComparison.Ordinal);
    }
}
