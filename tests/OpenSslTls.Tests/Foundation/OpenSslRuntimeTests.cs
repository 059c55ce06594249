using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Interop;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Tests.Foundation;

public sealed class OpenSslRuntimeTests
{
    [Fact]
    public void Loads_OpenSSL_and_reports_a_version_the_gate_accepts()
    {
        OpenSslRuntime.EnsureInitialized();

        Assert.True(OpenSslRuntime.IsInitialized);
        Assert.True(VersionGate.Accepts(OpenSslRuntime.Version, OpenSslRuntime.BindingsVersion),
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

    /// <summary>OpenSSL_version_num() values of releases the 3.0 bindings must run on without tls_force_run.</summary>
    [Theory]
    [InlineData(0x30000000UL, "3.0.0")]
    [InlineData(0x30000130UL, "3.0.19")]
    [InlineData(0x30200010UL, "3.2.1")]
    [InlineData(0x30500090UL, "3.5.9")]
    [InlineData(0x3FF000F0UL, "3.255.15")]
    public void Every_OpenSSL_3_from_the_bindings_minor_on_is_accepted_silently(ulong number, string version)
    {
        var logger = new FakeLogger();
        var runtime = OpenSslVersion.FromNumber(number);

        VersionGate.Check(runtime, new OpenSslVersion(3, 0, 0), forceRun: false, logger);

        Assert.Equal(version, runtime.ToString());
        Assert.Empty(logger.Collector.GetSnapshot());
    }

    /// <summary>Other majors (1.1.1w, a future 4.0.0) and a minor older than the bindings' (3.0 under 3.2 bindings).</summary>
    [Theory]
    [InlineData(0x1010117fUL, 3, 0, "1.1.")]
    [InlineData(0x40000000UL, 3, 0, "4.0.0")]
    [InlineData(0x30000130UL, 3, 2, "3.0.19")]
    public void Another_major_or_an_older_minor_refuses_to_start_without_tls_force_run(
        ulong number, int bindingsMajor, int bindingsMinor, string version)
    {
        var bindings = new OpenSslVersion(bindingsMajor, bindingsMinor, 0);
        var runtime = OpenSslVersion.FromNumber(number);

        var error = Assert.Throws<OpenSslVersionException>(() => VersionGate.Check(runtime, bindings, forceRun: false, logger: null));

        Assert.IsAssignableFrom<TlsException>(error);
        Assert.Contains(version, error.Message, StringComparison.Ordinal);
        Assert.Contains($"{bindingsMajor}.{bindingsMinor}", error.Message, StringComparison.Ordinal);
        Assert.Contains("tls_force_run", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0x1010117fUL, "1.1.")]
    [InlineData(0x40000000UL, "4.0.0")]
    public void Another_major_starts_with_tls_force_run_and_logs_a_warning(ulong number, string version)
    {
        var logger = new FakeLogger();

        VersionGate.Check(OpenSslVersion.FromNumber(number), new OpenSslVersion(3, 0, 0), forceRun: true, logger);

        FakeLogRecord record = Assert.Single(logger.Collector.GetSnapshot());
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Contains(version, record.Message, StringComparison.Ordinal);
        Assert.Contains("tls_force_run", record.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Library_overrides_after_loading_are_refused_with_a_clear_message()
    {
        OpenSslRuntime.EnsureInitialized();

        var error = Assert.Throws<InvalidOperationException>(() => NativeLibraryLoader.SetOverrides("/nonexistent/libssl.so.3", null));

        Assert.Contains("already loaded", error.Message, StringComparison.Ordinal);
    }
}
