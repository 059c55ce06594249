namespace OpenSslTls.Profiles;

/// <summary>
/// Kamailio's rule for every file name in its TLS configuration (<c>get_abs_pathname</c>): a name starting with
/// <c>/</c> is absolute, one starting with <c>.</c> is relative to the working directory, anything else is relative
/// to the directory of the main configuration file. Key identifiers such as <c>/uri:pkcs11:…</c> start with
/// <c>/</c> and so pass through untouched.
/// </summary>
internal static class KamailioPath
{
    /// <summary>Resolves <paramref name="path"/>; <paramref name="mainConfigDirectory"/> null means the working directory.</summary>
    internal static string Resolve(string path, string? mainConfigDirectory)
    {
        if (path.StartsWith('/') || Path.IsPathFullyQualified(path))
        {
            return path;
        }

        // Kamailio leaves "./x" for the OS to resolve at open time; resolving it now gives the same file as long as
        // the working directory does not change, and makes messages show where the file was looked for.
        string baseDirectory = path.StartsWith('.') || mainConfigDirectory is null
            ? Environment.CurrentDirectory
            : Path.GetFullPath(mainConfigDirectory);
        return Path.GetFullPath(Path.Combine(baseDirectory, path));
    }
}
