using Microsoft.Extensions.Logging;
using OpenSslTls.Errors;

namespace OpenSslTls.OpenSsl;

/// <summary>Decides whether the loaded OpenSSL may be used with bindings generated from another version.</summary>
internal static partial class VersionGate
{
    /// <summary>
    /// Whether bindings generated from <paramref name="bindings"/> may call <paramref name="runtime"/> without
    /// <c>tls_force_run</c>: the same major and a minor at least the bindings'. OpenSSL 3 keeps its ABI stable
    /// within a major (a later minor only adds symbols), so 3.0 bindings work on 3.0 to 3.x; an older minor may lack
    /// functions the bindings call, and another major is another ABI.
    /// </summary>
    internal static bool Accepts(OpenSslVersion runtime, OpenSslVersion bindings) =>
        runtime.Major == bindings.Major && runtime.Minor >= bindings.Minor;

    /// <summary>
    /// Accepts a runtime <see cref="Accepts"/> allows; otherwise throws <see cref="OpenSslVersionException"/> unless
    /// <paramref name="forceRun"/>, in which case it logs a warning and accepts (Kamailio's <c>tls_force_run</c>).
    /// </summary>
    internal static void Check(OpenSslVersion runtime, OpenSslVersion bindings, bool forceRun, ILogger? logger)
    {
        if (Accepts(runtime, bindings))
        {
            return;
        }

        if (!forceRun)
        {
            throw new OpenSslVersionException(
                $"The loaded OpenSSL is {runtime} but OpenSslTls was generated from OpenSSL {bindings.Major}.{bindings.Minor} " +
                $"and supports OpenSSL {bindings.Major}.{bindings.Minor} to {bindings.Major}.x; refusing to start. Install " +
                $"OpenSSL {bindings.Major}.{bindings.Minor} or later {bindings.Major}.x, or set tls_force_run to start " +
                "anyway at your own risk.");
        }

        if (logger is not null)
        {
            LogForcedRun(logger, runtime.ToString(), $"{bindings.Major}.{bindings.Minor}", $"{bindings.Major}.x");
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "tls_force_run: starting on OpenSSL {Runtime} although the bindings were generated from OpenSSL {Bindings} and support {Bindings} to {Supported}")]
    private static partial void LogForcedRun(ILogger logger, string runtime, string bindings, string supported);
}
