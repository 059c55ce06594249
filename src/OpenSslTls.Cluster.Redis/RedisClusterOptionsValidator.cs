using Microsoft.Extensions.Options;
using OpenSslTls.Configuration;

namespace OpenSslTls.Cluster.Redis;

/// <summary>
/// Checks <see cref="RedisClusterOptions"/> at the host's start: each error names its key (<c>TlsCluster:KeyFile</c>),
/// so a node with a bad address, a missing or short key file, or a rotation of zero does not start.
/// </summary>
internal sealed class RedisClusterOptionsValidator : IValidateOptions<RedisClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisClusterOptions options)
    {
        var errors = new List<string>(options.BindingErrors);
        if (string.IsNullOrWhiteSpace(options.Address))
        {
            errors.Add($"{options.KeyName("Address")}: not set (redis://HOST:PORT)");
        }
        else if (TlsClusterAddress.Parse(options.Address) is null)
        {
            errors.Add($"{options.KeyName("Address")}: '{options.Address}': expected {TlsClusterAddress.Expected}");
        }

        if (string.IsNullOrWhiteSpace(options.KeyFile))
        {
            errors.Add($"{options.KeyName("KeyFile")}: not set (the key-encryption key every node of the cluster shares)");
        }
        else
        {
            try
            {
                byte[] key = RedisTicketKeyStore.ReadKeyEncryptionKey(Path.GetFullPath(options.KeyFile));
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(key);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                errors.Add($"{options.KeyName("KeyFile")}: {e.Message}");
            }
        }

        if (options.RotationInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{options.KeyName("RotationInterval")}: {options.RotationInterval}: at least 1 second");
        }

        if (options.Window is < 2 or > 16)
        {
            errors.Add($"{options.KeyName("Window")}: {options.Window}: 2 to 16 keys (one seals, the older ones open tickets issued before a rotation)");
        }

        if (options.LookupTimeout < TimeSpan.FromMilliseconds(1) || options.LookupTimeout > TimeSpan.FromSeconds(5))
        {
            errors.Add($"{options.KeyName("LookupTimeout")}: {options.LookupTimeout}: 1 ms to 5 s");
        }

        if (string.IsNullOrEmpty(options.KeyPrefix))
        {
            errors.Add($"{options.KeyName("KeyPrefix")}: empty");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
