namespace OpenSslTls.Benchmarks;

/// <summary>A scenario id on the command line that no scenario has; the message lists the known ones.</summary>
internal sealed class UnknownScenarioException(string message) : ArgumentException(message);
