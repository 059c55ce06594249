using OpenSslTls.Certificates;
using OpenSslTls.Errors;
using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

// Certificates and keys beside PEM paths: DER and PKCS#12 files (recognised by content), TlsCertificateSource and
// TlsCertificateAuthorities. PEM files still go through OpenSSL's own file calls, exactly as before.
internal sealed partial class ProfileContextBuilder
{
    // Larger than any certificate bundle or key; a bigger file is not certificate material.
    private const long MaxMaterialFile = 64L << 20;

    private void ValidateCertificateSources()
    {
        foreach (CertificateSlot slot in new[] { _first, _second })
        {
            if (slot.Source is { } source && slot.Path is not null)
            {
                throw Invalid(slot.SourceParameter, $"{source.Description} and {slot.CertificateParameter} '{slot.Path}' are both set: use one");
            }

            if (slot.Source is not null && slot.KeyPath is not null && slot.Source.PrivateKeyPath is not null)
            {
                throw Invalid(slot.SourceParameter,
                    $"{slot.Source.Description} names its key file, and {slot.KeyParameter} is set too: use one");
            }
        }
    }

    /// <summary>
    /// Gives the context the slot's certificate and chain: a PEM file through <c>SSL_CTX_use_certificate_chain_file</c>
    /// (as always), a DER or PKCS#12 file, or a source; a PKCS#12 bundle's or a source's key is kept for <see cref="UseKey"/>.
    /// </summary>
    private void UseCertificate(SafeSslContextHandle ctx, CertificateSlot slot)
    {
        if (slot.Source is { } source)
        {
            CertificateMaterial? material;
            try
            {
                material = source.Material;
            }
            catch (ObjectDisposedException)
            {
                throw Invalid(slot.SourceParameter, $"{source.Description} was disposed before the profile was built");
            }

            if (material is not null)
            {
                slot.Borrow(material, source.Description);
                Install(ctx, slot, material);
                return;
            }

            // A file source: read like the settings' paths, with the source's key file and password.
            slot.UseFiles(source.CertificatePath!, source.PrivateKeyPath, source.Password, source.DeclaredPkcs12);
        }

        if (slot.Path is not { } path)
        {
            return;
        }

        string parameter = slot.Source is null ? slot.CertificateParameter : slot.SourceParameter;
        using PinnedSecret? bytes = TryReadMaterialFile(path);
        CertificateEncoding encoding = bytes is null ? CertificateEncoding.Pem : CertificateInput.Detect(bytes.Span);
        if (encoding == CertificateEncoding.Pem && !slot.DeclaredPkcs12)
        {
            // Unreadable files land here too: OpenSSL's own failure names the cause (no such file, permission).
            if (!SslContextNative.UseCertificateChainFile(ctx, path))
            {
                throw Fail(parameter, $"cannot load certificate chain '{path}'");
            }

            slot.Shown = $"'{path}'";
            return;
        }

        // The .p12/.pfx extension only matters for DER: read as PKCS#12 alone, so a failure describes the bundle.
        bool asPkcs12 = slot.DeclaredPkcs12 || (encoding == CertificateEncoding.Der && HasPkcs12Extension(path));
        CertificateMaterial loaded;
        try
        {
            loaded = CertificateInput.ReadCertificate(bytes!.Span, slot.Password, asPkcs12);
        }
        catch (CertificateInputException e)
        {
            throw new TlsProfileException(_label, parameter, $"'{path}' {e.Message}{PasswordHint(e, slot)}", e.OpenSslError);
        }

        slot.Own(loaded, $"'{path}'");
        Install(ctx, slot, loaded);
    }

    private void Install(SafeSslContextHandle ctx, CertificateSlot slot, CertificateMaterial material)
    {
        if (!SslContextNative.UseCertificate(ctx, material.Certificate, material.Chain))
        {
            throw Fail(slot.Source is null ? slot.CertificateParameter : slot.SourceParameter, $"OpenSSL refused certificate {slot.Shown}");
        }
    }

