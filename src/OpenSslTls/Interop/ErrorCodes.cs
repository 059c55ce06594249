namespace OpenSslTls.Interop;

/// <summary>
/// Hand-written equivalents of err.h's <c>static inline</c> accessors (<c>ERR_GET_LIB</c>, <c>ERR_GET_REASON</c>,
/// <c>ERR_SYSTEM_ERROR</c>): inline functions are not exported, so the generator cannot bind them.
/// </summary>
internal static class ErrorCodes
{
    // err.h (3.0): bit 31 marks a system error whose low 31 bits are errno; otherwise lib = bits 23..30, reason = 0..22.
    private const ulong SystemFlag = 1UL << 31;
    private const ulong SystemMask = int.MaxValue;
    private const int LibraryOffset = 23;
    private const ulong LibraryMask = 0xFF;
    private const ulong ReasonMask = 0x7FFFFF;

    internal static bool IsSystemError(nuint code) => ((ulong)code & SystemFlag) != 0;

    internal static int GetLibrary(nuint code) =>
        IsSystemError(code) ? NativeMethods.Crypto.ERR_LIB_SYS : (int)(((ulong)code >> LibraryOffset) & LibraryMask);

    internal static int GetReason(nuint code) =>
        IsSystemError(code) ? (int)((ulong)code & SystemMask) : (int)((ulong)code & ReasonMask);
}
