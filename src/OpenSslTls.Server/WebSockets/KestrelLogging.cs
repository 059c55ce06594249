using Microsoft.Extensions.Logging;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// serve's logger factory as Kestrel's: ASP.NET Core's own categories (<c>Microsoft.*</c>: a line per HTTP request,
/// "Now listening on http://…" for a listener whose TLS Kestrel does not know of) only from warnings up, unless serve
/// logs at debug or trace; the listener's own lines say what an operator needs.
/// </summary>
internal sealed class KestrelLogging(ILoggerFactory inner, LogLevel serveLevel) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        ILogger logger = inner.CreateLogger(categoryName);
        return serveLevel > LogLevel.Debug && categoryName.StartsWith("Microsoft.", StringComparison.Ordinal) ? new AtLeast(logger, LogLevel.Warning) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    /// <summary>Nothing to dispose: the factory is serve's.</summary>
    public void Dispose()
    {
    }

    private sealed class AtLeast(ILogger inner, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
