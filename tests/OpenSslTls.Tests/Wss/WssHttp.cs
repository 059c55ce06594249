using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;

namespace OpenSslTls.Tests.Wss;

/// <summary>.NET clients of serve's WebSocket listener that trust exactly its certificate (pinned), nothing else.</summary>
internal static class WssHttp
{
    public static SocketsHttpHandler PinnedHandler(WssServe serve)
    {
        string expected = Thumbprint(serve);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, certificate, _, _) => Pinned(certificate, expected) },
        };
    }

    /// <summary>A WebSocket client with <paramref name="subprotocol"/>, connected to <paramref name="path"/> over wss.</summary>
    public static async Task<ClientWebSocket> ConnectAsync(WssServe serve, string path, string subprotocol)
    {
        string expected = Thumbprint(serve);
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(subprotocol);
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) => Pinned(certificate, expected);
        using var limit = new CancellationTokenSource(WssServe.Wait);
        await socket.ConnectAsync(new Uri($"wss://127.0.0.1:{serve.Port}{path}"), limit.Token);
        return socket;
    }

    private static string Thumbprint(WssServe serve)
    {
        using X509Certificate2 certificate = serve.LoadCertificate();
        return certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
    }

    private static bool Pinned(X509Certificate? certificate, string expected) =>
        certificate is not null && certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == expected;
}
