namespace OpenSslTls.SipEndpoint.Certificates;

/// <summary>
/// Where <c>serve</c> keeps what it makes for itself (the self-signed certificate and key): <c>--data-dir</c>, else
/// <c>$XDG_DATA_HOME/openssltls</c>, else <c>~/.local/share/openssltls</c> (the XDG Base Directory default).
/// </summary>
internal static class DataDirectory
{
    public const string ApplicationFolder = "openssltls";

    /// <summary>Owner-only: the directory holds a private key.</summary>
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>The default directory, read from the environment through <paramref name="environment"/> (for tests).</summary>
    public static string ResolveDefault(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        string? xdg = environment("XDG_DATA_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg))
        {
            // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
            return Path.Combine(xdg, ApplicationFolder);
        }

        string home = environment("HOME") is { Length: > 0 } fromEnvironment ? fromEnvironment : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new InvalidOperationException("no home directory (HOME is unset): pass --data-dir");
        }

        return Path.Combine(home, ".local", "share", ApplicationFolder);
    }

    /// <summary>
    /// Creates <paramref name="path"/> (and its parents) if missing, the directory itself with mode 0700. Returns a warning
    /// when an existing directory is open to group or others; its mode is not changed, as the operator may have chosen it.
    /// </summary>
    public static string? Prepare(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return null;
        }

        if (!Directory.Exists(path))
        {
            string? parent = Path.GetDirectoryName(Path.GetFullPath(path));
            if (parent is not null)
            {
                Directory.CreateDirectory(parent);
            }

            Directory.CreateDirectory(path, DirectoryMode);
            File.SetUnixFileMode(path, DirectoryMode); // CreateDirectory's mode is filtered by the umask.
            return null;
        }

        UnixFileMode mode = File.GetUnixFileMode(path);
        return (mode & ~DirectoryMode) != 0
            ? $"data directory {path} is accessible to group or others (mode {Convert.ToString((int)mode, 8)}); 0700 is recommended since it holds a private key"
            : null;
    }
}
