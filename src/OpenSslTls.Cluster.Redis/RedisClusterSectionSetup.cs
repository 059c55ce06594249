using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// Binds a configuration section to <see cref="RedisClusterOptions"/> by hand, so a value that is no number or time
/// becomes an error naming its key at the host's start instead of an exception from the binder.
/// </summary>
internal sealed class RedisClusterSectionSetup(IConfiguration section) : IConfigureOptions<RedisClusterOptions>
{
    public void Configure(RedisClusterOptions options)
    {
        options.SectionPath = section is IConfigurationSection s ? s.Path : "Cluster";
        options.Address = section["Address"] ?? options.Address;
        options.KeyFile = section["KeyFile"] ?? options.KeyFile;
        options.KeyPrefix = section["KeyPrefix"] ?? options.KeyPrefix;
        options.RotationInterval = Time(options, "RotationInterval", TimeSpan.FromSeconds(1)) ?? options.RotationInterval;
        options.LookupTimeout = Time(options, "LookupTimeout", TimeSpan.FromMilliseconds(1)) ?? options.LookupTimeout;
        if (section["Window"] is { } window)
        {
            if (int.TryParse(window, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
            {
                options.Window = n;
            }
            else
            {
                options.BindingErrors.Add($"{options.SectionPath}:Window: '{window}': not a whole number");
            }
        }
    }

    // A TimeSpan ("00:00:30") or a whole number of units (seconds for the rotation, milliseconds for the lookup).
    private TimeSpan? Time(RedisClusterOptions options, string key, TimeSpan unit)
    {
        if (section[key] is not { } text)
        {
            return null;
        }

        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long count))
        {
            return count * unit;
        }

        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan time))
        {
            return time;
        }

        options.BindingErrors.Add($"{options.SectionPath}:{key}: '{text}': expected a time (hh:mm:ss) or a whole number of {(unit == TimeSpan.FromSeconds(1) ? "seconds" : "milliseconds")}");
        return null;
    }
}
