using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using OpenSslTls.Profiles;
using OpenSslTls.SipEndpoint.Client;
using OpenSslTls.SipEndpoint.Hosting;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// Out of file descriptors: <c>serve</c> under a low <c>ulimit -n</c> caps its connections below the limit, leaving a
/// reserve for the runtime (which aborts the process, "Out of memory.", when it cannot start a thread for lack of a
/// descriptor), keeps serving what it has, refuses new connections at once instead of leaving them hanging in the
/// backlog, does not spin, logs once per interval, and accepts again by itself once connections close. The EMFILE
/// handling behind the cap (a reserve descriptor to refuse with) has unit tests below. In a collection of its own
/// that runs alone (<see cref="DescriptorShortageCollection"/>): other tests' processes must not share its timing.
/// </summary>
[Collection(DescriptorShortageCollection.Name)]
public sealed partial class DescriptorShortageTests : IDisposable
{
    /// <summary>The runtime alone holds about 100 descriptors (assemblies, epoll, pipes): with serve's reserve of 64 this leaves room for a few dozen connections.</summary>
    private const int DescriptorLimit = 256;

    private const int MaxClients = 150;

    /// <summary>serve's refusal log interval (PerAddressRefusalLogInterval).</summary>
    private static readonly TimeSpan s_logInterval = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-emfile-").FullName;

