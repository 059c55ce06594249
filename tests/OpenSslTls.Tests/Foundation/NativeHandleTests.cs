using OpenSslTls.Interop;
using OpenSslTls.Tests.Infrastructure;
using OpenSslTls.Tests.Connections;
using OpenSslTls.Tests.Support;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Foundation;

public sealed unsafe class NativeHandleTests : NativeLeakCheck
{
    private static TestPki Pki => TestPki.Instance;

    [Fact]
    public void Every_handle_type_is_counted_while_alive_and_uncounted_after_dispose()
    {
        var created = new List<(NativeObjectKind Kind, IDisposable Handle)>
        {
            (NativeObjectKind.Bio, OpenSslHandle<BIO>.TakeOwnership(Crypto.BIO_new(Crypto.BIO_s_mem()), "BIO_new")),
            (NativeObjectKind.X509, ReadPem(Pki.RootCaCertificate, static bio => OpenSslHandle<X509>.TakeOwnership(Crypto.PEM_read_bio_X509((BIO*)bio, null, null, null), "PEM_read_bio_X509"))),
            (NativeObjectKind.X509Crl, ReadPem(Pki.Crl, static bio => OpenSslHandle<X509_CRL>.TakeOwnership(Crypto.PEM_read_bio_X509_CRL((BIO*)bio, null, null, null), "PEM_read_bio_X509_CRL"))),
            (NativeObjectKind.EvpPKey, PrivateKeyReference.LoadPem(Pki.ServerEcKey, null, "private_key", "test")),
            (NativeObjectKind.X509Store, OpenSslHandle<X509_STORE>.TakeOwnership(Crypto.X509_STORE_new(), "X509_STORE_new")),
            (NativeObjectKind.Engine, OpenSslHandle<ENGINE>.TakeOwnership(Crypto.ENGINE_new(), "ENGINE_new")),
            (NativeObjectKind.EvpPKeyContext, NewKeyContext()),
            (NativeObjectKind.BigNumber, OpenSslHandle<BIGNUM>.TakeOwnership(Crypto.BN_new(), "BN_new")),
            (NativeObjectKind.X509Extension, OpenSslHandle<X509_EXTENSION>.TakeOwnership(Crypto.X509_EXTENSION_new(), "X509_EXTENSION_new")),
        };

        TlsProfile server = TlsProfile.Create(TlsRole.Server, InMemoryConnectionTests.ServerSettings(), new TlsTuning { SessionCache = true });
        TlsProfile client = TlsProfile.Create(TlsRole.Client, InMemoryConnectionTests.ClientSettings());
        created.Add((NativeObjectKind.SslContext, server));
        created.Add((NativeObjectKind.SslContext, client));
        var pair = new TlsPair(server, client);
        Assert.True(pair.Handshake());
        pair.ServerSend("x"u8);
        pair.Pump();
        created.Add((NativeObjectKind.SslSession, pair.Client.GetSession()!));
        created.Add((NativeObjectKind.Ssl, pair));

        foreach (NativeObjectKind kind in Enum.GetValues<NativeObjectKind>())
        {
            Assert.True(LiveInThisTest(kind) >= created.Count(c => c.Kind == kind), $"{kind} not counted");
        }

        Assert.Equal(Enum.GetValues<NativeObjectKind>().Length, created.Select(c => c.Kind).Distinct().Count());
        long sslBefore = LiveInThisTest(NativeObjectKind.Ssl);
        pair.Dispose();
        Assert.Equal(sslBefore - 2, LiveInThisTest(NativeObjectKind.Ssl));
        foreach ((NativeObjectKind _, IDisposable handle) in created)
        {
            handle.Dispose();
        }

        // The base class asserts every object this test made is freed.
    }

    [Fact]
    public void Add_reference_owns_a_new_reference_and_the_original_survives_its_release()
    {
        using OpenSslHandle<X509> original = ReadPem(Pki.RootCaCertificate, static bio => OpenSslHandle<X509>.TakeOwnership(Crypto.PEM_read_bio_X509((BIO*)bio, null, null, null), "PEM_read_bio_X509"));
        long before = LiveInThisTest(NativeObjectKind.X509);

        OpenSslHandle<X509> extra = OpenSslHandle<X509>.AddReference(original.Pointer, "X509_up_ref");
        Assert.Equal(before + 1, LiveInThisTest(NativeObjectKind.X509));
        extra.Dispose();

        Assert.Equal(before, LiveInThisTest(NativeObjectKind.X509));
        Assert.Equal(2, (int)Crypto.X509_get_version(original.Pointer)); // still usable: v3 certificate
    }