    /// <summary>
    /// Gives the context the slot's key: <c>private_key</c> when set (engine, store, PEM, DER or PKCS#12 file; a PKCS#12
    /// certificate file named again, as modparam mode's default does, gives its own key), else the key that came with the
    /// certificate. A certificate with no key at all is refused for <c>certificate2</c> and for sources (Kamailio's
    /// file-mode rule for <c>certificate</c> stays: it is not checked).
    /// </summary>
    private void UseKey(SafeSslContextHandle ctx, CertificateSlot slot, bool checkPair)
    {
        string? keyPath = slot.KeyPath;
        if (keyPath is null || (slot.Material?.Key is not null && string.Equals(keyPath, slot.Path, StringComparison.Ordinal)))
        {
            if (slot.Material?.Key is { } carried)
            {
                InstallKey(ctx, slot, carried, slot.Shown ?? slot.CertificateParameter, checkPair);
                return;
            }

            if (slot.Source is { } source && (slot.Path is null || keyPath is null))
            {
                throw Invalid(slot.SourceParameter, $"{source.Description} carries no private key and {slot.KeyParameter} is not set");
            }

            if (slot.Path is { } certificate && slot.CertificateParameter == "certificate2")
            {
                throw Invalid("certificate2", $"'{certificate}' is set but no private_key2 is");
            }

            return;
        }

        bool byReference = keyPath.StartsWith(PrivateKeyReference.EnginePrefix, StringComparison.Ordinal)
            || keyPath.StartsWith(PrivateKeyReference.UriPrefix, StringComparison.Ordinal);
        using PinnedSecret? bytes = byReference ? null : TryReadMaterialFile(keyPath);
        if (bytes is null || CertificateInput.Detect(bytes.Span) != CertificateEncoding.Der)
        {
            // PEM files, engine and store keys, and unreadable files: the established path and its messages.
            UsePrivateKey(ctx, keyPath, slot.KeyPassword, slot.Path ?? slot.Shown, slot.KeySetting, checkPair);
            return;
        }

        WarnIfReadableByOthers(keyPath, slot.KeySetting);
        SafeEvpPKeyHandle key;
        try
        {
            key = CertificateInput.ReadPrivateKey(bytes.Span, slot.KeyPassword);
        }
        catch (CertificateInputException e)
        {
            throw new TlsProfileException(_label, slot.KeySetting, $"'{keyPath}' {e.Message}{PasswordHint(e, slot)}", e.OpenSslError);
        }

        using (key)
        {
            InstallKey(ctx, slot, key, $"'{keyPath}'", checkPair);
        }
    }

    private void InstallKey(SafeSslContextHandle ctx, CertificateSlot slot, SafeEvpPKeyHandle key, string shownKey, bool checkPair)
    {
        string parameter = slot.KeyPath is null || slot.Material?.Key == key ? (slot.Source is null ? slot.CertificateParameter : slot.SourceParameter) : slot.KeySetting;

        // The context up-refs the key on success; on failure nothing changed hands.
        if (!SslContextNative.UsePrivateKey(ctx, key) || ((checkPair || slot.Source is not null) && !SslContextNative.CheckPrivateKey(ctx)))
        {
            throw Fail(parameter, $"key {shownKey} does not match certificate {slot.Shown}");
        }
    }

    /// <summary>
    /// <see cref="TlsProfileSettings.CertificateAuthorities"/>: a file (PEM as <c>ca_list</c>, DER added directly), a
    /// directory (as <c>ca_path</c>) or decoded certificates, each trusted and, except a directory's, sent as a CA name.
    /// </summary>
    private void AddCertificateAuthorities(SafeSslContextHandle ctx)
    {
        const string Parameter = "CertificateAuthorities";
        if (_settings.CertificateAuthorities is not { } authorities)
        {
            return;
        }

        IReadOnlyList<SafeX509Handle>? certificates;
        try
        {
            certificates = authorities.Certificates;
        }
        catch (ObjectDisposedException)
        {
            throw Invalid(Parameter, $"{authorities.Description} was disposed before the profile was built");
        }

        if (certificates is not null)
        {
            foreach (SafeX509Handle certificate in certificates)
            {
                if (!SslContextNative.AddTrustedCertificate(ctx, certificate, sendName: true))
                {
                    throw Fail(Parameter, $"cannot trust CA '{CertificateMaterialReader.SubjectOf(certificate)}' of {authorities.Description}");
                }
            }

            return;
        }

        if (authorities.Directory is { } directory)
        {
            if (!Directory.Exists(directory))
            {
                throw Invalid(Parameter, $"'{directory}' is not a directory");
            }

            if (!SslContextNative.LoadVerifyLocations(ctx, null, directory))
            {
                throw Fail(Parameter, $"cannot use CA directory '{directory}'");
            }

            return;
        }

        string file = authorities.File!;
        if (TryAddDerCaFile(ctx, file, Parameter))
        {
            return;
        }

        if (!SslContextNative.LoadVerifyLocations(ctx, file, null))
        {
            throw Fail(Parameter, $"cannot load CA certificates from '{file}'");
        }

        // Added to the names ca_list may have set (SSL_CTX_set_client_CA_list would replace them).
        foreach (SafeX509Handle certificate in ReadPemFileCertificates(file, Parameter))
        {
            using (certificate)
            {
                SslContextNative.AddTrustedCertificate(ctx, certificate, sendName: true);
            }
        }
    }

