using System.Diagnostics.Metrics;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// An <see cref="IMeterFactory"/> whose meters carry this factory as their scope, so a test's
/// <c>MetricCollector(factory, ...)</c> sees only the module it made, never the modules of tests running in parallel.
/// </summary>
public sealed class ScopedMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
        {
            _meters.Add(meter);
        }

        return meter;
    }

    public void Dispose()
    {
        lock (_meters)
        {
            _meters.ForEach(meter => meter.Dispose());
            _meters.Clear();
        }
    }
}
