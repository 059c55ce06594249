namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>Process exit codes of every command.</summary>
internal static class ExitCodes
{
    /// <summary>Done; for <c>send</c>: every request got a 2xx reply.</summary>
    public const int Success = 0;

    /// <summary>The command ran and failed (TLS, network, files, a non-2xx reply).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong, or asks for something not available yet.</summary>
    public const int Usage = 2;
}
