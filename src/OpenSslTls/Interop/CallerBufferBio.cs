using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using static OpenSslTls.Interop.NativeMethods;

namespace OpenSslTls.Interop;

/// <summary>
/// A custom BIO over the caller's buffers, the managed twin of Kamailio's tls_bio.c: during one operation OpenSSL
/// reads ciphertext straight from the caller's (pinned) input span and writes ciphertext straight into the caller's
/// <see cref="IBufferWriter{T}"/>. Outside an operation both are unset, so stray I/O sees "retry". Compared with a
/// pair of memory BIOs this skips one copy each way and every BIO buffer allocation.
/// </summary>
internal static unsafe class CallerBufferBio
{
    private static readonly Lock Gate = new();
    private static BIO_METHOD* s_method;
    private static BIO_METHOD* s_nativeMethod;

    /// <summary>
    /// Creates a managed-path BIO whose state lives in a freshly allocated <see cref="BioBuffers"/>; the BIO frees it in
    /// its destroy callback. (The native path's BIO is made by <see cref="NativeIoShim.Functions.ConnectionNew"/>.)
    /// </summary>
    internal static BIO* Create(BioOutputSink sink, out BioBuffers* buffers)
    {
        BIO* bio = Crypto.BIO_new(Method);
        if (bio == null)
        {
            throw ErrorQueue.Drain("BIO_new(caller buffer BIO)");
        }

        buffers = (BioBuffers*)NativeMemory.AllocZeroed((nuint)sizeof(BioBuffers));

        // A normal GCHandle to the sink only: the sink never references the connection, so native code cannot keep
        // the connection alive. The destroy callback frees the handle when SSL_free releases the BIO.
        buffers->Sink = GCHandle.ToIntPtr(GCHandle.Alloc(sink));
        Crypto.BIO_set_data(bio, buffers);
        Crypto.BIO_set_init(bio, 1);
        return bio;
    }

    private static BIO_METHOD* Method
    {
        get
        {
            if (s_method != null)
            {
                return s_method;
            }

            lock (Gate)
            {
                if (s_method == null)
                {
                    s_method = NewMethod("openssltls-caller-buffers\0"u8, &Read, &Write, &OnDestroy);
                }

                return s_method;
            }
        }
    }

    /// <summary>The BIO method of the native path (C read, write and destroy callbacks), for <see cref="NativeIoShim.Functions.ConnectionNew"/>.</summary>
    internal static BIO_METHOD* NativeMethod(NativeIoShim.Functions shim)
    {
        if (s_nativeMethod != null)
        {
            return s_nativeMethod;
        }

        lock (Gate)
        {
            if (s_nativeMethod == null)
            {
                s_nativeMethod = NewMethod("openssltls-caller-buffers-native\0"u8, shim.BioRead, shim.BioWrite, shim.BioDestroy);
            }

            return s_nativeMethod;
        }
    }

