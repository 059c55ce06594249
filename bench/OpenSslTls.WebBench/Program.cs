namespace OpenSslTls.WebBench;

/// <summary>
/// Entry point. No mode: the benchmark (<see cref="WebBenchOptions.Usage"/>): the table on stdout, each run's details
/// on stderr. <c>--server ours|sslstream CERT KEY</c> is the child server (<see cref="WebServerMode"/>).
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 4 && args[0] == WebServerMode.Argument)
        {
            return await WebServerMode.RunAsync(args[1], args[2], args[3]).ConfigureAwait(false);
        }

        WebBenchOptions options;
        try
        {
            options = WebBenchOptions.Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + WebBenchOptions.Usage).ConfigureAwait(false);
            return 2;
        }

        return await WebBenchRunner.RunAsync(options, Console.Out, Console.Error).ConfigureAwait(false);
    }
}
