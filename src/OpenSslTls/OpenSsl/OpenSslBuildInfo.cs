namespace OpenSslTls.OpenSsl;

/// <summary>What the loaded OpenSSL says about itself (<c>OpenSSL_version()</c> with each selector).</summary>
/// <param name="VersionText">For example <c>OpenSSL 3.0.22 25 Aug 2026</c>.</param>
/// <param name="CompilerFlags">The compiler flags OpenSSL was built with.</param>
/// <param name="BuiltOn">The build date.</param>
/// <param name="Platform">The target platform.</param>
/// <param name="OpenSslDirectory">The configured <c>OPENSSLDIR</c> (where <c>openssl.cnf</c> lives).</param>
/// <param name="EnginesDirectory">Where engines are loaded from.</param>
/// <param name="ModulesDirectory">Where providers are loaded from.</param>
/// <param name="LibSslPath">The libssl file this process loaded.</param>
/// <param name="LibCryptoPath">The libcrypto file this process loaded.</param>
public sealed record OpenSslBuildInfo(
    string VersionText,
    string CompilerFlags,
    string BuiltOn,
    string Platform,
    string OpenSslDirectory,
    string EnginesDirectory,
    string ModulesDirectory,
    string LibSslPath,
    string LibCryptoPath);
