using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Profiles;

/// <summary>
/// Session tickets sealed with a <see cref="TlsTicketKeyRing"/>: separate server contexts (two nodes, or two reloads,
/// each with its own SSL_CTX and so its own random OpenSSL keys) resume each other's tickets only through a shared
/// ring, keep resuming across a rotation within the window, and stop once the key left it.
/// </summary>
public sealed class TicketKeyRingTests : NativeLeakCheck
{
    public static TheoryData<TlsMethod> Versions => new() { TlsMethod.TLSv1_3, TlsMethod.TLSv1_2 };

    [Theory]
    [MemberData(nameof(Versions))]
    public void Without_a_shared_ring_another_context_does_not_resume_the_ticket(TlsMethod method)
    {
        using TlsProfile nodeA = Server(method, ring: null);
        using TlsProfile nodeB = Server(method, ring: null);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));

        using TlsSession session = Resumption.FirstSession(nodeA, client);

        Assert.True(Resumption.Resumes(nodeA, client, session));
        Assert.False(Resumption.Resumes(nodeB, client, session), "a context with its own random ticket keys resumed another's ticket");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void A_shared_ring_resumes_tickets_across_contexts(TlsMethod method)
    {
        using var ring = new TlsTicketKeyRing();
        ring.Rotate();
        using TlsProfile nodeA = Server(method, ring);
        using TlsProfile nodeB = Server(method, ring);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));

        using TlsSession session = Resumption.FirstSession(nodeA, client);

        Assert.True(Resumption.Resumes(nodeB, client, session), "the other context did not open a ticket sealed with the shared key");
        Assert.True(ring.TicketsSealed >= 1);
        Assert.True(ring.TicketsOpened >= 1);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public void Tickets_of_older_keys_resume_within_the_window_and_not_after(TlsMethod method)
    {
        using var ring = new TlsTicketKeyRing(window: 2);
        ring.Rotate();
        using TlsProfile server = Server(method, ring);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(method));
        using TlsSession session = Resumption.FirstSession(server, client);

        ring.Rotate();
        long renewed = ring.TicketsRenewed;
        Assert.True(Resumption.Resumes(server, client, session), "a ticket of the previous key did not resume");
        Assert.Equal(renewed + 1, ring.TicketsRenewed);

        ring.Rotate();
        long unknown = ring.TicketsUnknown;
        Assert.False(Resumption.Resumes(server, client, session), "a ticket of a key that left the window resumed");
        Assert.Equal(unknown + 1, ring.TicketsUnknown);
    }

    [Fact]
    public void An_empty_or_disposed_ring_issues_no_ticket_and_handshakes_still_complete()
    {
        var ring = new TlsTicketKeyRing();
        using TlsProfile server = Server(TlsMethod.TLSv1_2, ring);
        using TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings(TlsMethod.TLSv1_2));

        using (TlsSession session = Resumption.FirstSession(server, client))
        {
            Assert.Equal(0, ring.TicketsSealed);
            Assert.False(Resumption.Resumes(server, client, session));
        }

        ring.Rotate();
        using TlsSession sealedOne = Resumption.FirstSession(server, client);
        ring.Dispose();
        Assert.False(Resumption.Resumes(server, client, sealedOne), "a disposed ring opened a ticket");
    }

    [Fact]
    public void Replace_keeps_held_keys_and_the_window()
    {
        using var ring = new TlsTicketKeyRing(window: 2);
        byte[] material = new byte[TlsTicketKey.SerializedLength];
        TlsTicketKey[] keys = [.. Enumerable.Range(1, 3).Select(i => { material.AsSpan().Fill((byte)i); return TlsTicketKey.FromBytes(material); })];

        Assert.True(ring.Replace(keys));
        Assert.Equal([keys[0].Name, keys[1].Name], ring.KeyNames);
        long generation = ring.Generation;

        material.AsSpan().Fill(1);
        Assert.False(ring.Replace([TlsTicketKey.FromBytes(material), CopyOf(keys[1])]));
        Assert.Equal(generation, ring.Generation);
        Assert.Throws<ObjectDisposedException>(() => keys[2].CopyTo(new byte[TlsTicketKey.SerializedLength]));
        Assert.Throws<ArgumentException>(() => TlsTicketKey.FromBytes(new byte[48]));
    }

    private static TlsTicketKey CopyOf(TlsTicketKey key)
    {
        byte[] material = new byte[TlsTicketKey.SerializedLength];
        key.CopyTo(material);
        return TlsTicketKey.FromBytes(material);
    }

    private static TlsProfile Server(TlsMethod method, TlsTicketKeyRing? ring) =>
        TlsProfile.Create(
            TlsRole.Server,
            InMemoryConnectionTests.ServerSettings(method),
            new TlsTuning { SessionCache = true },
            new TlsRuntimeParameters { TicketKeys = ring });
}
