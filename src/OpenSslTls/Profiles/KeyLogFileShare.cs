namespace OpenSslTls.Profiles;

/// <summary>
/// One open <c>keylog_file</c>, shared by every context that logs to it (two streams appending to one file would
/// overwrite each other's lines). Reference-counted: the file closes when the last context using it is freed.
/// Nothing is process-wide but the table of open files.
/// </summary>
internal sealed class KeyLogFileShare
{
    private static readonly Lock TableGate = new();
    private static readonly Dictionary<string, KeyLogFileShare> Open = new(StringComparer.Ordinal);

    private readonly Lock _gate = new();
    private readonly string _path;
    private FileStream? _file;
    private int _references;

    private KeyLogFileShare(string path, FileStream file)
    {
        _path = path;
        _file = file;
    }

    internal string Path => _path;

    /// <summary>Whether a live context logs to <paramref name="path"/> (tests).</summary>
    internal static bool IsOpen(string path)
    {
        lock (TableGate)
        {
            return Open.ContainsKey(System.IO.Path.GetFullPath(path));
        }
    }

    /// <summary>A reference to the file at <paramref name="path"/>, opened by <paramref name="open"/> unless already open.</summary>
    internal static KeyLogFileShare Acquire(string path, Func<string, FileStream> open)
    {
        string fullPath = System.IO.Path.GetFullPath(path);
        lock (TableGate)
        {
            if (!Open.TryGetValue(fullPath, out KeyLogFileShare? share))
            {
                share = new KeyLogFileShare(fullPath, open(fullPath));
                Open[fullPath] = share;
            }

            share._references++;
            return share;
        }
    }

    internal void Release()
    {
        lock (TableGate)
        {
            if (--_references > 0)
            {
                return;
            }

            Open.Remove(_path);
        }

        lock (_gate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>Appends <paramref name="line"/> and a newline, flushed at once (a capture tool reads it live).</summary>
    internal void Append(ReadOnlySpan<byte> line)
    {
        lock (_gate)
        {
            if (_file is null)
            {
                return;
            }

            _file.Write(line);
            _file.WriteByte((byte)'\n');
            _file.Flush();
        }
    }
}
