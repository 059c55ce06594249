using System.Text.RegularExpressions;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// Keeps PINs and passwords out of log lines and exception messages: masks secret values inside OpenSSL's queued
/// errors and inside key references (RFC 7512 <c>pin-value</c> attributes of PKCS#11 URIs).
/// </summary>
internal static partial class SecretRedaction
{
    /// <summary>What a secret is replaced with.</summary>
    internal const string Mask = "(hidden)";

    /// <summary>Whether an engine control command carries a secret (PIN, passphrase, password, secret).</summary>
    internal static bool IsSecretControl(string name) =>
        name.Contains("PIN", StringComparison.OrdinalIgnoreCase)
        || name.Contains("PASS", StringComparison.OrdinalIgnoreCase)
        || name.Contains("SECRET", StringComparison.OrdinalIgnoreCase);

    /// <summary>Masks <c>pin-value=…</c> (up to the next <c>;</c>, <c>?</c> or <c>&amp;</c>) in a key reference.</summary>
    internal static string RedactReference(string reference) => PinValue().Replace(reference, "${name}" + Mask);

    /// <summary>Replaces every occurrence of each non-empty secret in <paramref name="text"/>.</summary>
    internal static string Scrub(string text, IReadOnlyCollection<string> secrets)
    {
        foreach (string secret in secrets)
        {
            if (secret.Length > 0)
            {
                text = text.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return RedactReference(text);
    }

    /// <summary>A copy of <paramref name="errors"/> with secrets masked in every text field OpenSSL may have filled from input.</summary>
    internal static List<OpenSslError> Scrub(List<OpenSslError> errors, IReadOnlyCollection<string> secrets) =>
        errors.ConvertAll(e => e with
        {
            Reason = Scrub(e.Reason, secrets),
            Data = e.Data is null ? null : Scrub(e.Data, secrets),
        });

    /// <summary>
    /// <see cref="ErrorQueue.Drain"/> with <paramref name="secrets"/> masked in every text OpenSSL may have filled
    /// from input (an engine may quote a PIN it was sent).
    /// </summary>
    internal static OpenSslException DrainScrubbed(string operation, IReadOnlyCollection<string> secrets) =>
        new($"{operation} failed", Scrub(ErrorQueue.DrainErrors(), secrets));

    [GeneratedRegex(@"(?<name>pin-value=)[^;?&]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PinValue();
}
