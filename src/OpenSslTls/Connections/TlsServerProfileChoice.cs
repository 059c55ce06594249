using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// What a <see cref="TlsServerProfileSelectionCallback"/> decided: keep the connection's profile, use another server
/// profile (its certificate, CAs, verification, options and protocol range), or refuse the client.
/// </summary>
public readonly struct TlsServerProfileChoice : IEquatable<TlsServerProfileChoice>
{
    private TlsServerProfileChoice(TlsProfile? profile, string? refusal)
    {
        Profile = profile;
        Refusal = refusal;
    }

    /// <summary>Keep the profile the connection was created from (also what <c>default</c> means).</summary>
    public static TlsServerProfileChoice Keep => default;

    /// <summary>The server profile to use, or null to keep the connection's own.</summary>
    public TlsProfile? Profile { get; }

    /// <summary>Why the client is refused, or null when it is not.</summary>
    public string? Refusal { get; }

    /// <summary>True when the client is refused: the handshake fails with an unrecognized_name alert.</summary>
    public bool IsRefused => Refusal is not null;

    /// <summary>Use <paramref name="profile"/> (a server profile) for this handshake.</summary>
    public static TlsServerProfileChoice Use(TlsProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        return new TlsServerProfileChoice(profile, null);
    }

    /// <summary>
    /// Refuse the client: the handshake fails with an unrecognized_name alert (RFC 6066 §3), and the connection's
    /// failure names the server name and <paramref name="reason"/>.
    /// </summary>
    public static TlsServerProfileChoice Refuse(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return new TlsServerProfileChoice(null, reason);
    }

    /// <inheritdoc />
    public bool Equals(TlsServerProfileChoice other) => ReferenceEquals(Profile, other.Profile) && Refusal == other.Refusal;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is TlsServerProfileChoice other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Profile, Refusal);

    /// <summary>Whether both choices are the same.</summary>
    public static bool operator ==(TlsServerProfileChoice left, TlsServerProfileChoice right) => left.Equals(right);

    /// <summary>Whether the choices differ.</summary>
    public static bool operator !=(TlsServerProfileChoice left, TlsServerProfileChoice right) => !left.Equals(right);
}
