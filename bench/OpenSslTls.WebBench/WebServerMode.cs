using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenSslTls.Benchmarks.Memory;
using OpenSslTls.Configuration;

namespace OpenSslTls.WebBench;

/// <summary>
/// The child process: one minimal Kestrel app (<c>GET /</c> answers 13 bytes) on 127.0.0.1, HTTP/1.1 and HTTP/2, with
/// TLS by <c>UseOpenSslTls()</c> (<c>ours</c>) or <c>UseHttps()</c> (<c>sslstream</c>) on the same certificate. Prints
/// <c>listening PORT</c>, then takes commands on stdin: <c>gc</c> (a full compacting collection, answered <c>gc-done</c>,
/// before the runner reads the RSS), <c>mem</c> (live managed
/// bytes and glibc's malloc bytes in use, answered <c>mem MANAGED NATIVE</c>) and end of input (stop).
/// </summary>
internal static class WebServerMode
{
    public const string Argument = "--server";

    public static async Task<int> RunAsync(string kind, string certificate, string key)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            if (kind == "ours")
            {
                // session_cache on: TLS 1.2 session ids too (TLS 1.3 tickets are OpenSSL's default either way).
                // send_close_notify on: openssl s_time drops a session whose connection ended without it (an EOF is
                // fatal in OpenSSL 3), so -reuse could not resume at all; it costs ours one record per connection.
                listen.UseOpenSslTls(new TlsModuleOptions { Certificate = certificate, PrivateKey = key, SessionCache = true, SendCloseNotify = true });
            }
            else
            {
                listen.UseHttps(X509Certificate2.CreateFromPemFile(certificate, key));
            }
        }));
        WebApplication app = builder.Build();
        app.MapGet("/", () => "Hello, World!");
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        Console.WriteLine($"listening {new Uri(address).Port}");
        while (await Console.In.ReadLineAsync().ConfigureAwait(false) is { } command)
        {
            if (command == "gc")
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                Console.WriteLine("gc-done");
            }
            else if (command == "mem")
            {
                // After a gc: live managed bytes and glibc's bytes in use (OpenSSL's SSL objects and buffers are there).
                Console.WriteLine(FormattableString.Invariant($"mem {GC.GetTotalMemory(forceFullCollection: false)} {ProcessMemory.NativeHeapBytes()}"));
            }
        }

        await app.StopAsync().ConfigureAwait(false);
        return 0;
    }
}
