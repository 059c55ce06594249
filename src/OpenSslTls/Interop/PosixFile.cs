using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OpenSslTls.Interop;

/// <summary>What <c>statx</c> says of a file: its owner, permission bits and kind.</summary>
/// <param name="OwnerUid">The owning user id.</param>
/// <param name="Mode">The permission bits (<c>st_mode &amp; 07777</c>).</param>
/// <param name="IsRegularFile">A regular file (not a directory, device, FIFO or socket).</param>
/// <param name="IsSymbolicLink">A symbolic link (only from a path looked up without following links).</param>
internal readonly record struct PosixFileFacts(uint OwnerUid, uint Mode, bool IsRegularFile, bool IsSymbolicLink);

/// <summary>
/// File ownership and modes that .NET does not expose (the owner), read with Linux's <c>statx</c>, whose buffer has one
/// layout on every architecture. Linux only: callers check <see cref="OperatingSystem.IsLinux"/>.
/// </summary>
internal static unsafe partial class PosixFile
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const ushort TypeMask = 0xF000;
    private const ushort TypeRegular = 0x8000;
    private const ushort TypeSymbolicLink = 0xA000;
    private const int NoSuchFile = 2;

    /// <summary>The server's effective user id.</summary>
    internal static uint EffectiveUserId => geteuid();

    /// <summary>The facts of <paramref name="path"/> itself (a symbolic link is not followed), or null when nothing is there.</summary>
    internal static PosixFileFacts? TryRead(string path)
    {
        StatxBuffer buffer;
        fixed (byte* name = Utf8Z.From(path))
        {
            if (statx(AtFdCwd, name, AtSymlinkNoFollow, StatxBasicStats, &buffer) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                return error == NoSuchFile ? null : throw new IOException($"statx('{path}') failed: {Marshal.GetPInvokeErrorMessage(error)}");
            }
        }

        return Facts(in buffer);
    }

    /// <summary>The facts of the file <paramref name="handle"/> has open.</summary>
    internal static PosixFileFacts Read(SafeFileHandle handle, string path)
    {
        StatxBuffer buffer;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            byte empty = 0;
            if (statx((int)handle.DangerousGetHandle(), &empty, AtEmptyPath, StatxBasicStats, &buffer) != 0)
            {
                throw new IOException($"statx of the open '{path}' failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }

        return Facts(in buffer);
    }

    private static PosixFileFacts Facts(in StatxBuffer buffer) => new(
        buffer.Uid,
        (uint)(buffer.Mode & 0xFFF),
        (buffer.Mode & TypeMask) == TypeRegular,
        (buffer.Mode & TypeMask) == TypeSymbolicLink);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int statx(int dirfd, byte* pathname, int flags, uint mask, StatxBuffer* statxbuf);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    // struct statx (linux/stat.h): the fields read here, at their fixed offsets; 256 bytes in all.
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(20)]
        public uint Uid;

        [FieldOffset(28)]
        public ushort Mode;
    }
}
