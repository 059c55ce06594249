using System.Buffers;
using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using OpenSslTls.Reliability;
using OpenSslTls.Connections;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Soak;

/// <summary>
/// <c>OpenSslTls.Soak [--connections N] [--report-every N] [--threads N]</c>: opens and closes N in-memory connections
/// (default 1,000,000) on N threads (default: every core). Each one handshakes, exchanges three messages each way and
/// closes, in a fixed mix: TLS 1.3 and 1.2, full and resumed, some aborted mid-handshake, some with a client
/// certificate from an untrusted CA (must be rejected), some with a good one. Every <c>--report-every</c> connections
/// it prints RSS, the managed heap and the library's live native object counts. Exit code 1 if any connection did not
/// end as its kind should.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        long connections = 1_000_000;
        long reportEvery = 0;
        int threads = Environment.ProcessorCount;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--connections" when i + 1 < args.Length:
                    connections = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--report-every" when i + 1 < args.Length:
                    reportEvery = long.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--threads" when i + 1 < args.Length:
                    threads = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                default:
                    Console.Error.WriteLine("usage: OpenSslTls.Soak [--connections N] [--report-every N] [--threads N]");
                    return 2;
            }
        }

        if (reportEvery <= 0)
        {
            reportEvery = Math.Max(1, connections / 20);
        }

        using GeneratedPki pki = GeneratedPki.Create();
        using var profiles = new SoakProfiles(pki);
        var tally = new Tally();
        var stopwatch = Stopwatch.StartNew();
        long next = 0;
        long nextReport = reportEvery;
        object reportGate = new();
        Console.WriteLine($"soak: {connections} connections, {threads} threads, report every {reportEvery}");
        Console.WriteLine(Report.Header);
        Console.WriteLine(Report.Line(0, stopwatch.Elapsed, tally));

        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                var worker = new SoakWorker(profiles, tally);
                while (true)
                {
                    long index = Interlocked.Increment(ref next) - 1;
                    if (index >= connections)
                    {
                        break;
                    }

                    worker.Run(index);
                    long done = Interlocked.Increment(ref tally.Done);
                    if (done >= Volatile.Read(ref nextReport))
                    {
                        lock (reportGate)
                        {
                            if (done >= nextReport)
                            {
                                nextReport += reportEvery;
                                Console.WriteLine(Report.Line(done, stopwatch.Elapsed, tally));
                            }
                        }
                    }
                }

                worker.Dispose();
            })
            { IsBackground = true, Name = $"soak-{t}" };
            workers[t].Start();
        }

        foreach (Thread worker in workers)
        {
            worker.Join();
        }

        TimeSpan elapsed = stopwatch.Elapsed;
        profiles.Dispose();
        for (int i = 0; i < 2; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Console.WriteLine(Report.Line(tally.Done, elapsed, tally) + "   (after the run, profiles freed, GC)");
        Console.WriteLine(tally.Summary(elapsed));
        return tally.Unexpected == 0 ? 0 : 1;
    }
}

/// <summary>The kinds of connection, by index modulo 10.</summary>
internal enum SoakKind
{
    Tls13Full,
    Tls13Resumed,
    Tls12Full,
    Tls12Resumed,
    AbortedMidHandshake,
    BadClientCertificate,
    GoodClientCertificate,
}

/// <summary>Outcome counters, shared by the workers.</summary>
internal sealed class Tally
{
    public long Done;
    public long Full;
    public long Resumed;
    public long ResumeMissed;
    public long Aborted;
    public long Rejected;
    public long Mutual;
    public long Unexpected;
    public string? FirstUnexpected;

    public void Fail(long index, string why)
    {
        if (Interlocked.Increment(ref Unexpected) == 1)
        {
            FirstUnexpected = $"#{index}: {why}";
        }
    }

    public string Summary(TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture,
        $"done {Done} in {elapsed.TotalSeconds:F1} s ({Done / Math.Max(0.001, elapsed.TotalSeconds):F0}/s): full {Full}, resumed {Resumed} " +
        $"(offered but not resumed {ResumeMissed}), mutual {Mutual}, aborted {Aborted}, bad client cert rejected {Rejected}, " +
        $"unexpected {Unexpected}{(FirstUnexpected is null ? "" : " first: " + FirstUnexpected)}");
}

