using Microsoft.Extensions.Logging;
using OpenSslTls.Errors;

namespace OpenSslTls.OpenSsl;

/// <summary>Decides whether the loaded OpenSSL may be used with bindings generated from another version.</summary>
internal static partial class VersionGate
{
    /// <summary>
    /// Accepts a runtime whose major.minor equals the bindings'; otherwise throws unless <paramref name="forceRun"/>,
    /// in which case it logs a warning and accepts. Patch levels never matter (OpenSSL keeps the ABI within a minor).
    /// </summary>
    internal static void Check(OpenSslVersion runtime, OpenSslVersion bindings, bool forceRun, ILogger? logger)
    {
        if (runtime.IsAbiCompatibleWith(bindings))
        {
            return;
        }

        if (!forceRun)
        {
            throw new OpenSslException(
                $"The loaded OpenSSL is {runtime.Major}.{runtime.Minor} ({runtime}) but OpenSslTls was generated from OpenSSL " +
                $"{bindings.Major}.{bindings.Minor}; refusing to start. Install OpenSSL {bindings.Major}.{bindings.Minor} or set " +
                "tls_force_run to start anyway at your own risk.");
        }

        if (logger is not null)
        {
            LogForcedRun(logger, runtime.ToString(), $"{bindings.Major}.{bindings.Minor}");
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "tls_force_run: starting on OpenSSL {Runtime} although the bindings were generated from OpenSSL {Bindings}")]
    private static partial void LogForcedRun(ILogger logger, string runtime, string bindings);
}
