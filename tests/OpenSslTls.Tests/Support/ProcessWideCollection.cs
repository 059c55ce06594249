namespace OpenSslTls.Tests.Support;

/// <summary>
/// Test classes that change or measure something the whole test process shares: environment variables, static test
/// hooks, process-global OpenSSL settings (rand_engine, the key log), the managed heap or resident memory. xunit runs
/// the collections that disable parallelization after the parallel ones, one test at a time with nothing alongside.
/// Each class says which shared thing puts it here.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "Process-wide state";
}
