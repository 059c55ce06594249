namespace OpenSslTls.Connections;

/// <summary>
/// Chooses a server connection's profile when the client's ClientHello arrives, and may take its time, like
/// SslStream's <c>ServerOptionsSelectionCallback</c>: it is called once per connection (with or without SNI) on the
/// thread feeding the ClientHello. When the returned task is not complete at once, the handshake suspends without
/// blocking any thread: the connection's operations report <see cref="TlsStatus.WantsCallback"/> until the task
/// completes (<see cref="TlsConnection.PendingCallback"/>), and the next <c>Receive</c> resumes the handshake under the
/// chosen profile. <paramref name="cancellationToken"/> is canceled when the connection is disposed or aborted first;
/// the task may still complete afterwards, harmlessly. An exception (or a canceled task) fails the handshake with an
/// internal_error alert and a <c>TlsCallbackException</c>; <see cref="TlsServerProfileChoice.Refuse"/> fails it with
/// unrecognized_name.
/// </summary>
/// <param name="clientHello">The server name the client asked for and the connection's profile and endpoints.</param>
/// <param name="cancellationToken">Canceled when the connection goes away before the choice is made.</param>
/// <returns>The profile to use, <see cref="TlsServerProfileChoice.Keep"/>, or a refusal.</returns>
public delegate ValueTask<TlsServerProfileChoice> TlsServerProfileSelectionCallback(TlsClientHelloInfo clientHello, CancellationToken cancellationToken);
