using System.Diagnostics;
using System.Net;
using OpenSslTls.Connections;

namespace OpenSslTls.Module;

/// <summary>
/// What a <see cref="TlsModule"/> knows about one of its connections: identity, endpoints, generation, activity and
/// byte counts. The connection calls it around every operation; it never references the host's socket.
/// </summary>
internal sealed class TlsConnectionRecord
{
    private long _lastActivity;
    private long _bytesIn;
    private long _bytesOut;

    internal TlsConnectionRecord(TlsModule module, long id, TlsProfileGeneration generation, IPEndPoint? local, IPEndPoint? remote, long now)
    {
        Module = module;
        Id = id;
        Generation = generation;
        Local = local;
        Remote = remote;
        Created = now;
        _lastActivity = now;
    }

    internal TlsModule Module { get; }

    internal long Id { get; }

    internal TlsProfileGeneration Generation { get; }

    internal IPEndPoint? Local { get; }

    internal IPEndPoint? Remote { get; }

    internal long Created { get; }

    internal long LastActivity => Interlocked.Read(ref _lastActivity);

    internal long BytesIn => Interlocked.Read(ref _bytesIn);

    internal long BytesOut => Interlocked.Read(ref _bytesOut);

    internal bool Killed { get; set; }

    internal bool Released { get; private set; }

    internal void OnActivity(long received, long sent)
    {
        Interlocked.Exchange(ref _lastActivity, Module.Time.GetTimestamp());
        if (received > 0)
        {
            Interlocked.Add(ref _bytesIn, received);
        }

        if (sent > 0)
        {
            Interlocked.Add(ref _bytesOut, sent);
        }

        Module.Metrics.RecordBytes(received, sent);
    }

    /// <summary>Runs once, when the connection is disposed: unregisters and releases the generation.</summary>
    internal void Release(TlsConnection connection)
    {
        if (Released)
        {
            return;
        }

        Released = true;
        Module.Unregister(this, connection);
        Generation.Release();
    }

    internal TimeSpan Age(long now) => Module.Time.GetElapsedTime(Created, now);

    internal TimeSpan Idle(long now) => Module.Time.GetElapsedTime(LastActivity, now);

    [Conditional("DEBUG")]
    internal void AssertAlive() => Debug.Assert(!Released, "connection record used after release");
}
