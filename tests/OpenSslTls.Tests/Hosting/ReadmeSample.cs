using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenSslTls.Connections;
using OpenSslTls.Extensions.Hosting;
using OpenSslTls.Module;

namespace OpenSslTls.Tests.Hosting;

/// <summary>The README's dependency-injection sample: the lines between the markers are the README's, verbatim (ReadmeSampleTests checks).</summary>
internal static class ReadmeSample
{
    internal static async Task<TlsModuleInfo> RunAsync(string[] args, IPEndPoint local, IPEndPoint remote, Action<TlsConnection> close)
    {
        // README sample: begin
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
        builder.Services.AddOpenSslTls(builder.Configuration.GetSection("Tls"));
        builder.Services.Configure<TlsHostingOptions>(hosting => hosting.HandshakeTracing = true);
        using IHost host = builder.Build();
        await host.StartAsync(); // bad settings stop here, every error naming its key

        TlsModule tls = host.Services.GetRequiredService<TlsModule>();
        tls.ConnectionExpired += (_, e) => close(e.Connection); // the idle sweep runs in the host
        using TlsConnection connection = tls.AcceptConnection(local, remote); // per accepted socket
        TlsModuleInfo info = tls.Info();
        await host.StopAsync();
        // README sample: end
        return info;
    }
}
