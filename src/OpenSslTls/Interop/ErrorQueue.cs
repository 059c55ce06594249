using System.Runtime.InteropServices;
using OpenSslTls.Interop;
using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// The one place where OpenSSL's thread-local error queue becomes an exception. Fallible operations call
/// <see cref="Clear"/> first (a stale entry from an earlier, handled failure must never be blamed on them) and
/// <see cref="Drain"/> on failure, which empties the queue so the next operation starts clean.
/// </summary>
internal static unsafe class ErrorQueue
{
    // OpenSSL's own flag values (err.h): the data string was allocated and is text.
    private const int ErrTextFlag = 0x02;

    /// <summary>
    /// Empties the calling thread's error queue. It is almost always empty already (every failure drains it), and
    /// ERR_clear_error resets all 16 slots while ERR_peek_error only compares two indices: ~150 against ~30 ns here,
    /// and the record path calls this once per message each way (docs/benchmarks.md, "Records against a memory-BIO C
    /// program"). ERR_peek_error is also what SSL_get_error consults, so "peek says empty" is exactly the clean state
    /// SSL_get_error needs.
    /// </summary>
    internal static void Clear()
    {
        if (Crypto.ERR_peek_error() != 0)
        {
            Crypto.ERR_clear_error();
        }
    }

    /// <summary>Removes every queued error of the calling thread and wraps them in an exception for <paramref name="operation"/>.</summary>
    internal static OpenSslException Drain(string operation) => new($"{operation} failed", DrainErrors());

    /// <summary>Removes every queued error of the calling thread, oldest first.</summary>
    internal static List<OpenSslError> DrainErrors()
    {
        var errors = new List<OpenSslError>();

        // Bounded: OpenSSL's queue holds at most ERR_NUM_ERRORS (16) entries, but never trust a loop to native state.
        for (var i = 0; i < 64; i++)
        {
            sbyte* file = null;
            sbyte* function = null;
            sbyte* data = null;
            int line = 0;
            int flags = 0;
            nuint code = Crypto.ERR_get_error_all(&file, &line, &function, &data, &flags);
            if (code == 0)
            {
                break;
            }

            errors.Add(Describe(code, file, line, function, (flags & ErrTextFlag) != 0 ? data : null));
        }

        return errors;
    }

    private static OpenSslError Describe(nuint code, sbyte* file, int line, sbyte* function, sbyte* data)
    {
        bool isSystem = ErrorCodes.IsSystemError(code);
        int reasonCode = ErrorCodes.GetReason(code);
        string library = Text(Crypto.ERR_lib_error_string(code)) ?? (isSystem ? "system library" : $"library {ErrorCodes.GetLibrary(code)}");
        string reason = isSystem
            ? Marshal.GetPInvokeErrorMessage(reasonCode)
            : Text(Crypto.ERR_reason_error_string(code)) ?? $"reason {reasonCode}";

        return new OpenSslError(
            Code: code,
            Library: library,
            Reason: reason,
            ReasonCode: reasonCode,
            Function: EmptyToNull(Text(function)),
            File: EmptyToNull(Text(file)),
            Line: line,
            Data: EmptyToNull(Text(data)))
        {
            IsSystemError = isSystem,
        };
    }

    private static string? Text(sbyte* text) => Utf8Z.ToString(text);

    private static string? EmptyToNull(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
