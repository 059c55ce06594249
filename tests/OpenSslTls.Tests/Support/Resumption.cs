using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Support;

/// <summary>In-memory handshakes that ask one question: does a server context resume a saved session or ticket?</summary>
public static class Resumption
{
    /// <summary>A full handshake on <paramref name="server"/> and a message each way; the client's session to offer later.</summary>
    public static TlsSession FirstSession(TlsProfile server, TlsProfile client)
    {
        using var pair = new TlsPair(server, client, "localhost");
        Exchange(pair);
        Assert.False(pair.Server.Info!.SessionReused);
        return pair.Client.GetSession() ?? throw new InvalidOperationException("the client got no session to resume");
    }

    /// <summary>Offers <paramref name="session"/> to <paramref name="server"/>: true when the handshake resumed it (either way it must complete).</summary>
    public static bool Resumes(TlsProfile server, TlsProfile client, TlsSession session)
    {
        using var pair = new TlsPair(server, client, "localhost", resume: session);
        Exchange(pair);
        Assert.Equal(pair.Server.Info!.SessionReused, pair.Client.Info!.SessionReused);
        return pair.Server.Info.SessionReused;
    }

    /// <summary>The handshake and a message each way (TLS 1.3 tickets come after the handshake).</summary>
    public static void Exchange(TlsPair pair)
    {
        Assert.True(pair.Handshake(), $"server: {pair.Server.Failure?.Message} client: {pair.Client.Failure?.Message}");
        pair.ClientSend("ping"u8);
        pair.Pump();
        pair.ServerSend("pong"u8);
        pair.Pump();
        Assert.Equal(4, pair.ServerReceived.WrittenCount);
        Assert.Equal(4, pair.ClientReceived.WrittenCount);
    }
}
