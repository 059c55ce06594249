using OpenSslTls.Interop;

namespace OpenSslTls.Profiles;

/// <summary>
/// Opens a <c>keylog_file</c> for appending without exposing session secrets: created with mode 0600, and refused
/// (<see cref="UnauthorizedAccessException"/> naming the problem) when it exists as a symbolic link or non-regular
/// file, with permission bits for group or others, or owned by another user than the server's. The checks run on the
/// path before opening and again on the opened file, so a file swapped in between is caught too.
/// </summary>
internal static class KeyLogFileOpener
{
    private const uint GroupOrOthers = 0x3F; // 077

    internal static FileStream Open(string path)
    {
        if (OperatingSystem.IsLinux() && PosixFile.TryRead(path) is { } existing)
        {
            Check(existing, path);
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.Append,
            Access = FileAccess.Write,
            Share = FileShare.ReadWrite,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var file = new FileStream(path, options);
        try
        {
            if (OperatingSystem.IsLinux())
            {
                Check(PosixFile.Read(file.SafeFileHandle, path), path);
            }

            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static void Check(PosixFileFacts facts, string path)
    {
        if (facts.IsSymbolicLink)
        {
            throw new UnauthorizedAccessException($"'{path}' is a symbolic link: the key log must be a regular file (session secrets could be written anywhere)");
        }

        if (!facts.IsRegularFile)
        {
            throw new UnauthorizedAccessException($"'{path}' is not a regular file");
        }

        uint self = PosixFile.EffectiveUserId;
        if (facts.OwnerUid != self)
        {
            throw new UnauthorizedAccessException($"'{path}' is owned by uid {facts.OwnerUid}, not by the server's uid {self}: another user could read the session secrets");
        }

        if ((facts.Mode & GroupOrOthers) != 0)
        {
            throw new UnauthorizedAccessException(
                $"'{path}' has mode {Convert.ToString(facts.Mode, 8).PadLeft(4, '0')}: other users could read the session secrets (chmod 600 it or remove it)");
        }
    }
}