/// <summary>The profiles the soak uses: one plain server, one requiring client certificates, and the clients.</summary>
internal sealed class SoakProfiles : IDisposable
{
    public SoakProfiles(GeneratedPki pki)
    {
        // session_cache on (Kamailio's default is off), so resumed connections really resume.
        var tuning = new TlsTuning { SessionCache = true };
        Server = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = pki.ServerCertificate, PrivateKey = pki.ServerKey }, tuning);
        MutualServer = TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
        {
            Certificate = pki.ServerCertificate,
            PrivateKey = pki.ServerKey,
            CaList = pki.RootCertificate,
            VerifyClient = VerifyClientMode.On,
        }, tuning, label: "server:mutual");
        Tls13 = Client(pki, TlsMethod.TLSv1_3, null, null);
        Tls12 = Client(pki, TlsMethod.TLSv1_2, null, null);
        GoodClient = Client(pki, TlsMethod.TLSv1_2Plus, pki.ClientCertificate, pki.ClientKey);
        BadClient = Client(pki, TlsMethod.TLSv1_2Plus, pki.UntrustedClientCertificate, pki.UntrustedClientKey);
    }

    public TlsProfile Server { get; }

    public TlsProfile MutualServer { get; }

    public TlsProfile Tls13 { get; }

    public TlsProfile Tls12 { get; }

    public TlsProfile GoodClient { get; }

    public TlsProfile BadClient { get; }

    public void Dispose()
    {
        Server.Dispose();
        MutualServer.Dispose();
        Tls13.Dispose();
        Tls12.Dispose();
        GoodClient.Dispose();
        BadClient.Dispose();
    }

    private static TlsProfile Client(GeneratedPki pki, TlsMethod method, string? certificate, string? key) =>
        TlsProfile.Create(TlsRole.Client, new TlsProfileSettings
        {
            Method = method,
            VerifyCertificate = true,
            CaList = pki.RootCertificate,
            Certificate = certificate,
            PrivateKey = key,
        });
}

