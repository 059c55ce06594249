using Microsoft.Extensions.Logging;

namespace OpenSslTls.Module;

/// <summary>Kamailio's numeric log levels (<c>tls_log</c>, <c>tls_debug</c>) mapped onto <see cref="LogLevel"/>.</summary>
public static class KamailioLogLevels
{
    /// <summary>
    /// L_ALERT (-5) … L_CRIT (-2) → Critical, L_ERR (-1) → Error, L_WARN (0) → Warning, L_NOTICE (1) and L_INFO (2)
    /// → Information, L_DBG (3) and above → Debug.
    /// </summary>
    public static LogLevel ToLogLevel(int kamailioLevel) => kamailioLevel switch
    {
        <= -2 => LogLevel.Critical,
        -1 => LogLevel.Error,
        0 => LogLevel.Warning,
        1 or 2 => LogLevel.Information,
        _ => LogLevel.Debug,
    };
}
