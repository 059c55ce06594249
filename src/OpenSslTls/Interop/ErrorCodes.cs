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

    // storeerr.h's OSSL_STORE_R_UNREGISTERED_SCHEME (the generator does not read storeerr.h).
    private const int StoreUnregisteredScheme = 106;

    internal static bool IsSystemError(nuint code) => ((ulong)code & SystemFlag) != 0;

    internal static int GetLibrary(nuint code) =>
        IsSystemError(code) ? NativeMethods.Crypto.ERR_LIB_SYS : (int)(((ulong)code >> LibraryOffset) & LibraryMask);

    internal static int GetReason(nuint code) =>
        IsSystemError(code) ? (int)((ulong)code & SystemMask) : (int)((ulong)code & ReasonMask);

    /// <summary>
    /// Whether <paramref name="code"/> says no store loader exists for a URI's scheme: 3.0 raises
    /// <c>OSSL_STORE_R_UNREGISTERED_SCHEME</c>; 3.5's loader fetch raises <c>ERR_R_UNSUPPORTED</c> ("No store loader
    /// found") instead, followed by the system error of its fallback attempt to open the URI as a file.
    /// </summary>
    internal static bool IsStoreSchemeWithoutLoader(ulong code) =>
        !IsSystemError((nuint)code) && GetLibrary((nuint)code) == NativeMethods.Crypto.ERR_LIB_OSSL_STORE
        && GetReason((nuint)code) is StoreUnregisteredScheme or NativeMethods.Crypto.ERR_R_UNSUPPORTED;
}
