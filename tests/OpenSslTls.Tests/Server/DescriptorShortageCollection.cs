namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>
/// The out-of-descriptors test alone (<see cref="DescriptorShortageTests"/>): xunit runs collections that disable
/// parallelization after the parallel ones, with nothing alongside.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DescriptorShortageCollection
{
    public const string Name = "Out of file descriptors";
}