    // Created once per kind and kept for the process lifetime: every live BIO points at its method. The ctrl function
    // is the null BIO's own C one: libssl asks ~15 ctrl questions per record (kTLS, flush, pending) whose answers
    // (1 for FLUSH/DUP, 0 otherwise) need no managed state, so a managed callback only cost time.
    private static BIO_METHOD* NewMethod(
        ReadOnlySpan<byte> nameZ,
        delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> read,
        delegate* unmanaged[Cdecl]<BIO*, sbyte*, nuint, nuint*, int> write,
        delegate* unmanaged[Cdecl]<BIO*, int> destroy)
    {
        int type = Crypto.BIO_get_new_index() | Crypto.BIO_TYPE_SOURCE_SINK;
        fixed (byte* name = nameZ)
        {
            BIO_METHOD* method = Crypto.BIO_meth_new(type, (sbyte*)name);
            if (method == null
                || Crypto.BIO_meth_set_write_ex(method, write) != 1
                || Crypto.BIO_meth_set_read_ex(method, read) != 1
                || Crypto.BIO_meth_set_ctrl(method, Crypto.BIO_meth_get_ctrl(Crypto.BIO_s_null())) != 1
                || Crypto.BIO_meth_set_destroy(method, destroy) != 1)
            {
                throw ErrorQueue.Drain("creating the caller-buffer BIO method");
            }

            return method;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Read(BIO* bio, sbyte* data, nuint length, nuint* read)
    {
        try
        {
            Crypto.BIO_clear_retry_flags(bio);
            var buffers = (BioBuffers*)Crypto.BIO_get_data(bio);
            if (buffers != null)
            {
                buffers->ReadCalls++;
            }

            nint available = buffers == null || buffers->Input == null ? 0 : buffers->InputLength - buffers->InputOffset;
            if (available <= 0)
            {
                *read = 0;
                Crypto.BIO_set_retry_read(bio);
                return 0;
            }

            nint count = (nint)Math.Min((nuint)available, length);
            Buffer.MemoryCopy(buffers->Input + buffers->InputOffset, data, (long)length, count);
            buffers->InputOffset += count;
            *read = (nuint)count;
            return 1;
        }
        catch (Exception e)
        {
            NativeCallback.Record("caller-buffer BIO read", e);
            *read = 0;
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int Write(BIO* bio, sbyte* data, nuint length, nuint* written)
    {
        *written = 0;
        try
        {
            Crypto.BIO_clear_retry_flags(bio);
            var buffers = (BioBuffers*)Crypto.BIO_get_data(bio);
            if (buffers == null || buffers->Sink == IntPtr.Zero)
            {
                return 0;
            }

            var sink = (BioOutputSink)GCHandle.FromIntPtr(buffers->Sink).Target!;
            IBufferWriter<byte>? writer = sink.Writer;
            if (writer is null)
            {
                // No operation is running (e.g. an alert while the connection is being freed): nowhere to send.
                Crypto.BIO_set_retry_write(bio);
                return 0;
            }

            int count = checked((int)length);
            var source = new ReadOnlySpan<byte>(data, count);
            source.CopyTo(writer.GetSpan(count));
            writer.Advance(count);
            sink.BytesWritten += count;
            *written = length;
            return 1;
        }
        catch (Exception e)
        {
            // Never let an exception cross into OpenSSL: remember it and fail the write (the operation reports it).
            NativeCallback.Record("output buffer writer", e);
            return 0;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnDestroy(BIO* bio)
    {
        try
        {
            var buffers = (BioBuffers*)Crypto.BIO_get_data(bio);
            if (buffers != null)
            {
                Crypto.BIO_set_data(bio, null);
                if (buffers->Sink != IntPtr.Zero)
                {
                    GCHandle.FromIntPtr(buffers->Sink).Free();
                }

                // The shim's spill buffer comes from malloc/realloc; NativeMemory.Free is free() on Unix, the shim's only platform.
                NativeMemory.Free(buffers->Spill);
                NativeMemory.Free(buffers);
            }

            return 1;
        }
        catch (Exception e)
        {
            NativeCallback.Record("caller-buffer BIO destroy", e);
            return 0;
        }
    }
}

/// <summary>
/// Per-BIO native state: the current input span (pinned by the running operation) and where output goes: the managed
/// BIO appends to the sink's writer, the native BIO copies into the pinned <see cref="Output"/> span. Same layout as
/// <c>otls_io</c> in native/io/openssltls_io.c (the shim checks the size when it loads).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BioBuffers
{
    public byte* Input;
    public nint InputLength;
    public nint InputOffset;
    public IntPtr Sink;
    public byte* Output;
    public nint OutputCapacity;
    public nint OutputLength;

    /// <summary>Native BIO only: output that did not fit in <see cref="Output"/>, malloc'd by the shim, freed with free().</summary>
    public byte* Spill;
    public nint SpillLength;
    public nint SpillCapacity;

    /// <summary>Calls of the BIO's read callback (both BIOs count): one increment, so the effect of ssl_read_ahead is observable.</summary>
    public long ReadCalls;
}

/// <summary>Where the BIO writes ciphertext during an operation; holds no reference to the connection.</summary>
internal sealed class BioOutputSink
{
    public IBufferWriter<byte>? Writer;
    public long BytesWritten;
}
