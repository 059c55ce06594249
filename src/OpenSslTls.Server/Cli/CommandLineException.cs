namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>A command line that cannot be run as given; the message says what to change. Exit code <see cref="ExitCodes.Usage"/>.</summary>
internal sealed class CommandLineException : Exception
{
    public CommandLineException()
    {
    }

    public CommandLineException(string message)
        : base(message)
    {
    }

    public CommandLineException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
