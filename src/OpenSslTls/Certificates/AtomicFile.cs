using System.Security.Cryptography;

namespace OpenSslTls.Certificates;

/// <summary>Whole-file replacement through a temporary file and a rename, for files that must never be seen half-written.</summary>
internal static class AtomicFile
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> through a temporary file in the same directory (the
    /// rename is atomic only within one file system), created 0600 on Unix so secrets are never exposed in between.
    /// </summary>
    internal static void WriteOwnerOnly(string path, byte[] content)
    {
        string directory = Path.GetDirectoryName(path) ?? throw new ArgumentException($"'{path}' has no directory", nameof(path));
        string temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6))}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(content);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
