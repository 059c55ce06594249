using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace OpenSslTls;

/// <summary>What the host lends a <see cref="TlsModule"/>: logging, clock, metrics and the free-memory probe.</summary>
public sealed class TlsModuleHostOptions
{
    /// <summary>Where the module logs; none when null.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The clock for idle timeouts and handshake durations (tests pass a fake one).</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Creates the module's <see cref="Meter"/>; the default creates a plain <c>OpenSslTls</c> meter.</summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Returns the memory available to the process in kilobytes, compared with low_mem_threshold1/2. The default
    /// reads what .NET reports (<see cref="GC.GetGCMemoryInfo()"/>: total available minus the current load).
    /// </summary>
    public Func<long> AvailableMemoryKilobytes { get; set; } = DefaultAvailableMemoryKilobytes;

    /// <summary>How long a reading of <see cref="AvailableMemoryKilobytes"/> is reused before probing again.</summary>
    public TimeSpan MemoryProbeInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// True for a host that only opens outgoing connections (a SIP client, <c>openssltls send</c>): a tls.cfg without
    /// <c>[server:default]</c> then gets none, instead of Kamailio's built-in one that loads <c>cert.pem</c> from the
    /// main configuration directory, so a client-only tls.cfg needs no server certificate. Declared server profiles are
    /// still built. <see cref="TlsModule.AcceptConnection"/> throws <see cref="InvalidOperationException"/> when no
    /// server profile applies. Default false (Kamailio always starts servers).
    /// </summary>
    public bool ClientOnly { get; set; }

    private static long DefaultAvailableMemoryKilobytes()
    {
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        return Math.Max(0, info.TotalAvailableMemoryBytes - info.MemoryLoadBytes) / 1024;
    }
}
