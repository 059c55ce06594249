using System.Buffers;
using System.Net.Sockets;
using System.Text;
using OpenSslTls.Connections;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Support;

/// <summary>
/// Drives a <see cref="TlsConnection"/> over a connected socket on a background thread, the way a host would:
/// received bytes go to <see cref="TlsConnection.Receive"/>, output goes back to the socket, plaintext accumulates.
/// Every wait is bounded.
/// </summary>
public sealed class SocketTlsPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _reader;
    private readonly Lock _sendLock = new();
    private readonly Lock _textLock = new();
    private readonly StringBuilder _text = new();
    private readonly ManualResetEventSlim _changed = new();
    private volatile bool _ended;
    private volatile bool _handshakeCompleted;
    private TlsResult _lastResult;

    public SocketTlsPeer(Socket socket, TlsConnection connection)
    {
        _socket = socket;
        Connection = connection;
        if (connection.Role == TlsRole.Client)
        {
            var hello = new ArrayBufferWriter<byte>();
            connection.Start(hello);
            SendRaw(hello.WrittenSpan);
        }

        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "SocketTlsPeer" };
        _reader.Start();
    }

    public TlsConnection Connection { get; }

    /// <summary>Every ciphertext chunk this side wrote to the socket, in order.</summary>
    public List<byte[]> SentCiphertext { get; } = [];

    /// <summary>The status of the last Receive, or the reason the read loop ended.</summary>
    public TlsResult LastResult => _lastResult;

    public bool Ended => _ended;

    public string Text
    {
        get
        {
            lock (_textLock)
            {
                return _text.ToString();
            }
        }
    }

    /// <summary>True once the handshake completed (even if the peer closed right after); false on failure, end or timeout.</summary>
    public bool WaitForHandshake(TimeSpan timeout) =>
        WaitFor(() => _handshakeCompleted || _ended || Connection.State is TlsConnectionState.Failed, timeout) && _handshakeCompleted;

    public bool WaitForText(string text, TimeSpan timeout) => WaitFor(() => Text.Contains(text, StringComparison.Ordinal), timeout);

    public bool WaitForEnd(TimeSpan timeout) => WaitFor(() => _ended, timeout);

    public TlsResult Send(string text)
    {
        var output = new ArrayBufferWriter<byte>();
        TlsResult result = Connection.Send(Encoding.UTF8.GetBytes(text), output);
        SendRaw(output.WrittenSpan);
        return result;
    }

    public TlsResult Send(byte[] data)
    {
        var output = new ArrayBufferWriter<byte>();
        TlsResult result = Connection.Send(data, output);
        SendRaw(output.WrittenSpan);
        return result;
    }

    /// <summary>Closes the TLS layer (close_notify when enabled) and shuts down the socket's sending side.</summary>
    public void Close()
    {
        var output = new ArrayBufferWriter<byte>();
        Connection.Close(output);
        SendRaw(output.WrittenSpan);
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
        }
    }

    public void Dispose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        _socket.Close();
        _reader.Join(TimeSpan.FromSeconds(10));
        Connection.Dispose();
        _changed.Dispose();
    }

    private bool WaitFor(Func<bool> condition, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            TimeSpan left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                return condition();
            }

            _changed.Wait(TimeSpan.FromMilliseconds(Math.Min(50, left.TotalMilliseconds)));
            _changed.Reset();
        }

        return true;
    }

    private void SendRaw(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        lock (_sendLock)
        {
            SentCiphertext.Add(data.ToArray());
            try
            {
                _socket.Send(data);
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[65536];
        var plaintext = new ArrayBufferWriter<byte>();
        var output = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                int count = _socket.Receive(buffer);
                if (count == 0)
                {
                    break;
                }

                plaintext.ResetWrittenCount();
                output.ResetWrittenCount();
                _lastResult = Connection.Receive(buffer.AsSpan(0, count), plaintext, output);
                _handshakeCompleted |= _lastResult.HandshakeCompleted;
                SendRaw(output.WrittenSpan);
                lock (_textLock)
                {
                    _text.Append(Encoding.UTF8.GetString(plaintext.WrittenSpan));
                }

                _changed.Set();
                if (!_lastResult.IsSuccess)
                {
                    break;
                }
            }
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        finally
        {
            _ended = true;
            _changed.Set();
        }
    }
}