    [SkippableFact]
    public async Task At_a_low_descriptor_limit_serve_caps_its_connections_keeps_them_refuses_new_ones_without_spinning_logs_once_and_recovers()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ulimit and /proc");
        Skip.IfNot(OpenSslCli.IsAvailable, "openssl CLI not available");
        using EndpointProcess serve = EndpointProcess.StartWithDescriptorLimit(
            DescriptorLimit,
            "serve", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_root, "data"), "--control-socket", Path.Combine(_root, "ctl.sock"),
            "--max-connections-per-address", "0");
        int port = int.Parse((await serve.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value, CultureInfo.InvariantCulture);
        Match capped = await serve.WaitForAsync(CappedLine(), s_wait);
        int cap = int.Parse(capped.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(cap, 5, MaxClients - 10);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        using var profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings(), label: "client:test");
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var clients = new List<SipTlsClient>();
        try
        {
            // Fill serve up to its cap: connect until it refuses one.
            string? refusal = null;
            while (refusal is null && clients.Count < MaxClients)
            {
                refusal = await TryConnectAsync(endpoint, profile, clients, limit.Token);
            }

            Assert.True(refusal is not null, $"{clients.Count} connections and still no refusal under ulimit -n {DescriptorLimit} (cap {cap})");
            Assert.True(clients.Count == cap, $"{clients.Count} connections before the first refusal ({refusal}), the cap logged was {cap}{Environment.NewLine}{serve.Output}");
            await serve.WaitForAsync(AtCapLine(), s_wait);
            var firstLine = Stopwatch.StartNew();

            // Every connection it had is still served.
            for (int i = 0; i < clients.Count; i++)
            {
                try
                {
                    await AssertAnswersAsync(clients[i], i + 1, limit.Token);
                }
                catch (Exception e) when (e is SocketException or SipClientException or IOException)
                {
                    throw new Xunit.Sdk.XunitException(
                        $"connection {i + 1} of {clients.Count}, held before the refusal ({refusal}), no longer answers: {e.Message}{Environment.NewLine}{serve.Output}");
                }
            }

            // New ones are refused at once, again and again, and serve does not spin meanwhile.
            double cpuBefore = CpuSeconds(serve.Id);
            var window = Stopwatch.StartNew();
            int refusedNow = 0;
            while (window.Elapsed < TimeSpan.FromSeconds(2))
            {
                var attempt = Stopwatch.StartNew();
                string? again = await TryConnectAsync(endpoint, profile, clients, limit.Token);
                Assert.True(again is not null, $"a connection got through while serve was at its cap of {cap}");
                Assert.True(attempt.Elapsed < TimeSpan.FromSeconds(5), $"a refusal took {attempt.Elapsed.TotalSeconds:F1} s (left hanging in the backlog?)");
                refusedNow++;
                await Task.Delay(50, limit.Token);
            }

            double cores = (CpuSeconds(serve.Id) - cpuBefore) / window.Elapsed.TotalSeconds;
            Assert.True(refusedNow >= 5, $"only {refusedNow} attempts in the window");
            Assert.True(cores < 0.5, $"serve used {cores:F2} cores while refusing (a busy accept loop uses one)");

            // One line per interval, not one per refusal.
            int lines = AtCapLine().Matches(serve.Output).Count;
            int allowed = 1 + (int)(firstLine.Elapsed / s_logInterval);
            Assert.True(lines <= allowed, $"{lines} at-the-cap lines for {refusedNow + 1} refusals in {firstLine.Elapsed.TotalSeconds:F1} s:{Environment.NewLine}{serve.Output}");

            // Half of the connections leave; new ones get in without anything done to serve.
            int leaving = clients.Count / 2;
            foreach (SipTlsClient client in clients[..leaving])
            {
                await client.DisposeAsync();
            }

            clients.RemoveRange(0, leaving);
            var recovery = Stopwatch.StartNew();
            string? lastRefusal = "not tried";
            int before = clients.Count;
            while (clients.Count < before + 3 && recovery.Elapsed < s_wait)
            {
                lastRefusal = await TryConnectAsync(endpoint, profile, clients, limit.Token);
                if (lastRefusal is not null)
                {
                    await Task.Delay(100, limit.Token);
                }
            }

            Assert.True(clients.Count >= before + 3, $"no new connection within {s_wait.TotalSeconds} s after {leaving} closed (last: {lastRefusal}){Environment.NewLine}{serve.Output}");
            await serve.WaitForAsync(AcceptingAgainLine(), s_wait);
            for (int i = 0; i < clients.Count; i++)
            {
                await AssertAnswersAsync(clients[i], 100 + i, limit.Token);
            }
        }
        finally
        {
            foreach (SipTlsClient client in clients)
            {
                await client.DisposeAsync();
            }
        }

        serve.Terminate();
        Assert.Equal(0, serve.WaitForExit(s_wait));

        // The cap kept the process off the limit itself: accept never failed for lack of a descriptor.
        Assert.DoesNotContain("out of file descriptors", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Out of memory", serve.Output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task At_a_low_descriptor_limit_wss_connections_count_against_the_same_cap_as_tls_ones_and_both_listeners_recover()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "ulimit and /proc");
        using EndpointProcess serve = EndpointProcess.StartWithDescriptorLimit(
            DescriptorLimit,
            "serve", "--listen", "127.0.0.1:0", "--listen-wss", "127.0.0.1:0", "--data-dir", Path.Combine(_root, "data"),
            "--control-socket", Path.Combine(_root, "ctl.sock"), "--max-connections-per-address", "0");
        int port = int.Parse((await serve.WaitForAsync(ListeningLine(), s_wait)).Groups[1].Value, CultureInfo.InvariantCulture);
        int wssPort = int.Parse((await serve.WaitForAsync(WssListeningLine(), s_wait)).Groups[1].Value, CultureInfo.InvariantCulture);
        await serve.WaitForAsync(ControlSocketLine(), s_wait);

        // Measured again once Kestrel is up (its assemblies hold descriptors): the last cap logged is the shared one.
        MatchCollection caps = CappedLine().Matches(serve.Output);
        Assert.True(caps.Count == 2, $"{caps.Count} cap lines, expected the TLS listener's and the shared one{Environment.NewLine}{serve.Output}");
        int cap = int.Parse(caps[^1].Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(cap, 5, MaxClients - 10);
        var endpoint = new IPEndPoint(IPAddress.Loopback, port);
        var wss = new Uri($"wss://127.0.0.1:{wssPort.ToString(CultureInfo.InvariantCulture)}/");
        using var profile = TlsProfile.Create(TlsRole.Client, new TlsProfileSettings(), label: "client:test");
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var clients = new List<SipTlsClient>();
        var sockets = new List<ClientWebSocket>();
        string State() => $"cap {cap}, {clients.Count} tls + {sockets.Count} wss held{Environment.NewLine}{serve.Output}";
        try
        {
            // Half the budget by WebSocket, then TLS until the first refusal: the TLS listener must stop at the rest.
            int wssWanted = cap / 2;
            while (sockets.Count < wssWanted)
            {
                string? failed = await TryWssAsync(wss, sockets, limit.Token);
                Assert.True(failed is null, $"wss connection {sockets.Count + 1} refused below the cap ({failed}); {State()}");
            }

            string? refusal = null;
            while (refusal is null && clients.Count + sockets.Count < MaxClients)
            {
                refusal = await TryConnectAsync(endpoint, profile, clients, limit.Token);
            }

            Assert.True(refusal is not null, $"no tls refusal; {State()}");
            Assert.True(clients.Count + sockets.Count == cap, $"first tls refusal ({refusal}) not at the shared cap; {State()}");

            // Both listeners refuse now, at once, again and again, and serve does not spin meanwhile.
            await serve.WaitForAsync(AtCapLine(), s_wait);
            var firstLine = Stopwatch.StartNew();
            double cpuBefore = CpuSeconds(serve.Id);
            var window = Stopwatch.StartNew();
            int refusedNow = 0;
            while (window.Elapsed < TimeSpan.FromSeconds(2))
            {
                var attempt = Stopwatch.StartNew();
                string? wssAgain = await TryWssAsync(wss, sockets, limit.Token);
                Assert.True(wssAgain is not null, $"a wss connection got through at the shared cap; {State()}");
                string? tlsAgain = await TryConnectAsync(endpoint, profile, clients, limit.Token);
                Assert.True(tlsAgain is not null, $"a tls connection got through at the shared cap; {State()}");
                Assert.True(attempt.Elapsed < TimeSpan.FromSeconds(8), $"two refusals took {attempt.Elapsed.TotalSeconds:F1} s (wss: {wssAgain}; tls: {tlsAgain}); {State()}");
                refusedNow += 2;
                await Task.Delay(50, limit.Token);
            }

            double cores = (CpuSeconds(serve.Id) - cpuBefore) / window.Elapsed.TotalSeconds;
            Assert.True(refusedNow >= 4, $"only {refusedNow} attempts in the window; {State()}");
            Assert.True(cores < 0.5, $"serve used {cores:F2} cores while refusing; {State()}");
            int lines = AtCapLine().Matches(serve.Output).Count;
            int allowed = 1 + (int)(firstLine.Elapsed / s_logInterval);
            Assert.True(lines <= allowed, $"{lines} at-the-cap lines for {refusedNow + 1} refusals in {firstLine.Elapsed.TotalSeconds:F1} s; {State()}");

            // Every connection held is still served.
            for (int i = 0; i < sockets.Count; i++)
            {
                string? broken = await WssAnswersAsync(sockets[i], 10 + i, limit.Token);
                Assert.True(broken is null, $"wss connection {i + 1} no longer answers ({broken}); {State()}");
            }

            // Some of each leave: both listeners accept again without anything done to serve.
            foreach (ClientWebSocket socket in sockets[..3])
            {
                socket.Abort();
                socket.Dispose();
            }

            sockets.RemoveRange(0, 3);
            foreach (SipTlsClient client in clients[..3])
            {
                await client.DisposeAsync();
            }

            clients.RemoveRange(0, 3);
            (int tlsBefore, int wssBefore) = (clients.Count, sockets.Count);
            var recovery = Stopwatch.StartNew();
            string? lastWss = "not tried", lastTls = "not tried";
            while ((sockets.Count < wssBefore + 1 || clients.Count < tlsBefore + 1) && recovery.Elapsed < s_wait)
            {
                if (sockets.Count < wssBefore + 1)
                {
                    lastWss = await TryWssAsync(wss, sockets, limit.Token);
                }

                if (clients.Count < tlsBefore + 1)
                {
                    lastTls = await TryConnectAsync(endpoint, profile, clients, limit.Token);
                }

                await Task.Delay(100, limit.Token);
            }

            Assert.True(sockets.Count > wssBefore && clients.Count > tlsBefore, $"after 3 of each closed, within {s_wait.TotalSeconds} s: wss {lastWss}; tls {lastTls}; {State()}");
            await serve.WaitForAsync(AcceptingAgainLine(), s_wait);
        }
        finally
        {
            foreach (ClientWebSocket socket in sockets)
            {
                socket.Abort();
                socket.Dispose();
            }

            foreach (SipTlsClient client in clients)
            {
                await client.DisposeAsync();
            }
        }

        serve.Terminate();
        Assert.Equal(0, serve.WaitForExit(s_wait));
        Assert.DoesNotContain("out of file descriptors", serve.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Out of memory", serve.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_descriptor_cap_is_the_soft_limit_less_what_is_open_and_the_reserve_and_reads_proc_limits()
    {
        const string Limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max processes             95171                95171                processes
            Max open files            1024                 524288               files
            Max locked memory         8388608              8388608              bytes
            """;
        Assert.Equal(1024, DescriptorBudget.SoftOpenFilesLimit(Limits.Replace("\r", "", StringComparison.Ordinal)));
        Assert.Null(DescriptorBudget.SoftOpenFilesLimit("Max open files            unlimited            unlimited            files\n"));
        Assert.Null(DescriptorBudget.SoftOpenFilesLimit("Max processes 10 10\n"));
        Assert.Equal(1024 - 103 - 64, DescriptorBudget.From(1024, 103, 64).Connections);
        Assert.Equal(1, DescriptorBudget.From(160, 103, 64).Connections);
        Assert.Null(DescriptorBudget.Measure(0));
        if (OperatingSystem.IsLinux())
        {
            DescriptorCap measured = DescriptorBudget.Measure(64) ?? throw new Xunit.Sdk.XunitException("no cap measured on Linux");
            Assert.Equal(64, measured.Reserve);
            Assert.True(measured.OpenAtStart > 0);
            Assert.Equal(Math.Max(1, measured.SoftLimit - measured.OpenAtStart - 64), measured.Connections);
        }
    }

    [Fact]
    public void Refusals_at_the_cap_are_logged_at_the_first_then_once_per_interval_with_their_count()
    {
        long now = 0;
        var refusals = new RefusalCounter(TimeSpan.FromSeconds(10), () => now);
        Assert.Equal(1, refusals.Note());
        now += Stopwatch.Frequency;
        Assert.Equal(0, refusals.Note());
        Assert.Equal(0, refusals.Note());
        now += 9 * Stopwatch.Frequency;
        Assert.Equal(3, refusals.Note());
        Assert.Equal(0, refusals.Note());
    }

    [Fact]
    public void Refusals_are_logged_at_the_first_then_once_per_interval_with_their_count_and_the_recovery_once()
    {
        long now = 0;
        using var shortage = new DescriptorShortage(TimeSpan.FromSeconds(10), () => now);
        Assert.True(shortage.HasReserve);
        Assert.False(shortage.NoteAccepted(out _));

        Assert.Equal(1, shortage.NoteFailure(refusedOne: true));
        now += Stopwatch.Frequency;
        Assert.Equal(0, shortage.NoteFailure(refusedOne: true));
        Assert.Equal(0, shortage.NoteFailure(refusedOne: false));
        now += 9 * Stopwatch.Frequency;
        Assert.Equal(2, shortage.NoteFailure(refusedOne: true));
        Assert.Equal(0, shortage.NoteFailure(refusedOne: true));

        Assert.True(shortage.NoteAccepted(out long refused));
        Assert.Equal(4, refused);
        Assert.False(shortage.NoteAccepted(out _));

        // A new shortage logs at once again.
        Assert.Equal(1, shortage.NoteFailure(refusedOne: false));
    }

    [SkippableFact]
    public void The_reserve_descriptor_is_given_up_for_one_accept_and_taken_again()
    {
        Skip.If(OperatingSystem.IsWindows(), "/dev/null");
        using var shortage = new DescriptorShortage(TimeSpan.FromSeconds(10));
        Assert.True(shortage.ReleaseReserve());
        Assert.False(shortage.HasReserve);
        Assert.False(shortage.ReleaseReserve());
        shortage.TakeReserve();
        Assert.True(shortage.HasReserve);
        Assert.True(DescriptorShortage.IsShortage(new SocketException((int)SocketError.TooManyOpenSockets)));
        Assert.False(DescriptorShortage.IsShortage(new SocketException((int)SocketError.ConnectionReset)));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Connects and exchanges one OPTIONS; on success keeps the client and returns null, else returns why it failed.</summary>
    private static async Task<string?> TryConnectAsync(IPEndPoint endpoint, TlsProfile profile, List<SipTlsClient> clients, CancellationToken cancellation)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.CancelAfter(TimeSpan.FromSeconds(10));
        SipTlsClient? client = null;
        try
        {
            client = await SipTlsClient.ConnectAsync(endpoint, profile, null, attempt.Token);
            await AssertAnswersAsync(client, 1, attempt.Token);
            clients.Add(client);
            return null;
        }
        catch (Exception e) when (e is SocketException or SipClientException or IOException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }

            return e.GetType().Name + ": " + e.Message;
        }
    }

    /// <summary>Opens a SIP WebSocket (any certificate: the slot is what matters) and exchanges one OPTIONS; on success keeps it and returns null, else why it failed.</summary>
    private static async Task<string?> TryWssAsync(Uri uri, List<ClientWebSocket> sockets, CancellationToken cancellation)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        attempt.CancelAfter(TimeSpan.FromSeconds(10));
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("sip");
        socket.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        try
        {
            await socket.ConnectAsync(uri, attempt.Token);
        }
        catch (Exception e) when (e is WebSocketException or IOException or System.Net.Http.HttpRequestException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            socket.Dispose();
            return e.GetType().Name + ": " + e.Message;
        }

        string? broken = await WssAnswersAsync(socket, 1, attempt.Token);
        if (broken is not null)
        {
            socket.Dispose();
            return broken;
        }

        sockets.Add(socket);
        return null;
    }

    /// <summary>Null when the WebSocket answers an OPTIONS with 200, else what went wrong.</summary>
    private static async Task<string?> WssAnswersAsync(ClientWebSocket socket, int cseq, CancellationToken cancellation)
    {
        try
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes(SipRequests.Options(cseq)), WebSocketMessageType.Text, endOfMessage: true, cancellation);
            byte[] buffer = new byte[8192];
            ValueWebSocketReceiveResult received = await socket.ReceiveAsync(buffer.AsMemory(), cancellation);
            string text = Encoding.UTF8.GetString(buffer, 0, received.Count);
            return text.StartsWith("SIP/2.0 200 ", StringComparison.Ordinal) ? null : "no 200 to OPTIONS: " + text;
        }
        catch (Exception e) when (e is WebSocketException or IOException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }

    private static async Task AssertAnswersAsync(SipTlsClient client, int cseq, CancellationToken cancellation)
    {
        await client.SendAsync(SipRequests.Options(cseq), cancellation);
        SipReceivedFrame? reply = await client.ReadFrameAsync(cancellation);
        if (reply is null || !reply.Text.StartsWith("SIP/2.0 200 ", StringComparison.Ordinal))
        {
            throw new IOException("no 200 to OPTIONS: " + (reply?.Text ?? "the connection closed"));
        }
    }

    /// <summary>utime + stime of /proc/PID/stat, in seconds (USER_HZ is 100 on Linux).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    [GeneratedRegex(@"listening for SIP over TLS on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"listening for SIP over secure WebSocket on 127\.0\.0\.1:(\d+)")]
    private static partial Regex WssListeningLine();

    [GeneratedRegex(@"control socket: ")]
    private static partial Regex ControlSocketLine();

    [GeneratedRegex(@"connections capped at (\d+) by the open-file limit \(soft RLIMIT_NOFILE 256, \d+ open at start, 64 kept free")]
    private static partial Regex CappedLine();

    [GeneratedRegex(@"refusing new connections: already \d+ connections \(the open-file limit's cap; \d+ refused since the last such line")]
    private static partial Regex AtCapLine();

    [GeneratedRegex(@"accepting new connections again: \d+ open, below the cap of \d+ \(\d+ refused")]
    private static partial Regex AcceptingAgainLine();
}
