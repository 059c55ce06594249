using System.Buffers;
using System.Net.Sockets;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Callbacks;

/// <summary>
/// Server profile selection that may be asynchronous (issue 19, item 2), like SslStream's
/// <c>ServerOptionsSelectionCallback</c>: the ClientHello callback suspends the handshake (SSL_CLIENT_HELLO_RETRY),
/// the connection reports <see cref="TlsStatus.WantsCallback"/> and <see cref="TlsConnection.PendingCallback"/>, and
/// the next Receive resumes it under the chosen profile. Refusal, exceptions, disposal and cancellation while pending,
/// <see cref="TlsStream"/>, both I/O engines.
/// </summary>
public sealed class AsyncServerProfileSelectionTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static TestPki Pki => TestPki.Instance;

    private static TlsProfile DefaultServer() => TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), label: "server:default");

    private static TlsProfile SniServer() => TlsProfile.Create(TlsRole.Server, new TlsProfileSettings
    {
        Certificate = Pki.SniServerCertificate,
        PrivateKey = Pki.SniServerKey,
        ServerName = TestPki.SniServerName,
    }, label: "server:sni");

    private static TlsProfile Client() => TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());

    private static SslEngineOptions Engine(bool shim) => new() { Io = shim ? SslEngineIo.Shim : SslEngineIo.Managed };

    private static TlsConnection ServerConnection(TlsProfile profile, bool shim, TlsServerProfileSelectionCallback selection) =>
        profile.CreateConnection(NoConnectionObserver.Instance, Engine(shim), serverProfileSelection: selection);

    /// <summary>What <see cref="HandshakeAsync"/> saw.</summary>
    private sealed record Outcome(int Waits, TlsStatus FirstServerStatus, bool CallbackWasPendingAfterFirstReceive);

    /// <summary>
    /// Pumps a handshake in memory, awaiting <see cref="TlsConnection.PendingCallback"/> whenever the server reports
    /// <see cref="TlsStatus.WantsCallback"/> and then resuming it with an empty Receive.
    /// </summary>
    /// <remarks>
    /// <paramref name="release"/>, when given, is completed once the server reported that it waits: a selection that
    /// awaits it cannot finish before the first Receive returns, however loaded the machine.
    /// </remarks>
    private static async Task<Outcome> HandshakeAsync(TlsConnection server, TlsConnection client, TaskCompletionSource? release = null)
    {
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        var plaintext = new ArrayBufferWriter<byte>();
        int waits = 0;
        TlsStatus? first = null;
        bool pendingAfterFirst = false;
        client.Start(toServer);
        for (int round = 0; round < 50 && (toServer.WrittenCount > 0 || toClient.WrittenCount > 0); round++)
        {
            if (toServer.WrittenCount > 0)
            {
                byte[] data = toServer.WrittenSpan.ToArray();
                toServer.ResetWrittenCount();
                TlsResult result = server.Receive(data, plaintext, toClient);
                if (first is null)
                {
                    first = result.Status;
                    pendingAfterFirst = !server.PendingCallback.IsCompleted;
                }

                while (result.Status == TlsStatus.WantsCallback)
                {
                    release?.TrySetResult();
                    waits++;
                    Assert.Equal(TlsConnectionState.Handshaking, server.State);
                    await server.PendingCallback.WaitAsync(Timeout);
                    result = server.Receive(ReadOnlySpan<byte>.Empty, plaintext, toClient);
                }
            }

            if (toClient.WrittenCount > 0)
            {
                byte[] data = toClient.WrittenSpan.ToArray();
                toClient.ResetWrittenCount();
                client.Receive(data, plaintext, toServer);
            }
        }

        return new Outcome(waits, first ?? TlsStatus.Ok, pendingAfterFirst);
    }

    private static void AssertClientGotAlert(TlsConnection client, string reason)
    {
        OpenSslException failure = Assert.IsType<OpenSslException>(client.Failure);
        Assert.True(
            failure.Errors.Any(e => e.Reason.Contains(reason, StringComparison.Ordinal)),
            $"expected the client to receive '{reason}', got: {failure.Message}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_selection_that_completes_later_resumes_the_handshake_with_the_chosen_certificate(bool shim)
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile named = SniServer();
        using TlsProfile clientProfile = Client();
        TlsClientHelloInfo? seen = null;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using TlsConnection server = ServerConnection(initial, shim, async (hello, cancellationToken) =>
        {
            seen = hello;
            await release.Task.WaitAsync(cancellationToken);
            await Task.Delay(50, cancellationToken);
            return hello.ServerName == TestPki.SniServerName ? TlsServerProfileChoice.Use(named) : TlsServerProfileChoice.Keep;
        });
        using TlsConnection client = clientProfile.CreateConnection(NoConnectionObserver.Instance, Engine(shim), TestPki.SniServerName);

        Outcome outcome = await HandshakeAsync(server, client, release);

        Assert.Equal(TlsStatus.WantsCallback, outcome.FirstServerStatus);
        Assert.True(outcome.CallbackWasPendingAfterFirstReceive);
        Assert.Equal(1, outcome.Waits);
        Assert.True(server.State == TlsConnectionState.Established, server.Failure?.Message);
        Assert.True(client.State == TlsConnectionState.Established, client.Failure?.Message);
        Assert.Equal(TestPki.SniServerName, seen!.ServerName);
        Assert.Same(initial, seen.Profile);
        Assert.Same(named, server.Profile);
        Assert.Equal(TestPki.SniServerName, client.Info!.PeerCertificate!.Subject.CommonName);
        Assert.Equal(TestPki.SniServerName, server.Info!.LocalCertificate!.Subject.CommonName);
        Assert.True(server.PendingCallback.IsCompleted);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_selection_done_at_once_does_not_suspend_and_sees_a_ClientHello_without_SNI(bool shim)
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile clientProfile = Client();
        int calls = 0;
        string? name = "unset";
        using TlsConnection server = ServerConnection(initial, shim, (hello, _) =>
        {
            calls++;
            name = hello.ServerName;
            return ValueTask.FromResult(TlsServerProfileChoice.Keep);
        });
        using TlsConnection client = clientProfile.CreateConnection(NoConnectionObserver.Instance, Engine(shim));

        Outcome outcome = await HandshakeAsync(server, client);

        Assert.Equal(0, outcome.Waits);
        Assert.True(server.State == TlsConnectionState.Established, server.Failure?.Message);
        Assert.Equal(1, calls);
        Assert.Null(name);
        Assert.Same(initial, server.Profile);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_refusing_selection_fails_the_handshake_with_unrecognized_name(bool shim)
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile clientProfile = Client();
        using TlsConnection server = ServerConnection(initial, shim, async (_, cancellationToken) =>
        {
            await Task.Delay(20, cancellationToken);
            return TlsServerProfileChoice.Refuse("no tenant has this name");
        });
        using TlsConnection client = clientProfile.CreateConnection(NoConnectionObserver.Instance, Engine(shim), "unknown.example.test");

        await HandshakeAsync(server, client);

        Assert.Equal(TlsConnectionState.Failed, server.State);
        TlsClientHelloRejectedException failure = Assert.IsType<TlsClientHelloRejectedException>(server.Failure);
        Assert.Contains("no tenant has this name", failure.Message, StringComparison.Ordinal);
        Assert.Contains("'unknown.example.test'", failure.Message, StringComparison.Ordinal);
        AssertClientGotAlert(client, "unrecognized name");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_selection_that_fails_later_fails_the_handshake_with_TlsCallbackException_and_internal_error(bool shim)
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile clientProfile = Client();
        var thrown = new InvalidOperationException("tenant store unavailable");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using TlsConnection server = ServerConnection(initial, shim, async (_, cancellationToken) =>
        {
            await release.Task.WaitAsync(cancellationToken);
            await Task.Delay(20, cancellationToken);
            throw thrown;
        });
        using TlsConnection client = clientProfile.CreateConnection(NoConnectionObserver.Instance, Engine(shim), TestPki.SniServerName);

        Outcome outcome = await HandshakeAsync(server, client, release);

        Assert.Equal(1, outcome.Waits);
        TlsCallbackException failure = Assert.IsType<TlsCallbackException>(server.Failure);
        Assert.Same(thrown, failure.InnerException);
        Assert.Equal("SNI profile selector", failure.Callback);
        AssertClientGotAlert(client, "internal error");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_selection_completing_after_disposal_is_harmless_and_its_token_is_canceled(bool shim)
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile named = SniServer();
        using TlsProfile clientProfile = Client();
        var choice = new TaskCompletionSource<TlsServerProfileChoice>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken token = default;
        TlsConnection server = ServerConnection(initial, shim, (_, cancellationToken) =>
        {
            token = cancellationToken;
            return new ValueTask<TlsServerProfileChoice>(choice.Task);
        });
        using TlsConnection client = clientProfile.CreateConnection(NoConnectionObserver.Instance, Engine(shim), TestPki.SniServerName);
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        client.Start(toServer);

        Assert.Equal(TlsStatus.WantsCallback, server.Receive(toServer.WrittenSpan, new ArrayBufferWriter<byte>(), toClient).Status);
        Task pending = server.PendingCallback;
        Assert.False(pending.IsCompleted);
        Assert.Equal(0, toClient.WrittenCount);

        server.Dispose();
        Assert.True(token.IsCancellationRequested);

        // The choice arrives after the SSL is gone: nothing to resume, nothing native touched.
        choice.SetResult(TlsServerProfileChoice.Use(named));
        await pending.WaitAsync(Timeout);
        Assert.Equal(TlsStatus.Closed, server.Receive(ReadOnlySpan<byte>.Empty, new ArrayBufferWriter<byte>(), toClient).Status);
        Assert.Equal(0, toClient.WrittenCount);
    }

    [Fact]
    public void Closing_the_connection_while_the_selection_runs_cancels_its_token()
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile clientProfile = Client();
        CancellationToken token = default;
        using TlsConnection server = ServerConnection(initial, shim: true, (_, cancellationToken) =>
        {
            token = cancellationToken;
            return new ValueTask<TlsServerProfileChoice>(Task.Delay(System.Threading.Timeout.Infinite, cancellationToken).ContinueWith(_ => TlsServerProfileChoice.Keep, TaskScheduler.Default));
        });
        using TlsConnection client = clientProfile.CreateConnection(TestPki.SniServerName);
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        client.Start(toServer);
        Assert.Equal(TlsStatus.WantsCallback, server.Receive(toServer.WrittenSpan, new ArrayBufferWriter<byte>(), toClient).Status);
        Assert.False(token.IsCancellationRequested);

        server.Close(toClient);
        Assert.True(token.IsCancellationRequested);
        Assert.Equal(TlsConnectionState.Closed, server.State);
    }

    [Fact]
    public void Bytes_sent_while_the_handshake_waits_are_kept_up_to_a_bound()
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile clientProfile = Client();
        var choice = new TaskCompletionSource<TlsServerProfileChoice>(TaskCreationOptions.RunContinuationsAsynchronously);
        using TlsConnection server = ServerConnection(initial, shim: true, (_, _) => new ValueTask<TlsServerProfileChoice>(choice.Task));
        using TlsConnection client = clientProfile.CreateConnection(TestPki.SniServerName);
        var toServer = new ArrayBufferWriter<byte>();
        var toClient = new ArrayBufferWriter<byte>();
        client.Start(toServer);
        Assert.Equal(TlsStatus.WantsCallback, server.Receive(toServer.WrittenSpan, new ArrayBufferWriter<byte>(), toClient).Status);

        // A little is kept (all consumed); a flood while suspended fails the connection instead of growing a buffer.
        Assert.Equal(TlsStatus.WantsCallback, server.Receive(new byte[10], new byte[100], toClient, out int consumed, out _).Status);
        Assert.Equal(10, consumed);
        TlsResult flooded = server.Receive(new byte[100_000], new ArrayBufferWriter<byte>(), toClient);
        Assert.Equal(TlsStatus.Failed, flooded.Status);
        Assert.Contains("while the handshake waited", server.Failure!.Message, StringComparison.Ordinal);
        choice.SetResult(TlsServerProfileChoice.Keep);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task TlsStream_authenticates_through_a_selection_that_completes_later(bool shim)
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile named = SniServer();
        using TlsProfile clientProfile = Client();
        (Socket clientSocket, Socket serverSocket) = LoopbackTcp.CreateConnectedPair(Timeout);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TlsStream(new NetworkStream(serverSocket, ownsSocket: true), ServerConnection(initial, shim, async (hello, cancellationToken) =>
        {
            await release.Task.WaitAsync(cancellationToken);
            await Task.Delay(20, cancellationToken);
            return TlsServerProfileChoice.Use(named);
        }));
        await using var client = new TlsStream(
            new NetworkStream(clientSocket, ownsSocket: true),
            clientProfile.CreateConnection(NoConnectionObserver.Instance, Engine(shim), TestPki.SniServerName));

        // The selection is let go only once the server's handshake is seen suspended on it.
        Task releaser = Task.Run(async () =>
        {
            while (server.Connection.PendingCallback.IsCompleted)
            {
                await Task.Delay(5);
            }

            release.SetResult();
        });
        await Task.WhenAll(server.AuthenticateAsync(), client.AuthenticateAsync(), releaser).WaitAsync(Timeout);

        Assert.Equal(TestPki.SniServerName, client.Connection.Info!.PeerCertificate!.Subject.CommonName);
        await client.WriteAsync("OPTIONS"u8.ToArray());
        byte[] buffer = new byte[16];
        int read = await server.ReadAsync(buffer).AsTask().WaitAsync(Timeout);
        Assert.Equal("OPTIONS", System.Text.Encoding.ASCII.GetString(buffer, 0, read));
    }

    [Fact]
    public async Task TlsStream_authentication_canceled_while_the_selection_runs_throws_and_disposal_cancels_the_selection()
    {
        using TlsProfile initial = DefaultServer();
        using TlsProfile clientProfile = Client();
        var started = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        (Socket clientSocket, Socket serverSocket) = LoopbackTcp.CreateConnectedPair(Timeout);
        var server = new TlsStream(new NetworkStream(serverSocket, ownsSocket: true), ServerConnection(initial, shim: true, (_, cancellationToken) =>
        {
            started.SetResult(cancellationToken);
            return new ValueTask<TlsServerProfileChoice>(Task.Delay(System.Threading.Timeout.Infinite, cancellationToken).ContinueWith(_ => TlsServerProfileChoice.Keep, TaskScheduler.Default));
        }));
        await using var client = new TlsStream(new NetworkStream(clientSocket, ownsSocket: true), clientProfile.CreateConnection(TestPki.SniServerName));
        Task clientHandshake = client.AuthenticateAsync();

        using var cancel = new CancellationTokenSource();
        Task serverHandshake = server.AuthenticateAsync(cancel.Token);
        CancellationToken selectionToken = await started.Task.WaitAsync(Timeout);
        Assert.False(serverHandshake.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serverHandshake.WaitAsync(Timeout));

        Assert.False(selectionToken.IsCancellationRequested);
        await server.DisposeAsync();
        Assert.True(selectionToken.IsCancellationRequested);
        await Assert.ThrowsAnyAsync<Exception>(() => clientHandshake.WaitAsync(Timeout));
    }
}
