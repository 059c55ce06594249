namespace OpenSslTls.WebBench;

/// <summary>
/// Entry point. No mode: the benchmark (<see cref="WebBenchOptions.Usage"/>): the table on stdout, each run's details
/// on stderr. <c>--server ours|sslstream CERT KEY</c> is the child server (<see cref="WebServerMode"/>).
/// <c>--hold ours|sslstream N</c> starts one server, opens N idle connections and holds them until a line (or the end)
/// on stdin, printing the server's process id: for looking into an idle server with outside tools (dotnet-gcdump, pmap).
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 4 && args[0] == WebServerMode.Argument)
        {
            return await WebServerMode.RunAsync(args[1], args[2], args[3]).ConfigureAwait(false);
        }

        if (args.Length == 3 && args[0] == "--hold")
        {
            return await HoldAsync(args[1], int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture)).ConfigureAwait(false);
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

    private static async Task<int> HoldAsync(string kind, int count)
    {
        string directory = Directory.CreateTempSubdirectory("OpenSslTls-WebBench-").FullName;
        try
        {
            string certificate = Path.Combine(directory, "localhost.pem");
            string key = Path.Combine(directory, "localhost.key");
            OpenSslTls.Certificates.SelfSignedCertificateBuilder.ForLocalhost().Create().WriteFiles(certificate, key);
            using ServerProcess server = ServerProcess.Start(kind, certificate, key, cpuList: null);
            server.CollectGarbage();
            long before = server.RssBytes();
            (long managedBefore, long nativeBefore) = server.HeapBytes();
            await using IdleConnections idle = await IdleConnections.OpenAsync(server.Port, count).ConfigureAwait(false);
            server.CollectGarbage();
            await Task.Delay(500).ConfigureAwait(false);
            (long managed, long native) = server.HeapBytes();
            Console.WriteLine($"holding {count} idle connections to the {kind} server, pid {server.Pid}: per connection RSS {(server.RssBytes() - before) / count} B, managed {(managed - managedBefore) / count} B, malloc {(native - nativeBefore) / count} B");
            await Console.In.ReadLineAsync().ConfigureAwait(false);
            return 0;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