    [Fact]
    public void Transferring_ownership_uncounts_the_handle_without_freeing()
    {
        OpenSslHandle<BIO> bio = OpenSslHandle<BIO>.TakeOwnership(Crypto.BIO_new(Crypto.BIO_s_mem()), "BIO_new");
        BIO* pointer = bio.Pointer;
        long before = LiveInThisTest(NativeObjectKind.Bio);

        bio.TransferOwnership();
        bio.Dispose();

        Assert.Equal(before - 1, LiveInThisTest(NativeObjectKind.Bio));
        Assert.Equal(1, Crypto.BIO_free(pointer)); // still alive: the new owner frees it
    }

    [Fact]
    public void A_handle_counts_to_the_scope_current_where_it_was_made_whichever_thread_frees_it()
    {
        // UnsafeStart flows no ExecutionContext, so no scope is current on that thread: the handle belongs to no test.
        using OpenSslHandle<BIO> outside = OnThread(NewMemoryBio, flowContext: false);
        Assert.Equal(0, LiveInThisTest(NativeObjectKind.Bio));

        NativeObjectCounter.Scope inner;
        OpenSslHandle<BIO> made;
        using (inner = NativeObjectCounter.OpenScope())
        {
            // Start flows the ExecutionContext, and with it the scope, like tasks and timers do.
            made = OnThread(NewMemoryBio, flowContext: true);
            Assert.Equal(1, inner.Get(NativeObjectKind.Bio));
        }

        Assert.NotSame(inner, NativeObjectCounter.CurrentScope);
        Assert.Equal(0, LiveInThisTest(NativeObjectKind.Bio)); // scopes do not nest

        // Freed on a thread outside every scope: still uncounted from the scope it was made in.
        OnThread(() => { made.Dispose(); return 0; }, flowContext: false);
        Assert.Equal(0, inner.Get(NativeObjectKind.Bio));
    }

    [Fact]
    public void A_null_result_becomes_the_queued_OpenSSL_error()
    {
        var error = Assert.Throws<OpenSslException>(() =>
            ReadPem(Pki.ServerEcKey, static bio => OpenSslHandle<X509>.TakeOwnership(Crypto.PEM_read_bio_X509((BIO*)bio, null, null, null), "reading a certificate from a key file")));

        Assert.StartsWith("reading a certificate from a key file failed: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(error.Errors, e => e.Reason.Contains("no start line", StringComparison.Ordinal));
    }

    private static OpenSslHandle<BIO> NewMemoryBio() => OpenSslHandle<BIO>.TakeOwnership(Crypto.BIO_new(Crypto.BIO_s_mem()), "BIO_new");

    private static T OnThread<T>(Func<T> work, bool flowContext)
    {
        T result = default!;
        var thread = new Thread(() => result = work());
        if (flowContext)
        {
            thread.Start();
        }
        else
        {
            thread.UnsafeStart();
        }

        thread.Join();
        return result;
    }

    private static OpenSslHandle<EVP_PKEY_CTX> NewKeyContext()
    {
        fixed (byte* name = "EC\0"u8)
        {
            return OpenSslHandle<EVP_PKEY_CTX>.TakeOwnership(Crypto.EVP_PKEY_CTX_new_from_name(null, (sbyte*)name, null), "EVP_PKEY_CTX_new_from_name");
        }
    }

    private static T ReadPem<T>(string path, Func<IntPtr, T> read)
    {
        fixed (byte* file = Utf8Z.From(path))
        fixed (byte* mode = "r\0"u8)
        {
            BIO* bio = Crypto.BIO_new_file((sbyte*)file, (sbyte*)mode);
            Assert.True(bio != null);
            try
            {
                return read((IntPtr)bio);
            }
            finally
            {
                Crypto.BIO_free(bio);
            }
        }
    }
}
