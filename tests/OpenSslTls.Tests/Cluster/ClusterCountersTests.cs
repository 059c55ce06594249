using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenSslTls.Interop;
using OpenSslTls.Module;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Runtime;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Cluster;

/// <summary>
/// <c>tls.info</c>'s cluster part and the <c>openssltls.cluster.*</c> instruments read the ring and the session store
/// the host gave the module; without either they are absent.
/// </summary>
public sealed class ClusterCountersTests
{
    [Fact]
    public void Tls_info_and_the_metrics_show_cluster_hits_misses_key_generations_and_store_errors()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using var meters = new ScopedMeterFactory();
        using var ring = new TlsTicketKeyRing();
        var store = new MemoryStore();
        using TlsModule module = TlsModule.Create(config.Options(o => o.SessionCache = true), new TlsModuleHostOptions { MeterFactory = meters, TicketKeys = ring, SessionStore = store });
        using var resumptions = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.cluster.resumptions");
        using var generations = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.cluster.key_generation");
        using var errors = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.cluster.store.errors");

        ring.Rotate();
        ring.Rotate();
        ring.CountStoreError();
        ISessionCacheProvider cache = store;
        cache.Add([1], [2], [3], TimeSpan.FromMinutes(1));
        Assert.NotNull(cache.Find([1], [2]));
        Assert.Null(cache.Find([1], [9]));
        Assert.Null(cache.Find([1], [8]));

        TlsClusterInfo cluster = Assert.IsType<TlsClusterInfo>(module.Info().Cluster);
        Assert.Equal(new TlsClusterInfo(0, 0, 2, 2, 1, 2, 1, 1 + MemoryStore.Errors), cluster);
        Assert.Contains("\"cluster\"", TlsAdminJson.Serialize(module.Info()), StringComparison.Ordinal);
        Assert.Contains("\"session_misses\": 2", TlsAdminJson.Serialize(module.Info()), StringComparison.Ordinal);

        resumptions.RecordObservableInstruments();
        generations.RecordObservableInstruments();
        errors.RecordObservableInstruments();
        Assert.Equal(2, resumptions.GetMeasurementSnapshot().Last(m => (string?)m.Tags["openssltls.cluster.kind"] == "session_id" && (string?)m.Tags["openssltls.cluster.outcome"] == "miss").Value);
        Assert.Equal(1, resumptions.GetMeasurementSnapshot().Last(m => (string?)m.Tags["openssltls.cluster.kind"] == "session_id" && (string?)m.Tags["openssltls.cluster.outcome"] == "hit").Value);
        Assert.Equal(2, generations.LastMeasurement!.Value);
        Assert.Equal(1 + MemoryStore.Errors, errors.LastMeasurement!.Value);
    }

    [Fact]
    public void Without_shared_keys_or_store_there_is_no_cluster_part_and_no_cluster_instrument()
    {
        using var config = new TlsConfigFile();
        config.WriteDefault();
        using var meters = new ScopedMeterFactory();
        using TlsModule module = TlsModule.Create(config.Options(), new TlsModuleHostOptions { MeterFactory = meters });
        using var resumptions = new MetricCollector<long>(meters, "OpenSslTls", "openssltls.cluster.resumptions");
        Assert.Null(module.Info().Cluster);
        Assert.DoesNotContain("cluster", TlsAdminJson.Serialize(module.Info()), StringComparison.Ordinal);
        resumptions.RecordObservableInstruments();
        Assert.Empty(resumptions.GetMeasurementSnapshot());
    }

    private sealed class MemoryStore : TlsSessionStore
    {
        internal const long Errors = 5;
        private readonly Dictionary<string, byte[]> _sessions = [];

        public override long StoreErrors => Errors;

        protected override void Store(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> session, TimeSpan lifetime) =>
            _sessions[Convert.ToHexString(sessionIdContext) + Convert.ToHexString(sessionId)] = session.ToArray();

        protected override byte[]? Find(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId) =>
            _sessions.TryGetValue(Convert.ToHexString(sessionIdContext) + Convert.ToHexString(sessionId), out byte[]? session) ? [.. session] : null;

        protected override void Delete(ReadOnlySpan<byte> sessionIdContext, ReadOnlySpan<byte> sessionId) =>
            _sessions.Remove(Convert.ToHexString(sessionIdContext) + Convert.ToHexString(sessionId));
    }
}
