using System.Security.Cryptography;
using OpenSslTls.Connections;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Tests.Profiles;

/// <summary>
/// <c>session_id</c> watched in real resumptions: OpenSSL resumes a session or ticket only under the session id context
/// it was issued with. Three server contexts of the same profile (as three servers, or generations, of one
/// configuration would have) are made to share what resumption needs besides that, as servers of one cluster do: the
/// ticket keys, and for TLS 1.2 session ids the cached session. Then only the session id context decides.
/// </summary>
public sealed unsafe class SessionIdContextTests : NativeLeakCheck
{
    [Theory]
    [InlineData(TlsMethod.TLSv1_3, true)]
    [InlineData(TlsMethod.TLSv1_2, true)]
    [InlineData(TlsMethod.TLSv1_2, false)]
    public void A_session_resumes_on_another_context_only_when_its_session_id_is_the_same(TlsMethod method, bool tickets)
    {
        using TlsProfile issuer = Server("site-a", method, tickets);
        using TlsProfile sameId = Server("site-a", method, tickets);
        using TlsProfile otherId = Server("site-b", method, tickets);
        ShareTicketKeys(issuer, sameId, otherId);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));

        using TlsSession session = FirstHandshake(issuer, client, shareWith: tickets ? [] : [sameId, otherId]);

        Assert.True(Resumption.Resumes(issuer, client, session), "the issuing context itself did not resume the session");
        Assert.True(Resumption.Resumes(sameId, client, session), "another context with the same session_id did not resume the session");
        Assert.False(Resumption.Resumes(otherId, client, session), "a context with another session_id resumed the session");
    }

    private static TlsProfile Server(string sessionId, TlsMethod method, bool tickets)
    {
        TlsProfile profile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(method), new TlsTuning { SessionCache = true, SessionId = sessionId });
        if (!tickets)
        {
            SslContextNative.SetOptions(profile.Context, Ssl.SSL_OP_NO_TICKET);
        }

        return profile;
    }

    /// <summary>One set of ticket keys (name, HMAC and AES keys: 80 bytes) for every context.</summary>
    private static void ShareTicketKeys(params TlsProfile[] profiles)
    {
        byte[] keys = RandomNumberGenerator.GetBytes(80);
        fixed (byte* data = keys)
        {
            foreach (TlsProfile profile in profiles)
            {
                Assert.Equal(1, (int)Ssl.SSL_CTX_ctrl(profile.Context.Pointer, Ssl.SSL_CTRL_SET_TLSEXT_TICKET_KEYS, keys.Length, data));
            }
        }
    }

    /// <summary>A full handshake on <paramref name="server"/>; its session goes into the caches of <paramref name="shareWith"/>.</summary>
    private static TlsSession FirstHandshake(TlsProfile server, TlsProfile client, TlsProfile[] shareWith)
    {
        using var pair = new TlsPair(server, client, "localhost");
        Resumption.Exchange(pair);
        Assert.False(pair.Server.Info!.SessionReused);
        using (var lease = new HandleLease(pair.Server.Engine.Handle))
        using (OpenSslHandle<SSL_SESSION> issued = pair.Server.Engine.GetSession()!)
        {
            foreach (TlsProfile other in shareWith)
            {
                // A copy for each cache: a cache links its sessions through the session object itself, so one object
                // in two caches corrupts both. SSL_CTX_add_session takes its own reference; the using drops ours.
                using OpenSslHandle<SSL_SESSION> copy = OpenSslHandle<SSL_SESSION>.TakeOwnership(Ssl.SSL_SESSION_dup(issued.Pointer), "SSL_SESSION_dup");
                Assert.Equal(1, Ssl.SSL_CTX_add_session(other.Context.Pointer, copy.Pointer));
            }
        }

        return pair.Client.GetSession() ?? throw new InvalidOperationException("the client got no session to resume");
    }
}
