using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.OpenSsl;

namespace OpenSslTls.Profiles;

/// <summary>
/// A <c>private_key</c> value, loaded: a PEM file path; <c>/engine:&lt;key id&gt;</c>, a key held by the configured
/// engine; <c>/uri:&lt;URI&gt;</c>, a key from an OpenSSL store. Failures become a <see cref="TlsProfileException"/>
/// that says what went wrong in Kamailio's terms; messages never contain the password or a PIN.
/// </summary>
internal static class PrivateKeyReference
{
    /// <summary>The prefix of keys held by the configured engine (Kamailio's syntax).</summary>
    internal const string EnginePrefix = "/engine:";

    /// <summary>The prefix of keys loaded through an OpenSSL store URI (Kamailio's syntax for OpenSSL 3).</summary>
    internal const string UriPrefix = "/uri:";

    /// <summary>Loads the key <paramref name="reference"/> names for <paramref name="parameter"/> of <paramref name="profile"/>.</summary>
    internal static SafeEvpPKeyHandle Load(string reference, string? password, string parameter, string profile, OpenSslEngine? engine)
    {
        if (reference.StartsWith(EnginePrefix, StringComparison.Ordinal))
        {
            string keyId = reference[EnginePrefix.Length..];
            if (engine is null)
            {
                throw new TlsProfileException(profile, parameter,
                    $"'{SecretRedaction.RedactReference(reference)}' is a key held by an engine, but no engine is configured (engine = NONE)");
            }

            return engine.LoadPrivateKey(keyId, password, parameter, profile);
        }

        if (reference.StartsWith(UriPrefix, StringComparison.Ordinal))
        {
            return LoadFromStore(reference[UriPrefix.Length..], password, parameter, profile);
        }

        return LoadPem(reference, password, parameter, profile);
    }

    /// <summary>Loads the PEM key file <paramref name="path"/>.</summary>
    internal static SafeEvpPKeyHandle LoadPem(string path, string? password, string parameter, string profile)
    {
        try
        {
            return PrivateKeyLoader.LoadPem(path, password);
        }
        catch (OpenSslException e)
        {
            string problem = e.Operation.StartsWith(PrivateKeyLoader.OpenStep, StringComparison.Ordinal)
                ? $"cannot open private key '{path}'"
                : DescribePem(path, password, e.Errors);
            throw new TlsProfileException(profile, parameter, problem, e);
        }
    }

    private static SafeEvpPKeyHandle LoadFromStore(string uri, string? password, string parameter, string profile)
    {
        string shown = SecretRedaction.RedactReference($"/uri:{uri}");
        try
        {
            return KeyStoreLoader.Load(uri, password, shown);
        }
        catch (OpenSslException e)
        {
            string problem = e.Operation.StartsWith(KeyStoreLoader.CallbackStep, StringComparison.Ordinal) ? $"{shown}: cannot create the password callback"
                : e.Operation.StartsWith(KeyStoreLoader.OpenStep, StringComparison.Ordinal) ? DescribeStoreOpen(uri, shown, e.Errors)
                : DescribeStoreLoad(shown, password is not null, e.Errors);
            throw new TlsProfileException(profile, parameter, problem, e);
        }
    }

    private static string DescribePem(string path, string? password, IReadOnlyList<OpenSslError> errors)
    {
        bool badDecrypt = errors.Any(e => e.Reason.Contains("bad decrypt", StringComparison.OrdinalIgnoreCase)
            || e.Reason.Contains("decrypt", StringComparison.OrdinalIgnoreCase));
        bool needsPassword = errors.Any(e => e.Reason.Contains("password", StringComparison.OrdinalIgnoreCase)
            || e.Reason.Contains("problems getting", StringComparison.OrdinalIgnoreCase));
        if (password is null && (needsPassword || badDecrypt))
        {
            return $"private key '{path}' is encrypted and no password is configured";
        }

        if (badDecrypt)
        {
            return $"wrong password for private key '{path}'";
        }

        return $"no usable private key in '{path}'";
    }

    private static string DescribeStoreOpen(string uri, string shown, IReadOnlyList<OpenSslError> errors)
    {
        // Before the system-error test: 3.5 follows its "no loader" error with the failure of opening the URI as a file.
        if (errors.Any(e => ErrorCodes.IsStoreSchemeWithoutLoader(e.Code)))
        {
            int colon = uri.IndexOf(':', StringComparison.Ordinal);
            string scheme = colon > 0 ? uri[..colon] : uri;
            return $"{shown}: no OpenSSL store loader handles the scheme '{scheme}' (activate a provider for it in openssl.cnf; " +
                "file: URIs and plain paths always work)";
        }

        if (errors.Any(e => e.IsSystemError || e.Reason.Contains("no such file", StringComparison.OrdinalIgnoreCase)))
        {
            return $"{shown}: cannot open (no such file or not readable)";
        }

        return $"{shown}: the store cannot be opened";
    }

    private static string DescribeStoreLoad(string shown, bool hasPassword, IReadOnlyList<OpenSslError> errors)
    {
        bool Has(string text) => errors.Any(e => e.Reason.Contains(text, StringComparison.OrdinalIgnoreCase));
        bool decryptFailed = Has("bad decrypt") || Has("decrypt") || Has("pkcs12") || Has("mac verify");
        bool passwordFailed = Has("password") || Has("problems getting") || Has("interrupted or cancelled") || Has("processing error");
        if (!hasPassword && (decryptFailed || passwordFailed))
        {
            return $"{shown} is encrypted and no password is configured (private_key_password)";
        }

        if (hasPassword && (decryptFailed || passwordFailed))
        {
            return $"wrong password for {shown}";
        }

        return $"{shown} holds no private key";
    }
}
