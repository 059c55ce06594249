using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;
using OpenSslTls.Module;

namespace OpenSslTls.Extensions.Hosting;

/// <summary>
/// Runs the module with the host: at start it creates the <see cref="TlsModule"/> (so a profile that cannot load, a
/// missing file or a bad key stops the host with every error), starts the idle sweep and follows option changes; at
/// stop it stops both. A change reloads the profiles (<see cref="TlsModule.Reload(TlsModuleOptions)"/>): connections
/// made before keep theirs; a change with errors is refused, the running profiles stay, and every error is logged.
/// </summary>
internal sealed partial class TlsModuleHostedService(
    IServiceProvider services,
    IOptionsMonitor<TlsModuleOptions> monitor,
    IOptions<TlsHostingOptions> hosting,
    TlsOptionsBinding binding,
    ILoggerFactory? loggers = null) : IHostedService, IDisposable
{
    /// <summary>The category of this service's own messages (refused changes).</summary>
    internal const string LogCategory = "OpenSslTls.Hosting";

    private readonly ILogger _logger = loggers?.CreateLogger(LogCategory) ?? NullLogger.Instance;
    private readonly Lock _gate = new();
    private TlsModule? _module;
    private TlsModuleOptions? _applied;
    private IDisposable? _sweeper;
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        TlsModule module = services.GetRequiredService<TlsModule>();
        lock (_gate)
        {
            _module = module;
            _applied = monitor.CurrentValue;
            TimeSpan interval = hosting.Value.IdleSweepInterval;
            if (interval > TimeSpan.Zero && interval != Timeout.InfiniteTimeSpan)
            {
                _sweeper = module.StartIdleSweeper(interval);
            }

            binding.Started = true;
            _subscription = monitor.OnChange(OnChange);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    public void Dispose() => Stop();

    private void Stop()
    {
        lock (_gate)
        {
            _subscription?.Dispose();
            _subscription = null;
            _sweeper?.Dispose();
            _sweeper = null;
            _module = null;
        }
    }

    private void OnChange(TlsModuleOptions options, string? name)
    {
        if (name is not null && name != Options.DefaultName)
        {
            return;
        }

        lock (_gate)
        {
            if (_module is not { } module)
            {
                return;
            }

            // Any change of the configuration signals every section; without a tls.cfg to re-read, equal options need no
            // new profiles (a reload would rebuild every context for nothing).
            if (_applied is { } applied && string.IsNullOrEmpty(options.Config) && Same(applied, options))
            {
                return;
            }

            List<string> problems = binding.Problems(options);
            if (problems.Count > 0)
            {
                LogChangeRefused(_logger, problems.Count, string.Join("; ", problems));
                return;
            }

            // The module logs the outcome itself (OpenSslTls.Module): the new generation, or every error and that the
            // running profiles stay.
            if (module.Reload(options).Succeeded)
            {
                _applied = options;
            }
        }
    }

    private static bool Same(TlsModuleOptions a, TlsModuleOptions b) =>
        TlsModuleOptionsReader.ToModparams(a) == TlsModuleOptionsReader.ToModparams(b)
        && a.MainConfigDirectory == b.MainConfigDirectory
        && a.MaxClientHelloBytes == b.MaxClientHelloBytes
        && a.Profiles.SequenceEqual(b.Profiles);

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "TLS configuration change refused, the running profiles stay: {Count} errors: {Errors}")]
    private static partial void LogChangeRefused(ILogger logger, int count, string errors);
}
