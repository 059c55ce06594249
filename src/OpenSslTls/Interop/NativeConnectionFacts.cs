using System.Globalization;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Connections;

namespace OpenSslTls.Interop;

/// <summary>Safe entry points for connection facts; the caller holds a lease on the engine's handle.</summary>
internal static unsafe class NativeConnectionFacts
{
    internal static TlsConnectionInfo Read(SslEngine engine, string? sentServerName, bool isServer) =>
        ConnectionInfoReader.Read(engine.Pointer, sentServerName, isServer);

    /// <summary>OpenSSL's text for a verify result, with the CRL rule spelled out where it is the cause.</summary>
    internal static string VerifyText(long code)
    {
        string text = Utf8Z.ToString(Crypto.X509_verify_cert_error_string((nint)code)) ?? "unknown";
        string described = $"{text} (X509_V_ERR {code.ToString(CultureInfo.InvariantCulture)})";
        return code == Crypto.X509_V_ERR_UNABLE_TO_GET_CRL
            ? described + "; with 'crl' set, OpenSSL checks the whole chain, so the CRL file must hold a current CRL from every CA of the chain"
            : described;
    }
}
