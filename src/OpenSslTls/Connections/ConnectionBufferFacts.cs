namespace OpenSslTls.Connections;

/// <summary>The buffer facts of one connection at one moment (see <see cref="TlsConnection.ReadBufferFacts"/>).</summary>
/// <param name="QueuedClearText">Plaintext waiting for the handshake (Kamailio's <c>ct_wq_size</c>).</param>
/// <param name="PartialRecordBytes">Ciphertext taken that does not complete a record yet (Kamailio's <c>enc_rd_buf</c>).</param>
/// <param name="PendingPlaintext">Decrypted bytes OpenSSL holds for the next read (<c>SSL_pending</c>).</param>
/// <param name="ReleasesBuffers">Whether the SSL frees its record buffers when idle (<c>SSL_MODE_RELEASE_BUFFERS</c>).</param>
/// <param name="Handshaked">Whether the handshake has completed.</param>
internal readonly record struct ConnectionBufferFacts(int QueuedClearText, int PartialRecordBytes, int PendingPlaintext, bool ReleasesBuffers, bool Handshaked);
