using Microsoft.Extensions.Logging;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>The console logger every command uses: one line per entry with a timestamp, on standard output.</summary>
internal static class ConsoleLogging
{
    public static readonly IReadOnlyCollection<string> LevelNames = ["trace", "debug", "information", "warning", "error"];

    /// <summary>Maps <c>--log-level</c> to a level; throws <see cref="CommandLineException"/> for anything else.</summary>
    public static LogLevel ParseLevel(string? text) => text?.ToLowerInvariant() switch
    {
        null => LogLevel.Information,
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        _ => throw new CommandLineException($"--log-level '{text}': use one of {string.Join(", ", LevelNames)}"),
    };

    public static ILoggerFactory Create(LogLevel minimumLevel) =>
        LoggerFactory.Create(builder => builder
            .SetMinimumLevel(minimumLevel)
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            }));
}