/// <summary>One thread's loop state: buffers and the sessions it resumes.</summary>
internal sealed class SoakWorker : IDisposable
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("OPTIONS sip:soak@example.test SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    private static readonly byte[] Response = Encoding.ASCII.GetBytes("SIP/2.0 200 OK\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
    private readonly SoakProfiles _profiles;
    private readonly Tally _tally;
    private readonly ArrayBufferWriter<byte> _toServer = new();
    private readonly ArrayBufferWriter<byte> _toClient = new();
    private readonly ArrayBufferWriter<byte> _serverPlain = new();
    private readonly ArrayBufferWriter<byte> _clientPlain = new();
    private TlsSession? _session13;
    private TlsSession? _session12;

    public SoakWorker(SoakProfiles profiles, Tally tally)
    {
        _profiles = profiles;
        _tally = tally;
    }

    public static SoakKind KindOf(long index) => (index % 10) switch
    {
        0 or 1 => SoakKind.Tls13Full,
        2 => SoakKind.Tls13Resumed,
        3 or 4 => SoakKind.Tls12Full,
        5 => SoakKind.Tls12Resumed,
        6 => SoakKind.AbortedMidHandshake,
        7 => SoakKind.BadClientCertificate,
        8 => SoakKind.GoodClientCertificate,
        _ => SoakKind.Tls13Full,
    };

    public void Run(long index)
    {
        SoakKind kind = KindOf(index);
        TlsProfile server = kind is SoakKind.BadClientCertificate or SoakKind.GoodClientCertificate ? _profiles.MutualServer : _profiles.Server;
        TlsProfile client = kind switch
        {
            SoakKind.Tls12Full or SoakKind.Tls12Resumed => _profiles.Tls12,
            SoakKind.BadClientCertificate => _profiles.BadClient,
            SoakKind.GoodClientCertificate => _profiles.GoodClient,
            _ => _profiles.Tls13,
        };
        TlsSession? resume = kind switch
        {
            SoakKind.Tls13Resumed => _session13,
            SoakKind.Tls12Resumed => _session12,
            _ => null,
        };
        _toServer.ResetWrittenCount();
        _toClient.ResetWrittenCount();
        _serverPlain.ResetWrittenCount();
        _clientPlain.ResetWrittenCount();
        using TlsConnection s = server.CreateConnection();
        using TlsConnection c = client.CreateConnection(GeneratedPki.ServerName, resume);
        c.Start(_toServer);
        if (kind == SoakKind.AbortedMidHandshake)
        {
            // ClientHello in, ServerHello..Finished out, then both sides vanish.
            Move(_toServer, s, _serverPlain, _toClient);
            if (s.State != TlsConnectionState.Handshaking)
            {
                _tally.Fail(index, $"aborted: server state {s.State}");
                return;
            }

            Interlocked.Increment(ref _tally.Aborted);
            return;
        }

        Pump(s, c);
        bool established = s.State == TlsConnectionState.Established && c.State == TlsConnectionState.Established;
        if (kind == SoakKind.BadClientCertificate)
        {
            if (established || s.State != TlsConnectionState.Failed)
            {
                _tally.Fail(index, $"bad client certificate accepted: server {s.State}, client {c.State}");
                return;
            }

            Interlocked.Increment(ref _tally.Rejected);
            return;
        }

        if (!established)
        {
            _tally.Fail(index, $"{kind}: handshake failed: server {s.State} {s.Failure?.Message}, client {c.State} {c.Failure?.Message}");
            return;
        }

        for (int i = 0; i < 3; i++)
        {
            c.Send(Request, _toServer);
            s.Send(Response, _toClient);
            Pump(s, c);
        }

        if (_serverPlain.WrittenCount != 3 * Request.Length || _clientPlain.WrittenCount != 3 * Response.Length)
        {
            _tally.Fail(index, $"{kind}: traffic lost: {_serverPlain.WrittenCount}/{_clientPlain.WrittenCount} bytes");
            return;
        }

        bool reused = c.Info!.SessionReused;
        switch (kind)
        {
            case SoakKind.Tls13Resumed or SoakKind.Tls12Resumed when reused:
                Interlocked.Increment(ref _tally.Resumed);
                break;
            case SoakKind.Tls13Resumed or SoakKind.Tls12Resumed:
                // The first resumption of a thread has no session yet.
                Interlocked.Increment(ref resume is null ? ref _tally.Full : ref _tally.ResumeMissed);
                break;
            case SoakKind.GoodClientCertificate:
                Interlocked.Increment(ref _tally.Mutual);
                break;
            default:
                Interlocked.Increment(ref _tally.Full);
                break;
        }

        if (kind is SoakKind.Tls13Full or SoakKind.Tls12Full)
        {
            // Keep the newest session of each version to resume from (the old one is freed).
            TlsSession? session = c.GetSession();
            ref TlsSession? slot = ref kind == SoakKind.Tls13Full ? ref _session13 : ref _session12;
            if (session is not null)
            {
                slot?.Dispose();
                slot = session;
            }
        }

        c.Close(_toServer);
        Pump(s, c);
        s.Close(_toClient);
        Pump(s, c);
    }

    public void Dispose()
    {
        _session13?.Dispose();
        _session12?.Dispose();
    }

    private void Pump(TlsConnection server, TlsConnection client)
    {
        for (int round = 0; round < 50 && (_toServer.WrittenCount > 0 || _toClient.WrittenCount > 0); round++)
        {
            Move(_toServer, server, _serverPlain, _toClient);
            Move(_toClient, client, _clientPlain, _toServer);
        }
    }

    private static void Move(ArrayBufferWriter<byte> from, TlsConnection to, ArrayBufferWriter<byte> plaintext, ArrayBufferWriter<byte> output)
    {
        if (from.WrittenCount == 0)
        {
            return;
        }

        byte[] data = from.WrittenSpan.ToArray();
        from.ResetWrittenCount();
        to.Receive(data, plaintext, output);
    }
}

/// <summary>The report lines: RSS and heap from the runtime and /proc, native counts read by reflection.</summary>
internal static class Report
{
    private static readonly MethodInfo? Snapshot = typeof(TlsProfile).Assembly
        .GetType("OpenSslTls.Interop.NativeObjectCounter")?
        .GetMethod("Snapshot", BindingFlags.NonPublic | BindingFlags.Static);

    public static string Header => "connections  seconds  conn/s   rss_MiB  heap_MiB  gc0/gc1/gc2     native live objects";

    public static string Line(long done, TimeSpan elapsed, Tally tally)
    {
        _ = tally;
        double rss = RssKib() / 1024.0;
        double heap = GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0;
        return string.Create(CultureInfo.InvariantCulture,
            $"{done,11}  {elapsed.TotalSeconds,7:F1}  {done / Math.Max(0.001, elapsed.TotalSeconds),6:F0}  {rss,8:F1}  {heap,8:F1}  " +
            $"{GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}  {NativeCounts()}");
    }

    private static string NativeCounts()
    {
        if (Snapshot?.Invoke(null, null) is not IDictionary counts)
        {
            return "(native counters not readable)";
        }

        var parts = new List<string>();
        foreach (DictionaryEntry entry in counts)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{entry.Key}={entry.Value}"));
        }

        return string.Join(' ', parts);
    }

    private static long RssKib()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        return -1;
    }
}
