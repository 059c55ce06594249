using OpenSslTls.SocketBench.Idle;
using OpenSslTls.SocketBench.Servers;
using OpenSslTls.SocketBench.SslStreamServer;

namespace OpenSslTls.SocketBench;

/// <summary>
/// Entry point. No mode: the benchmark (<see cref="SocketBenchOptions.Usage"/>): the table on stdout, the details of
/// every run on stderr. <c>--sslstream-server PKI-DIR 1.3|1.2 [ec|rsa] [resume]</c> is the internal mode the runner starts as the
/// SslStream server's child process. <c>--idle N …</c> is the idle-connection mode (<see cref="IdleBenchOptions.Usage"/>).
/// </summary>
internal static class Program
{
    public const string SslStreamServerArgument = "--sslstream-server";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length is >= 3 and <= 5 && args[0] == SslStreamServerArgument)
        {
            Benchmarks.ServerKey key = args.Length > 3 && args[3] == "rsa" ? Benchmarks.ServerKey.Rsa2048 : Benchmarks.ServerKey.P256;
            bool resume = args.Length > 4 && args[4] == "resume";
            return await SslStreamServerMode.RunAsync(args[1], TlsPinning.Parse(args[2]), key, resume).ConfigureAwait(false);
        }

        if (args.Length > 0 && args[0] == IdleBenchOptions.Argument)
        {
            IdleBenchOptions idle;
            try
            {
                idle = IdleBenchOptions.Parse(args);
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + IdleBenchOptions.Usage).ConfigureAwait(false);
                return 2;
            }

            return await IdleBenchRunner.RunAsync(idle, Console.Out, Console.Error).ConfigureAwait(false);
        }

        SocketBenchOptions options;
        try
        {
            options = SocketBenchOptions.Parse(args);
            ServerProcess.Cpus = options.ServerCpus;
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + SocketBenchOptions.Usage).ConfigureAwait(false);
            return 2;
        }

        return options.Setup || options.Storm > 0
            ? await Setup.SetupBenchRunner.RunAsync(options, Console.Out, Console.Error).ConfigureAwait(false)
            : await SocketBenchRunner.RunAsync(options, Console.Out, Console.Error).ConfigureAwait(false);
    }
}
