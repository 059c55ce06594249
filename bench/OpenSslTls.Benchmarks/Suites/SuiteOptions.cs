namespace OpenSslTls.Benchmarks.Suites;

/// <summary>Command-line options shared by the quick and the full suite.</summary>
internal sealed record SuiteOptions(string? CHarnessPath, int Connections, IReadOnlyList<string> ScenarioFilter)
{
    public bool Includes(Scenario scenario) => ScenarioFilter.Count == 0 || ScenarioFilter.Any(f => scenario.Id.Contains(f, StringComparison.Ordinal));
}
