using System.Security.Cryptography;
using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// One session-ticket key: a 16-byte name (sent in every ticket, so a server finds the key that sealed it), a
/// 32-byte HMAC-SHA256 secret and a 32-byte AES-256 key. Its 80-byte form (<see cref="CopyTo"/>) is nginx's
/// <c>ssl_session_ticket_key</c> file format: name, HMAC secret, AES key. The material lives in a pinned array that
/// <see cref="Dispose"/> zeroes; a disposed key seals and opens nothing.
/// </summary>
public sealed class TlsTicketKey : IDisposable
{
    /// <summary>Bytes of a key in its serialised form: name (16), HMAC secret (32), AES key (32).</summary>
    public const int SerializedLength = TicketKeyCallback.NameBytes + (2 * TicketKeyCallback.SecretBytes);

    private readonly byte[] _material = GC.AllocateArray<byte>(SerializedLength, pinned: true);
    private readonly Lock _gate = new();
    private bool _disposed;

    private TlsTicketKey(DateTimeOffset created)
    {
        Created = created;
    }

    /// <summary>When the key was made (by whichever node made it).</summary>
    public DateTimeOffset Created { get; }

    /// <summary>The key's name as lower-case hex: safe to log and show (it is in every ticket in clear).</summary>
    public string Name => Convert.ToHexStringLower(_material.AsSpan(0, TicketKeyCallback.NameBytes));

    /// <summary>A new key from OpenSSL's private random generator.</summary>
    public static TlsTicketKey Generate(DateTimeOffset? created = null)
    {
        var key = new TlsTicketKey(created ?? DateTimeOffset.UtcNow);
        PrivateRandom.Fill(key._material);
        return key;
    }

    /// <summary>
    /// A key from its <see cref="SerializedLength"/>-byte form (nginx's 80-byte key file). The caller may zero
    /// <paramref name="material"/> afterwards: the key keeps its own copy.
    /// </summary>
    /// <exception cref="ArgumentException">Not exactly <see cref="SerializedLength"/> bytes.</exception>
    public static TlsTicketKey FromBytes(ReadOnlySpan<byte> material, DateTimeOffset? created = null)
    {
        if (material.Length != SerializedLength)
        {
            throw new ArgumentException($"a session ticket key is {SerializedLength} bytes (name 16, HMAC secret 32, AES key 32), not {material.Length}", nameof(material));
        }

        var key = new TlsTicketKey(created ?? DateTimeOffset.UtcNow);
        material.CopyTo(key._material);
        return key;
    }

    /// <summary>Writes the <see cref="SerializedLength"/>-byte form; the caller owns (and should zero) the copy.</summary>
    /// <exception cref="ObjectDisposedException">The key was disposed.</exception>
    public void CopyTo(Span<byte> destination)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _material.CopyTo(destination);
        }
    }

    /// <summary>Zeroes the material.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            CryptographicOperations.ZeroMemory(_material);
        }
    }

    internal bool HasName(ReadOnlySpan<byte> name) => !_disposed && _material.AsSpan(0, TicketKeyCallback.NameBytes).SequenceEqual(name);

    /// <summary>Copies the three parts for the ticket callback; false once disposed.</summary>
    internal bool TryCopy(Span<byte> name, Span<byte> hmacSecret, Span<byte> aesKey)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false;
            }

            ReadOnlySpan<byte> material = _material;
            if (!name.IsEmpty)
            {
                material[..TicketKeyCallback.NameBytes].CopyTo(name);
            }

            material.Slice(TicketKeyCallback.NameBytes, TicketKeyCallback.SecretBytes).CopyTo(hmacSecret);
            material.Slice(TicketKeyCallback.NameBytes + TicketKeyCallback.SecretBytes, TicketKeyCallback.SecretBytes).CopyTo(aesKey);
            return true;
        }
    }
}
