using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Support;
using OpenSslTls.Connections;
using OpenSslTls.Errors;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Connections;

/// <summary>Our server profiles against a real <c>openssl s_client</c>.</summary>
public sealed class OpenSslServerSideInteropTests : NativeLeakCheck
{
    private static readonly TimeSpan Timeout = OpenSslInterop.Timeout;

    private static TestPki Pki => TestPki.Instance;

    private static TlsProfileSettings Server(TlsMethod method = TlsMethod.TLSv1_2Plus) => new()
    {
        Method = method,
        Certificate = Pki.ServerEcCertificate,
        PrivateKey = Pki.ServerEcKey,
    };

    [Theory]
    [InlineData(TlsMethod.TLSv1_2Plus, "-tls1_2", true, "TLSv1.2")]
    [InlineData(TlsMethod.TLSv1_2Plus, "-tls1_3", true, "TLSv1.3")]
    [InlineData(TlsMethod.TLSv1_2, "-tls1_2", true, "TLSv1.2")]
    [InlineData(TlsMethod.TLSv1_2, "-tls1_3", false, null)]
    [InlineData(TlsMethod.TLSv1_3, "-tls1_3", true, "TLSv1.3")]
    [InlineData(TlsMethod.TLSv1_3, "-tls1_2", false, null)]
    [InlineData(TlsMethod.TLSv1_3Plus, "-tls1_2", false, null)]
    [InlineData(TlsMethod.SSLv23, "-tls1_2", true, "TLSv1.2")]
    [InlineData(TlsMethod.SSLv23, "-tls1_3", true, "TLSv1.3")]
    [InlineData(TlsMethod.TLSv1_1Plus, "-tls1_3", true, "TLSv1.3")]
    public void Each_method_accepts_or_refuses_s_client_versions(TlsMethod method, string clientVersion, bool accepted, string? protocol)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(method));
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, clientVersion);
        using (client)
        using (peer)
        {
            bool established = peer.WaitForHandshake(Timeout);

            Assert.Equal(accepted, established);
            if (accepted)
            {
                Assert.Equal(protocol, peer.Connection.Info!.Protocol);
                client.WriteLine("OPTIONS sip:x SIP/2.0");
                Assert.True(peer.WaitForText("OPTIONS sip:x SIP/2.0\n", Timeout), peer.Text);
            }
            else
            {
                Assert.Equal(TlsConnectionState.Failed, peer.Connection.State);
                Assert.Contains(Assert.IsType<OpenSslException>(peer.Connection.Failure).Errors, e => e.Reason.Contains("unsupported protocol", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void TLSv1_is_refused_at_build_unless_security_level_0_is_accepted_and_then_speaks_only_TLS10()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1)));
        Assert.Equal("method", error.Parameter);
        Assert.Contains("@SECLEVEL=0", error.Message, StringComparison.Ordinal);

        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1) with { CipherList = "DEFAULT:@SECLEVEL=0" });
        foreach ((string version, bool accepted) in new[] { ("-tls1_2", false), ("-tls1", true) })
        {
            (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, version, "-cipher", "DEFAULT:@SECLEVEL=0");
            using (client)
            using (peer)
            {
                Assert.Equal(accepted, peer.WaitForHandshake(Timeout));
                if (accepted)
                {
                    Assert.Equal("TLSv1", peer.Connection.Info!.Protocol);
                }
            }
        }
    }

    [Theory]
    [InlineData(TlsMethod.SSLv2)]
    [InlineData(TlsMethod.SSLv3)]
    public void Methods_the_loaded_OpenSSL_cannot_do_fail_to_build_with_a_clear_error(TlsMethod method)
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server(method)));

        Assert.Equal("method", error.Parameter);
        Assert.Contains(TlsMethodNames.ToName(method), error.Message, StringComparison.Ordinal);
        Assert.Contains("not supported", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<VerifyClientMode, string, bool, bool> VerifyClientMatrix()
    {
        // mode, client certificate kind, handshake succeeds, peer reported verified
        var data = new TheoryData<VerifyClientMode, string, bool, bool>();
        foreach ((VerifyClientMode mode, bool[] accepted) in new[]
        {
            (VerifyClientMode.Off, new[] { true, true, true, true, true }),
            (VerifyClientMode.On, new[] { false, true, false, false, false }),
            (VerifyClientMode.Optional, new[] { true, true, false, false, false }),
            (VerifyClientMode.OptionalNoCa, new[] { true, true, true, true, true }),
        })
        {
            string[] kinds = ["none", "valid", "untrusted", "expired", "revoked"];
            for (int i = 0; i < kinds.Length; i++)
            {
                bool verified = mode != VerifyClientMode.Off && kinds[i] == "valid";
                data.Add(mode, kinds[i], accepted[i], verified);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(VerifyClientMatrix))]
    public void Verify_client_modes_judge_client_certificates(VerifyClientMode mode, string kind, bool accepted, bool verified)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server() with
        {
            VerifyClient = mode,
            CaList = Pki.RootCaCertificate,
            Crl = Pki.Crl,
        });
        string[] certificate = kind switch
        {
            "valid" => ["-cert", Pki.ClientCertificate, "-key", Pki.ClientKey],
            "untrusted" => ["-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey],
            "expired" => ["-cert", Pki.ExpiredClientCertificate, "-key", Pki.ExpiredClientKey],
            "revoked" => ["-cert", Pki.RevokedClientCertificate, "-key", Pki.RevokedClientKey],
            _ => [],
        };
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, certificate);
        using (client)
        using (peer)
        {
            Assert.Equal(accepted, peer.WaitForHandshake(Timeout));
            if (!accepted)
            {
                Assert.Contains(kind == "none" ? "did not return a certificate" : "verification failed", peer.Connection.Failure!.Message, StringComparison.Ordinal);
                return;
            }

            TlsConnectionInfo info = peer.Connection.Info!;
            Assert.Equal(verified, info.PeerVerified);
            bool certificateSeen = mode != VerifyClientMode.Off && kind != "none";
            Assert.Equal(certificateSeen, info.PeerCertificate is not null);
            if (mode == VerifyClientMode.OptionalNoCa)
            {
                Assert.Equal(kind == "expired", info.PeerExpired);
                Assert.Equal(kind == "revoked", info.PeerRevoked);
            }
        }
    }

    [Fact]
    public void Ca_list_subjects_are_sent_as_acceptable_client_CA_names()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server() with { VerifyClient = VerifyClientMode.Optional, CaList = Pki.RootCaCertificate });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            Assert.True(client.WaitForOutput("Acceptable client certificate CA names", Timeout), client.Output);
            Assert.True(client.WaitUntil(output => OpenSslOutput.HasName(output, "CN", TestPki.RootCaName), Timeout), client.Output);
        }
    }

    [Fact]
    public void A_missing_CRL_for_a_CA_in_the_chain_gives_a_readable_error()
    {
        // Both roots are trusted but the CRL file only holds the test root's CRL: the untrusted root has none.
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server() with
        {
            VerifyClient = VerifyClientMode.On,
            CaList = Pki.AllRootsBundle,
            Crl = Pki.Crl,
        });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-cert", Pki.UntrustedClientCertificate, "-key", Pki.UntrustedClientKey);
        using (client)
        using (peer)
        {
            Assert.False(peer.WaitForHandshake(Timeout));
            Assert.Contains("unable to get certificate CRL", peer.Connection.Failure!.Message, StringComparison.Ordinal);
            Assert.Contains("every CA of the chain", peer.Connection.Failure.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Cipher_list_restricts_the_negotiated_TLS12_cipher()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1_2) with { CipherList = "ECDHE-ECDSA-CHACHA20-POLY1305" });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            Assert.Equal("ECDHE-ECDSA-CHACHA20-POLY1305", peer.Connection.Info!.CipherName);
        }
    }

    [Fact]
    public void Cipher_list_of_a_TLS13_only_method_selects_TLS13_suites()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1_3) with { CipherList = "TLS_CHACHA20_POLY1305_SHA256" });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_3");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            Assert.Equal("TLS_CHACHA20_POLY1305_SHA256", peer.Connection.Info!.CipherName);
        }
    }

    [Fact]
    public void A_client_whose_ciphers_are_all_excluded_is_refused()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1_2) with { CipherList = "ECDHE-ECDSA-CHACHA20-POLY1305" });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
        using (client)
        using (peer)
        {
            Assert.False(peer.WaitForHandshake(Timeout));
            Assert.Contains(Assert.IsType<OpenSslException>(peer.Connection.Failure).Errors, e => e.Reason.Contains("no shared cipher", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("NOT-A-CIPHER", TlsMethod.TLSv1_2Plus, "cipher_list")]
    [InlineData("AES128-SHA", TlsMethod.TLSv1_3, "cipher_list")]
    public void Invalid_cipher_lists_fail_at_build_naming_the_value(string list, TlsMethod method, string parameter)
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server(method) with { CipherList = list }));

        Assert.Equal(parameter, error.Parameter);
        Assert.Contains($"'{list}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_cipher_suites_fail_at_build_naming_the_value()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server() with { CipherSuites = "TLS_NOPE" }));

        Assert.Equal("cipher_suites", error.Parameter);
        Assert.Contains("'TLS_NOPE'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Max_send_fragment_1024_keeps_records_on_the_wire_small()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1_2), new TlsTuning { MaxSendFragment = 1024 });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            int before = peer.SentCiphertext.Count;
            string payload = new('s', 6000);
            Assert.Equal(TlsStatus.Ok, peer.Send(payload + "\n").Status);

            Assert.True(client.WaitForOutput(payload, Timeout), "s_client did not print the payload");
            List<int> lengths = peer.SentCiphertext.Skip(before).SelectMany(chunk => TlsRecords.Lengths(chunk)).ToList();
            Assert.True(lengths.Count >= 6, $"{lengths.Count} records");

            // TLS 1.2 AEAD record: 8-byte explicit nonce + plaintext + 16-byte tag (ECDSA server prefers AES-GCM).
            Assert.All(lengths, length => Assert.InRange(length, 1, 1024 + 8 + 16));
        }
    }

    [Fact]
    public void An_encrypted_private_key_loads_with_its_password_and_serves()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server() with
        {
            PrivateKey = Pki.ServerEcKeyEncrypted,
            PrivateKeyPassword = Pki.ServerEcKeyPassword,
        });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile);
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
        }
    }

    [Theory]
    [InlineData("wrong-password", "wrong password")]
    [InlineData(null, "is encrypted and no password is configured")]
    public void An_encrypted_private_key_with_a_wrong_or_no_password_fails_clearly(string? password, string expected)
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server() with
        {
            PrivateKey = Pki.ServerEcKeyEncrypted,
            PrivateKeyPassword = password,
        }));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(Pki.ServerEcKeyEncrypted, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Pki.ServerEcKeyPassword, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_that_does_not_match_the_certificate_fails_clearly()
    {
        var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, Server() with { PrivateKey = Pki.ClientKey }));

        Assert.Equal("private_key", error.Parameter);
        Assert.Contains("does not match certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains(Pki.ClientKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_RSA_and_an_ECDSA_certificate_serve_side_by_side()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1_2) with
        {
            Certificate2 = Pki.ServerRsaCertificate,
            PrivateKey2 = Pki.ServerRsaKey,
        });
        foreach ((string cipher, string keyType) in new[] { ("ECDHE-RSA-AES128-GCM-SHA256", "RSA"), ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDSA") })
        {
            (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2", "-cipher", cipher);
            using (client)
            using (peer)
            {
                Assert.True(peer.WaitForHandshake(Timeout), keyType);
                Assert.Equal(cipher, peer.Connection.Info!.CipherName);
            }
        }
    }

    [Theory]
    [InlineData("s3cret-pass", true)]
    [InlineData("not-the-pass-7Q", false)]
    public void Private_key_password2_opens_an_encrypted_second_key(string password, bool opens)
    {
        TlsProfileSettings settings = Server(TlsMethod.TLSv1_2) with
        {
            Certificate = Pki.ServerRsaCertificate,
            PrivateKey = Pki.ServerRsaKey,
            Certificate2 = Pki.ServerEcCertificate,
            PrivateKey2 = Pki.ServerEcKeyEncrypted,
            PrivateKeyPassword2 = password,
        };
        if (!opens)
        {
            var error = Assert.Throws<TlsProfileException>(() => TlsProfile.Create(TlsRole.Server, settings));
            Assert.Equal("private_key2", error.Parameter);
            Assert.DoesNotContain(password, error.Message, StringComparison.Ordinal);
            return;
        }

        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, settings);
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            Assert.Equal("ECDHE-ECDSA-AES128-GCM-SHA256", peer.Connection.Info!.CipherName);
        }
    }

    [Fact]
    public void Session_cache_on_lets_s_client_reconnect_with_resumption()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(), new TlsTuning { SessionCache = true });
        Assert.Equal(6, CountReusedReconnects(profile, expectReuse: true) + 1);
    }

    [Fact]
    public void A_TLS13_ticket_saved_by_s_client_resumes_with_session_cache_on()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(), new TlsTuning { SessionCache = true });
        string sessionFile = Path.Combine(Path.GetTempPath(), $"openssltls-session-{Guid.NewGuid():N}.pem");
        try
        {
            (SocketTlsPeer first, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_3", "-sess_out", sessionFile);
            using (client)
            using (first)
            {
                Assert.True(first.WaitForHandshake(Timeout));
                client.WriteLine("hello"); // s_client reads the tickets while it waits for the reply
                Assert.True(first.WaitForText("hello\n", Timeout));
                first.Send("ok\n");
                Assert.True(client.WaitForOutput("ok", Timeout));
                client.CloseInput();
                client.WaitForExit(Timeout);
            }

            (SocketTlsPeer second, OpenSslProcess again) = OpenSslInterop.ServeOne(profile, "-tls1_3", "-sess_in", sessionFile);
            using (again)
            using (second)
            {
                Assert.True(second.WaitForHandshake(Timeout));
                Assert.True(second.Connection.Info!.SessionReused);
                Assert.True(again.WaitForOutput("Reused, TLSv1.3", Timeout), again.Output);
            }
        }
        finally
        {
            File.Delete(sessionFile);
        }
    }

    [Fact]
    public void Session_cache_off_makes_every_reconnect_a_full_handshake()
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(), new TlsTuning { SessionCache = false });
        Assert.Equal(0, CountReusedReconnects(profile, expectReuse: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Renegotiation_requested_by_s_client_is_refused_unless_enabled(bool allowed)
    {
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(TlsMethod.TLSv1_2), new TlsTuning { Renegotiation = allowed });
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_2");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            client.WriteLine("R");
            Assert.True(client.WaitForOutput(OpenSslOutput.ClientRenegotiating, Timeout), client.Output);
            client.WriteLine("after");

            if (allowed)
            {
                Assert.True(peer.WaitForText("after\n", Timeout), client.Output);
            }
            else
            {
                Assert.True(client.WaitUntil(output => output.Contains("no renegotiation", StringComparison.Ordinal), Timeout), client.Output);
                Assert.DoesNotContain("after", peer.Text, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Close_notify_reaches_s_client_only_when_enabled(bool sendCloseNotify)
    {
        var runtime = new TlsRuntimeParameters { SendCloseNotify = sendCloseNotify };
        using TlsProfile profile = TlsProfile.Create(TlsRole.Server, Server(), runtime: runtime);
        (SocketTlsPeer peer, OpenSslProcess client) = OpenSslInterop.ServeOne(profile, "-tls1_3");
        using (client)
        using (peer)
        {
            Assert.True(peer.WaitForHandshake(Timeout));
            int sentBefore = peer.SentCiphertext.Count;
            peer.Close();
            client.WaitForExit(Timeout);

            Assert.Equal(sendCloseNotify, peer.SentCiphertext.Count > sentBefore);
            Assert.Equal(sendCloseNotify, !client.Output.Contains("unexpected eof", StringComparison.OrdinalIgnoreCase));
        }
    }

    private static int CountReusedReconnects(TlsProfile profile, bool expectReuse)
    {
        (System.Net.Sockets.Socket listener, int port) = LoopbackTcp.Listen();
        using (listener)
        using (OpenSslProcess client = OpenSslProcess.StartClient(port, "-reconnect", "-tls1_2"))
        {
            var peers = new List<SocketTlsPeer>();
            try
            {
                for (int i = 0; i < 6; i++)
                {
                    var peer = new SocketTlsPeer(LoopbackTcp.Accept(listener, Timeout), profile.CreateConnection());
                    peers.Add(peer);
                    Assert.True(peer.WaitForHandshake(Timeout), client.Output);
                    peer.WaitForEnd(Timeout);
                }

                client.CloseInput();
                client.WaitForExit(Timeout);
                int reused = peers.Count(p => p.Connection.Info!.SessionReused);
                Assert.Equal(expectReuse ? peers.Count - 1 : 0, reused);
                return reused;
            }
            finally
            {
                peers.ForEach(p => p.Dispose());
            }
        }
    }
}
