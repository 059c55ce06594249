using OpenSslTls.Interop;
using OpenSslTls.Tests.Support;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Tests.Foundation;

public sealed unsafe class ErrorQueueTests : NativeLeakCheck
{
    [Fact]
    public void A_missing_certificate_file_reports_the_OpenSSL_reason_and_the_path()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-such-dir-{Guid.NewGuid():N}", "cert.pem");

        var error = Assert.Throws<TlsProfileException>(() =>
            TlsProfile.Create(TlsRole.Server, new TlsProfileSettings { Certificate = path, PrivateKey = path }));

        Assert.Equal("certificate", error.Parameter);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        OpenSslError system = Assert.Single(error.Errors, e => e.IsSystemError);
        Assert.Equal(2, system.ReasonCode); // ENOENT
        Assert.Contains(path, system.Data, StringComparison.Ordinal);
        Assert.Contains(error.Errors, e => e.Library == "SSL routines" || e.Library == "BIO routines");
        Assert.All(error.Errors, e => Assert.False(string.IsNullOrEmpty(e.File)));
    }

    [Fact]
    public void Draining_empties_the_queue_so_the_next_operation_starts_clean()
    {
        fixed (byte* missing = "/nonexistent/file.pem\0"u8)
        fixed (byte* mode = "r\0"u8)
        {
            Assert.True(NativeMethods.Crypto.BIO_new_file((sbyte*)missing, (sbyte*)mode) == null);
        }

        OpenSslException error = ErrorQueue.Drain("opening /nonexistent/file.pem");

        Assert.NotEmpty(error.Errors);
        Assert.StartsWith("opening /nonexistent/file.pem failed: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(0UL, (ulong)NativeMethods.Crypto.ERR_peek_error());
        Assert.Empty(ErrorQueue.DrainErrors());
    }

    [Fact]
    public void Clear_discards_a_stale_error_left_by_someone_else()
    {
        fixed (byte* missing = "/nonexistent/other.pem\0"u8)
        fixed (byte* mode = "r\0"u8)
        {
            NativeMethods.Crypto.BIO_new_file((sbyte*)missing, (sbyte*)mode);
        }

        Assert.NotEqual(0UL, (ulong)NativeMethods.Crypto.ERR_peek_error());
        ErrorQueue.Clear();
        Assert.Equal(0UL, (ulong)NativeMethods.Crypto.ERR_peek_error());
    }
}