    /// <summary>When <paramref name="file"/> is DER, trusts its certificate (sending its name) and returns true; PEM and unreadable files are left to OpenSSL's loader.</summary>
    private bool TryAddDerCaFile(SafeSslContextHandle ctx, string file, string parameter)
    {
        using PinnedSecret? bytes = TryReadMaterialFile(file);
        if (bytes is null || CertificateInput.Detect(bytes.Span) != CertificateEncoding.Der)
        {
            return false;
        }

        using SafeX509Handle certificate = CertificateMaterialReader.ReadDerCertificate(bytes.Span)
            ?? throw Invalid(parameter, $"'{file}' is DER but not an X.509 certificate (a CA file is a PEM bundle or one DER certificate)");
        if (!SslContextNative.AddTrustedCertificate(ctx, certificate, sendName: true))
        {
            throw Fail(parameter, $"cannot trust the CA certificate in '{file}'");
        }

        return true;
    }

    private List<SafeX509Handle> ReadPemFileCertificates(string file, string parameter)
    {
        using PinnedSecret? bytes = TryReadMaterialFile(file);
        try
        {
            return bytes is null ? [] : CertificateMaterialReader.ReadPemCertificates(bytes.Span);
        }
        catch (OpenSslException e)
        {
            throw new TlsProfileException(_label, parameter, $"'{file}' holds a damaged PEM certificate block", e);
        }
    }

    /// <summary>The file's bytes in a pinned buffer zeroed on dispose, or null when it cannot be read (the caller's OpenSSL path reports why).</summary>
    private static PinnedSecret? TryReadMaterialFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            long length = stream.Length;
            if (length > MaxMaterialFile)
            {
                return null;
            }

            PinnedSecret bytes = PinnedSecret.Allocate((int)length);
            try
            {
                stream.ReadExactly(bytes.Span);
                return bytes;
            }
            catch
            {
                bytes.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            return null;
        }
    }

    private static bool HasPkcs12Extension(string path) =>
        path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase);

    /// <summary>Names the setting the password comes from when a password is what failed.</summary>
    private static string PasswordHint(CertificateInputException e, CertificateSlot slot) =>
        !e.Message.Contains("password", StringComparison.Ordinal) ? string.Empty
        : slot.KeyFromSource || (slot.Source is not null && slot.KeyPath is null) ? $" (the password given to {slot.SourceParameter})"
        : slot.KeyParameter == "private_key2" ? " (private_key_password2)" : " (private_key_password)";

    /// <summary>One certificate/key pair of a profile (<c>certificate</c>, or <c>certificate2</c>) as the build goes.</summary>
    private sealed class CertificateSlot(string certificateParameter, string keyParameter, string sourceParameter, string? path,
        TlsCertificateSource? source, string? keyPath, string? keyPassword) : IDisposable
    {
        private bool _owned;

        internal string CertificateParameter { get; } = certificateParameter;

        internal string KeyParameter { get; } = keyParameter;

        internal string SourceParameter { get; } = sourceParameter;

        internal TlsCertificateSource? Source { get; } = source;

        /// <summary>The certificate file (the setting's, or a file source's).</summary>
        internal string? Path { get; private set; } = path;

        /// <summary>The key file or reference (the setting's, which wins, or a file source's).</summary>
        internal string? KeyPath { get; private set; } = keyPath;

        /// <summary>The password of the key or of a PKCS#12 certificate file.</summary>
        internal string? KeyPassword { get; private set; } = keyPassword;

        /// <summary>The password a PKCS#12 certificate file is read with.</summary>
        internal string? Password => KeyPassword;

        internal bool DeclaredPkcs12 { get; private set; }

        /// <summary>Whether the key file comes from a file source (messages then name the source's property).</summary>
        internal bool KeyFromSource { get; private set; }

        /// <summary>The setting messages about the key name.</summary>
        internal string KeySetting => KeyFromSource ? SourceParameter : KeyParameter;

        /// <summary>The certificate read other than by OpenSSL's PEM file call, with any key it carries.</summary>
        internal CertificateMaterial? Material { get; private set; }

        /// <summary>How messages name the certificate.</summary>
        internal string? Shown { get; set; }

        internal void UseFiles(string certificatePath, string? sourceKeyPath, string? sourcePassword, bool declaredPkcs12)
        {
            Path = certificatePath;
            DeclaredPkcs12 = declaredPkcs12;
            if (KeyPath is null)
            {
                // Like the settings' default: without a key file, the key is looked for in the certificate file.
                KeyPath = sourceKeyPath ?? certificatePath;
                KeyPassword = sourcePassword;
                KeyFromSource = true;
            }
            else
            {
                // private_key set beside a file source: its own password applies to it, the source's to the bundle.
                KeyPassword ??= sourcePassword;
            }
        }

        internal void Borrow(CertificateMaterial material, string shown)
        {
            Material = material;
            Shown = shown;
        }

        internal void Own(CertificateMaterial material, string shown)
        {
            Material = material;
            Shown = shown;
            _owned = true;
        }

        public void Dispose()
        {
            if (_owned)
            {
                Material?.Dispose();
            }
        }
    }
}
