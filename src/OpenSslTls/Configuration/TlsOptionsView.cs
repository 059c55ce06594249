using OpenSslTls.Interop;

namespace OpenSslTls.Configuration;

/// <summary>Renders module options as Kamailio parameter names and values, masking secrets.</summary>
internal static class TlsOptionsView
{
    private static readonly HashSet<string> Secrets = new(StringComparer.OrdinalIgnoreCase) { "private_key_password" };

    internal static IReadOnlyDictionary<string, string?> Describe(TlsModuleOptions options)
    {
        var values = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        foreach (ModuleParameter parameter in ModuleParameters.All)
        {
            string? value = parameter.GetText(options);
            values[parameter.Name] = Secrets.Contains(parameter.Name) && !string.IsNullOrEmpty(value)
                ? "********"
                : value is null ? null : SecretRedaction.RedactReference(value); // a /uri: key may carry pin-value=
        }

        return values;
    }

    /// <summary>Whether <paramref name="name"/> is a parameter whose value is a secret (never echoed in messages).</summary>
    internal static bool IsSecret(string name) => Secrets.Contains(name);
}
