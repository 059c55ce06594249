using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// ALPN (RFC 7301) on a context. A client context offers its list (<c>SSL_CTX_set_alpn_protos</c>); a server context
/// keeps its list in ex_data and selects, in the server's order of preference, the first protocol the client also
/// offers. A client that offers ALPN but none of the server's protocols is refused with the fatal
/// <c>no_application_protocol</c> alert, as RFC 7301 §3.2 requires; a client that offers no ALPN goes on without.
/// Lists are in wire format: each protocol as one length byte and its bytes.
/// </summary>
internal static unsafe class ApplicationProtocolNegotiation
{
    private const string CallbackName = "ALPN selection callback";

    private static readonly ManagedExDataSlot Slot = new(Crypto.CRYPTO_EX_INDEX_SSL_CTX, "the ALPN protocols");

    // A server connection's own list, used only when its context has none (a host such as Kestrel knows what it speaks).
    private static readonly ManagedExDataSlot ConnectionSlot = new(Crypto.CRYPTO_EX_INDEX_SSL, "the connection's ALPN protocols");

    private static ServerList? s_lastFallback; // the holder of the last fallback list attached (AttachFallback)

    /// <summary>Makes a client context offer <paramref name="wireList"/>; false when OpenSSL refused it (a malformed list).</summary>
    internal static bool Offer(SafeSslContextHandle context, ReadOnlySpan<byte> wireList)
    {
        fixed (byte* list = wireList)
        {
            // SSL_CTX_set_alpn_protos copies the list, and returns 0 on success (unlike most of OpenSSL).
            return Ssl.SSL_CTX_set_alpn_protos(context.Pointer, list, (uint)wireList.Length) == 0;
        }
    }

    /// <summary>Makes a server context select from <paramref name="wireList"/> (the server's order of preference).</summary>
    internal static void Select(SafeSslContextHandle context, byte[] wireList)
    {
        // From here SSL_CTX_free releases the list's GCHandle.
        Slot.Attach(context.Pointer, new ServerList(wireList));
        Ssl.SSL_CTX_set_alpn_select_cb(context.Pointer, &OnSelect, null);
    }

    /// <summary>
    /// Makes a server context without a list of its own select from its connections' lists (<see cref="AttachFallback"/>);
    /// a connection without one goes on without ALPN, exactly as if no callback were set.
    /// </summary>
    internal static void InstallSelection(SafeSslContextHandle context) =>
        Ssl.SSL_CTX_set_alpn_select_cb(context.Pointer, &OnSelect, null);

    /// <summary>Gives a server connection <paramref name="wireList"/> to select from when its context has no list; the SSL owns it from here.</summary>
    internal static void AttachFallback(SSL* ssl, byte[] wireList)
    {
        // Connections given the same list (one array per Kestrel endpoint) share one holder: nothing allocated per connection.
        ServerList? last = Volatile.Read(ref s_lastFallback);
        if (last is null || !ReferenceEquals(last.WireList, wireList))
        {
            last = new ServerList(wireList);
            Volatile.Write(ref s_lastFallback, last);
        }

        ConnectionSlot.Attach(ssl, last);
    }

    /// <summary>Whether <paramref name="wireList"/> is <paramref name="protocols"/> in wire format (no allocation).</summary>
    internal static bool IsWireListOf(ReadOnlySpan<byte> wireList, IReadOnlyList<System.Net.Security.SslApplicationProtocol> protocols)
    {
        int offset = 0;
        for (int i = 0; i < protocols.Count; i++)
        {
            ReadOnlySpan<byte> name = protocols[i].Protocol.Span;
            if (offset + 1 + name.Length > wireList.Length || wireList[offset] != name.Length || !wireList.Slice(offset + 1, name.Length).SequenceEqual(name))
            {
                return false;
            }

            offset += 1 + name.Length;
        }

        return offset == wireList.Length;
    }

