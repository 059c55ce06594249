using System.Runtime.InteropServices;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Profiles;

/// <summary>
/// <c>ssl_release_buffers</c> watched where it acts: the malloc heap that holds OpenSSL's record buffers. In the
/// process-wide collection because it reads glibc's process-wide byte count, which tests alongside would move.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed partial class ReleaseBuffersMemoryTests : NativeLeakCheck
{
    private const int Connections = 64;

    [SkippableFact]
    public void Ssl_release_buffers_frees_the_record_buffers_of_idle_connections()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "reads glibc's mallinfo2");

        // Warm-up: the first connections of a profile make what lives once per process (method tables, caches).
        _ = IdleBytesPerConnection(releaseBuffers: 1);
        _ = IdleBytesPerConnection(releaseBuffers: 0);

        long released = IdleBytesPerConnection(releaseBuffers: 1);
        long kept = IdleBytesPerConnection(releaseBuffers: 0);

        // Kept, a TLS connection holds a read and a write buffer of about 16 KiB each (SSL3_RT_MAX_PLAIN_LENGTH plus
        // overhead) between messages; released, neither. Half of one buffer per connection is far above the noise
        // (a few hundred bytes per connection) and far below the effect (about 34 KiB).
        Assert.True(kept - released >= 8 * 1024,
            $"idle server connection: {kept} bytes with ssl_release_buffers 0, {released} bytes with 1");
    }

    /// <summary>
    /// The malloc bytes each idle server connection holds (the client profile is the same in both runs): the heap with
    /// <see cref="Connections"/> pairs that have exchanged a message each way, minus the heap once they are freed.
    /// </summary>
    private static long IdleBytesPerConnection(int releaseBuffers)
    {
        using TlsProfile serverProfile = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), new TlsTuning { ReleaseBuffers = releaseBuffers });
        using TlsProfile clientProfile = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        var pairs = new List<TlsPair>(Connections);
        try
        {
            for (int i = 0; i < Connections; i++)
            {
                var pair = new TlsPair(serverProfile, clientProfile, "localhost");
                pairs.Add(pair);
                Assert.True(pair.Handshake());
                pair.ClientSend(new byte[1000]);
                pair.Pump();
                pair.ServerSend(new byte[1000]);
                pair.Pump();
                Assert.Equal(1000, pair.ServerReceived.WrittenCount);
                Assert.Equal(1000, pair.ClientReceived.WrittenCount);
            }

            long idle = HeapBytes();
            foreach (TlsPair pair in pairs)
            {
                pair.Dispose();
            }

            pairs.Clear();
            return (idle - HeapBytes()) / Connections;
        }
        finally
        {
            foreach (TlsPair pair in pairs)
            {
                pair.Dispose();
            }
        }
    }

    /// <summary>glibc's bytes in use (mallinfo2: uordblks + hblkhd): where libcrypto's OPENSSL_malloc allocates.</summary>
    private static long HeapBytes()
    {
        MallInfo2 info = mallinfo2();
        return (long)(info.Uordblks + info.Hblkhd);
    }

    [LibraryImport("libc.so.6")]
    private static partial MallInfo2 mallinfo2();

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }
}
