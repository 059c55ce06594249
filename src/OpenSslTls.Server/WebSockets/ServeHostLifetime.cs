using Microsoft.Extensions.Hosting;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// The WebSocket listener's host lifetime: none of its own. serve handles SIGTERM and Ctrl-C once for both listeners
/// and stops this one itself; the default console lifetime would stop Kestrel on the signal behind serve's back.
/// </summary>
internal sealed class ServeHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
