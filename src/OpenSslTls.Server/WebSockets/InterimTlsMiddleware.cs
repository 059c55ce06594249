using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using OpenSslTls.Connections;
using OpenSslTls.Module;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// INTERIM, until the OpenSslTls.AspNetCore middleware lands: TLS over the Kestrel connection through
/// <see cref="TlsDuplexPipe"/> with connections from the module. Replaced by that package's UseOpenSslTls.
/// </summary>
internal static class InterimTlsMiddleware
{
    public static void Use(ListenOptions listen, TlsModule module, TimeSpan handshakeTimeout) => listen.Use(next => async context =>
    {
        TlsConnection tls = module.AcceptConnection((IPEndPoint)context.LocalEndPoint!, (IPEndPoint)context.RemoteEndPoint!);
        await using var pipe = new TlsDuplexPipe(context.Transport, tls);
        using (var limit = new CancellationTokenSource(handshakeTimeout))
        {
            try
            {
                await pipe.AuthenticateAsync(limit.Token).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // interim
            catch (Exception)
#pragma warning restore CA1031
            {
                return;
            }
        }

        IDuplexPipe original = context.Transport;
        context.Transport = pipe;
        context.Features.Set(new InterimTlsFeature(tls));
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            await pipe.Output.CompleteAsync().ConfigureAwait(false);
            context.Transport = original;
        }
    });

    public static TlsConnection? Of(IFeatureCollection features) => features.Get<InterimTlsFeature>()?.Tls;

    internal sealed record InterimTlsFeature(TlsConnection Tls);
}
