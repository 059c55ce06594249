namespace OpenSslTls.OpenSsl;

/// <summary>An OpenSSL version as <c>OpenSSL_version_num()</c> encodes it (<c>0xMNN00PP0L</c> since 3.0).</summary>
/// <param name="Major">The major version (3 for OpenSSL 3.x).</param>
/// <param name="Minor">The minor version.</param>
/// <param name="Patch">The patch level.</param>
public readonly record struct OpenSslVersion(int Major, int Minor, int Patch)
{
    /// <summary>Decodes <c>OpenSSL_version_num()</c>.</summary>
    public static OpenSslVersion FromNumber(ulong number) =>
        new((int)((number >> 28) & 0xF), (int)((number >> 20) & 0xFF), (int)((number >> 4) & 0xFF));

    /// <summary>Whether major and minor equal <paramref name="other"/>'s: the ABI compatibility rule of OpenSSL 3.</summary>
    public bool IsAbiCompatibleWith(OpenSslVersion other) => Major == other.Major && Minor == other.Minor;

    /// <summary><c>major.minor.patch</c>.</summary>
    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
