using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>Bytes from OpenSSL's private DRBG (<c>RAND_priv_bytes</c>), the one meant for long-term secrets.</summary>
internal static unsafe class PrivateRandom
{
    internal static void Fill(Span<byte> destination)
    {
        fixed (byte* bytes = destination)
        {
            if (Crypto.RAND_priv_bytes(bytes, destination.Length) != 1)
            {
                throw ErrorQueue.Drain("RAND_priv_bytes");
            }
        }
    }
}
