using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using OpenSslTls.Module;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Runtime;

/// <summary>The module logs under one category per area (issue 19.5), all under the library's name.</summary>
public sealed class TlsModuleLogCategoryTests : NativeLeakCheck
{
    [Fact]
    public void Each_area_logs_under_its_own_category()
    {
        var collector = new FakeLogCollector();
        using var factory = LoggerFactory.Create(builder => builder.AddProvider(new FakeLoggerProvider(collector)).SetMinimumLevel(LogLevel.Trace));
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using (TlsModule module = TlsModule.Create(
            config.Options(o =>
            {
                o.KeylogMode = 1 | 2 | 4; // key log lines into the log: written by the profiles
                o.XavpConfig = "tls"; // a parameter without effect here: noted by the configuration
            }),
            new TlsModuleHostOptions { LoggerFactory = factory }))
        {
            using (var pair = new TlsPair(module.AcceptConnection(TlsConfigFile.Local, TlsConfigFile.Remote), module.OpenConnection(TlsConfigFile.Local)))
            {
                Assert.True(pair.Handshake());
            }

            Assert.True(module.Reload().Succeeded);
        }

        IReadOnlyList<FakeLogRecord> records = collector.GetSnapshot();
        void Has(string category, string text) => Assert.True(
            records.Any(r => r.Category == category && r.Message.Contains(text, StringComparison.Ordinal)),
            $"no '{text}' under {category}:\n{string.Join("\n", records.Select(r => $"{r.Category}: {r.Message}"))}");
        Has(TlsLogCategories.Connections, "TLS connection 1 (Server) with 127.0.0.1:40000: TLSv1.3");
        Has(TlsLogCategories.Connections, "TLS connection 1 created");
        Has(TlsLogCategories.Connections, "TLS connection 1 released");
        Has(TlsLogCategories.Module, "TLS profiles reloaded: generation 2");
        Has(TlsLogCategories.Configuration, "xavp_cfg=tls has no effect here");
        Has(TlsLogCategories.Configuration, "TLS key logging is ON");
        Has(TlsLogCategories.Profiles, "tlskeylog: ");
        Assert.All(records, r => Assert.StartsWith(TlsLogCategories.Prefix + ".", r.Category, StringComparison.Ordinal));
        Assert.Equal(
            ["OpenSslTls.Configuration", "OpenSslTls.Connections", "OpenSslTls.Module", "OpenSslTls.OpenSsl", "OpenSslTls.Profiles"],
            new[] { TlsLogCategories.Configuration, TlsLogCategories.Connections, TlsLogCategories.Module, TlsLogCategories.OpenSsl, TlsLogCategories.Profiles });
    }
}