    /// <summary>
    /// <paramref name="protocols"/> in wire format; <see cref="ArgumentException"/> naming the protocol when one is
    /// not 1..255 bytes, or the list does not fit one extension.
    /// </summary>
    internal static byte[] ToWireList(IReadOnlyList<System.Net.Security.SslApplicationProtocol> protocols, string parameterName)
    {
        var wire = new List<byte>();
        foreach (System.Net.Security.SslApplicationProtocol protocol in protocols)
        {
            ReadOnlySpan<byte> name = protocol.Protocol.Span;
            if (name.Length is 0 or > 255)
            {
                throw new ArgumentException($"An ALPN protocol must be 1..255 bytes, not {name.Length} ('{protocol}').", parameterName);
            }

            wire.Add((byte)name.Length);
            wire.AddRange(name);
        }

        return wire.Count <= ushort.MaxValue - 2
            ? [.. wire]
            : throw new ArgumentException($"The ALPN list takes {wire.Count} bytes, more than one extension holds.", parameterName);
    }

    /// <summary>The protocol an established connection negotiated, or null when none was.</summary>
    internal static byte[]? Negotiated(SSL* ssl)
    {
        byte* data = null;
        uint length = 0;
        Ssl.SSL_get0_alpn_selected(ssl, &data, &length);
        return data == null || length == 0 ? null : new ReadOnlySpan<byte>(data, (int)length).ToArray();
    }

    /// <summary>
    /// The index of the first protocol of <paramref name="preferred"/> that <paramref name="offered"/> holds too, as an
    /// offset and length into <paramref name="offered"/>; false when they share none or a list is malformed.
    /// </summary>
    internal static bool TryChoose(ReadOnlySpan<byte> preferred, ReadOnlySpan<byte> offered, out int offset, out int length)
    {
        for (ReadOnlySpan<byte> ours = preferred; TryNext(ref ours, out ReadOnlySpan<byte> protocol);)
        {
            int position = 0;
            for (ReadOnlySpan<byte> theirs = offered; TryNext(ref theirs, out ReadOnlySpan<byte> candidate);)
            {
                if (candidate.SequenceEqual(protocol))
                {
                    offset = position + 1;
                    length = candidate.Length;
                    return true;
                }

                position += 1 + candidate.Length;
            }
        }

        offset = 0;
        length = 0;
        return false;
    }

    private static bool TryNext(ref ReadOnlySpan<byte> list, out ReadOnlySpan<byte> protocol)
    {
        if (list.Length < 2 || list[0] == 0 || list[0] > list.Length - 1)
        {
            protocol = default;
            return false;
        }

        protocol = list.Slice(1, list[0]);
        list = list[(1 + list[0])..];
        return true;
    }

    /// <summary>
    /// <c>SSL_CTX_alpn_select_cb_func</c>. The list is read from the connection's current context, so after an SNI
    /// switch the chosen profile's protocols apply. The selection points into the client's list (<paramref name="input"/>),
    /// which OpenSSL keeps until it has copied the choice, so no managed memory is handed out.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSelect(SSL* ssl, byte** output, byte* outputLength, byte* input, uint inputLength, void* argument)
    {
        var call = new SelectCall(ssl, output, outputLength, input, inputLength);
        return NativeCallback.Run(CallbackName, ref call, &Choose, Ssl.SSL_TLSEXT_ERR_ALERT_FATAL);
    }

    private static int Choose(ref SelectCall call)
    {
        if ((Slot.Get<ServerList>(Ssl.SSL_get_SSL_CTX(call.Ssl)) ?? ConnectionSlot.Get<ServerList>(call.Ssl)) is not { } server)
        {
            return Ssl.SSL_TLSEXT_ERR_NOACK; // a profile without ALPN (and no list of the connection's): no protocol, no refusal
        }

        var offered = new ReadOnlySpan<byte>(call.Input, checked((int)call.InputLength));
        if (!TryChoose(server.WireList, offered, out int offset, out int length))
        {
            return Ssl.SSL_TLSEXT_ERR_ALERT_FATAL; // OpenSSL sends no_application_protocol
        }

        *call.Output = call.Input + offset;
        *call.OutputLength = (byte)length;
        return Ssl.SSL_TLSEXT_ERR_OK;
    }

    private readonly struct SelectCall(SSL* ssl, byte** output, byte* outputLength, byte* input, uint inputLength)
    {
        public SSL* Ssl { get; } = ssl;

        public byte** Output { get; } = output;

        public byte* OutputLength { get; } = outputLength;

        public byte* Input { get; } = input;

        public uint InputLength { get; } = inputLength;
    }

    /// <summary>A server context's protocols, in wire format and the server's order of preference.</summary>
    private sealed class ServerList(byte[] wireList)
    {
        public byte[] WireList { get; } = wireList;
    }
}
