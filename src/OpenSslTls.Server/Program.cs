using System.Reflection;
using OpenSslTls.SipEndpoint.Cli;
using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.SipEndpoint;

/// <summary>The <c>openssltls</c> command: dispatches to <c>serve</c>, <c>send</c>, <c>check</c> and <c>ctl</c>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        string verb = args.Length == 0 ? string.Empty : args[0];
        string[] rest = args.Length == 0 ? [] : args[1..];
        if (UsageText.For(verb) is { } commandHelp && UsageText.AsksForHelp(rest))
        {
            await Console.Out.WriteLineAsync(commandHelp).ConfigureAwait(false);
            return ExitCodes.Success;
        }

        switch (verb)
        {
            case "serve":
                // Before the first socket exists: the runtime reads this switch once (see SocketCompletions).
                SocketCompletions.Apply(Environment.GetEnvironmentVariable, Environment.SetEnvironmentVariable, cluster: ServeCommand.ConfiguresCluster(rest));
                using (var signal = new ShutdownSignal())
                {
                    return await ServeCommand.RunAsync(rest, Console.Error, signal.Token).ConfigureAwait(false);
                }

            case "send":
                using (var signal = new ShutdownSignal())
                {
                    return await SendCommand.RunAsync(rest, Console.Out, Console.Error, signal.Token).ConfigureAwait(false);
                }

            case "check":
                return await CheckCommand.RunAsync(rest, Console.Out, Console.Error).ConfigureAwait(false);

            case "ctl":
                using (var signal = new ShutdownSignal())
                {
                    return await CtlCommand.RunAsync(rest, Console.Out, Console.Error, signal.Token).ConfigureAwait(false);
                }

            case "help" or "--help" or "-h":
                if (rest.Length > 0 && UsageText.For(rest[0]) is null)
                {
                    await Console.Error.WriteLineAsync($"openssltls help: unknown command '{rest[0]}': use {CommandLineArguments.Words(UsageText.Commands)}").ConfigureAwait(false);
                    return ExitCodes.Usage;
                }

                await Console.Out.WriteLineAsync(rest.Length > 0 ? UsageText.For(rest[0]) : UsageText.Text).ConfigureAwait(false);
                return ExitCodes.Success;

            case "version" or "--version":
                string version = typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
                await Console.Out.WriteLineAsync($"openssltls {version}").ConfigureAwait(false);
                return ExitCodes.Success;

            default:
                await Console.Error.WriteLineAsync(verb.Length == 0 ? UsageText.Text : $"openssltls: unknown command '{verb}': use {CommandLineArguments.Words(UsageText.Commands)}{Environment.NewLine}{UsageText.Text}").ConfigureAwait(false);
                return ExitCodes.Usage;
        }
    }
}
