using System.Text;
using OpenSslTls.Tests.Infrastructure;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>Writing exact bytes (CRLFs included) to an s_client's stdin.</summary>
internal static class OpenSslProcessRawWrites
{
    public static void WriteRaw(this OpenSslProcess process, string text) => process.Write(Encoding.UTF8.GetBytes(text));
}
