using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenSslTls.SipEndpoint.Certificates;
using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary><c>openssltls serve</c>: builds the server profile from the command line and runs the endpoint until stopped.</summary>
internal static class ServeCommand
{
    /// <summary>Runs until <paramref name="stop"/> fires, then closes every connection and returns <see cref="ExitCodes.Success"/>.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter errors, CancellationToken stop)
    {
        ArgumentNullException.ThrowIfNull(errors);
        ServeSettings settings;
        try
        {
            settings = ServeSettings.Parse(args);
        }
        catch (CommandLineException e)
        {
            await errors.WriteLineAsync($"openssltls serve: {e.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        using ILoggerFactory loggers = ConsoleLogging.Create(settings.LogLevel);
        ILogger log = loggers.CreateLogger("openssltls");
        TlsProfile profile;
        try
        {
            (string certificate, string key) = ResolveCertificate(settings, log);
            var runtime = new TlsRuntimeParameters { SendCloseNotify = settings.SendCloseNotify };
            profile = TlsProfile.Create(
                TlsRole.Server,
                new TlsProfileSettings
                {
                    Certificate = certificate,
                    PrivateKey = key,
                    CaList = settings.CaList,
                    VerifyClient = settings.VerifyClient,
                },
                new TlsTuning(),
                runtime,
                loggers.CreateLogger("OpenSslTls"),
                "server:default");
        }
        catch (Exception e) when (e is OpenSslException or InvalidOperationException or IOException or UnauthorizedAccessException or DllNotFoundException)
        {
            CommandLog.CannotStart(log, e.Message);
            return ExitCodes.Failure;
        }

        using (profile)
        {
            CommandLog.TlsPolicy(log, KamailioName(settings.VerifyClient), settings.CaList ?? "-", settings.SendCloseNotify ? "on" : "off");
            SipTlsServer server;
            try
            {
                server = SipTlsServer.Start(profile, new SipTlsServerOptions { ListenEndpoints = settings.Listen }, loggers);
            }
            catch (SocketException e)
            {
                CommandLog.CannotStart(log, $"cannot listen on {string.Join(", ", settings.Listen)}: {e.Message}");
                return ExitCodes.Failure;
            }

            CommandLog.Running(log, OpenSslRuntime.Version.ToString());
            try
            {
                await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The stop request: fall through to a graceful shutdown.
            }

            await server.StopAsync().ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    /// <summary>The tls.cfg spelling of a verify_client mode, as operators know it.</summary>
    private static string KamailioName(VerifyClientMode mode) => mode switch
    {
        VerifyClientMode.On => "on",
        VerifyClientMode.Optional => "optional",
        VerifyClientMode.OptionalNoCa => "optional_no_ca",
        _ => "off",
    };

    private static (string Certificate, string PrivateKey) ResolveCertificate(ServeSettings settings, ILogger log)
    {
        if (settings.Certificate is not null && settings.PrivateKey is not null)
        {
            CommandLog.UsingCertificate(log, settings.Certificate, settings.PrivateKey);
            return (settings.Certificate, settings.PrivateKey);
        }

        string directory = Path.GetFullPath(settings.DataDirectory ?? DataDirectory.ResolveDefault(Environment.GetEnvironmentVariable));
        string? warning = DataDirectory.Prepare(directory);
        CommandLog.DataDirectory(log, directory);
        if (warning is not null)
        {
            CommandLog.DataDirectoryWarning(log, warning);
        }

        SelfSignedFiles files = SelfSignedCertificate.Ensure(directory);
        if (files.Created)
        {
            CommandLog.CreatedSelfSigned(log, SelfSignedCertificate.ValidityDays, files.Certificate, files.PrivateKey);
        }
        else
        {
            CommandLog.UsingCertificate(log, files.Certificate, files.PrivateKey);
        }

        return (files.Certificate, files.PrivateKey);
    }
}
