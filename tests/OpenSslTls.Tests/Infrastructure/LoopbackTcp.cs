using System.Net;
using System.Net.Sockets;

namespace OpenSslTls.Tests.Infrastructure;

/// <summary>
/// Plain TCP sockets on the loopback interface, for pumping bytes between a socket and the TLS engine
/// (or an openssl s_server/s_client). Every socket returned has <see cref="DefaultIoTimeout"/> as its
/// send and receive timeout, so a blocking Receive that gets nothing throws a <see cref="SocketException"/>
/// (TimedOut) instead of hanging the test; change <c>ReceiveTimeout</c>/<c>SendTimeout</c> if you need to.
/// Nagle is off (NoDelay) so small handshake flights go out at once.
/// </summary>
public static class LoopbackTcp
{
    public static readonly TimeSpan DefaultIoTimeout = TimeSpan.FromSeconds(15);

    /// <summary>A listening socket on 127.0.0.1 with an OS-chosen port.</summary>
    public static (Socket Listener, int Port) Listen() => Listen(IPAddress.Loopback);

    /// <summary>A listening socket on <paramref name="address"/> (e.g. <see cref="IPAddress.IPv6Loopback"/>) with an OS-chosen port.</summary>
    public static (Socket Listener, int Port) Listen(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, 0));
            listener.Listen(16);
            return (listener, ((IPEndPoint)listener.LocalEndPoint!).Port);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/>; throws <see cref="TimeoutException"/> if that takes longer than <paramref name="timeout"/>.</summary>
    public static Socket Connect(int port, TimeSpan timeout) => Connect(IPAddress.Loopback, port, timeout);

    public static Socket Connect(IPAddress address, int port, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(address);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Non-blocking connect + Poll: bounded, and needs no thread-pool thread (blocking on
            // ConnectAsync from tests can stall when parallel tests hold all pool threads).
            socket.Blocking = false;
            try
            {
                socket.Connect(new IPEndPoint(address, port));
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
            {
                if (!socket.Poll(ToMicroseconds(timeout), SelectMode.SelectWrite))
                {
                    int pending = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                    if (pending != 0)
                    {
                        throw new SocketException(pending);
                    }

                    throw new TimeoutException($"Connecting to {address}:{port} took longer than {timeout.TotalSeconds:0.#} s.");
                }

                int error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
                if (error != 0)
                {
                    throw new SocketException(error);
                }
            }

            socket.Blocking = true;
            Configure(socket);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Accepts one connection; throws <see cref="TimeoutException"/> if none arrives within <paramref name="timeout"/>.</summary>
    public static Socket Accept(Socket listener, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (!listener.Poll(ToMicroseconds(timeout), SelectMode.SelectRead))
        {
            throw new TimeoutException($"No connection arrived at {listener.LocalEndPoint} within {timeout.TotalSeconds:0.#} s.");
        }

        Socket accepted = listener.Accept();
        Configure(accepted);
        return accepted;
    }

    /// <summary>A connected pair over 127.0.0.1 (the listener is closed again). Dispose both.</summary>
    public static (Socket Client, Socket Server) CreateConnectedPair(TimeSpan timeout)
    {
        (Socket listener, int port) = Listen();
        using (listener)
        {
            Socket client = Connect(port, timeout);
            try
            {
                return (client, Accept(listener, timeout));
            }
            catch
            {
                client.Dispose();
                throw;
            }
        }
    }

    private static void Configure(Socket socket)
    {
        socket.NoDelay = true;
        socket.ReceiveTimeout = (int)DefaultIoTimeout.TotalMilliseconds;
        socket.SendTimeout = (int)DefaultIoTimeout.TotalMilliseconds;
    }

    private static int ToMicroseconds(TimeSpan timeout) =>
        (int)Math.Clamp(timeout.TotalMicroseconds, 0, int.MaxValue);
}
