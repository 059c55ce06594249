using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// The one way managed code runs under an <c>[UnmanagedCallersOnly]</c> callback. An exception must never cross into
/// native code (the runtime would end the process), so <see cref="Run{TState, TResult}"/> catches every exception,
/// keeps it as the failure of the operation in progress on this thread and returns OpenSSL's failure value. The
/// native call that ran the callback returns on the same thread, and the operation that made it asks
/// <see cref="TakeFailure"/> whether one of its callbacks failed.
/// </summary>
internal static unsafe class NativeCallback
{
    [ThreadStatic]
    private static Exception? t_failure;

    [ThreadStatic]
    private static string? t_callback;

    /// <summary>
    /// Runs <paramref name="body"/> on <paramref name="state"/> (a struct holding the callback's arguments); when it
    /// throws, records the exception for <paramref name="callback"/> and returns <paramref name="failure"/>.
    /// </summary>
    internal static TResult Run<TState, TResult>(string callback, ref TState state, delegate*<ref TState, TResult> body, TResult failure)
        where TState : struct
    {
        try
        {
            return body(ref state);
        }
        catch (Exception e)
        {
            Record(callback, e);
            return failure;
        }
    }

    /// <summary>Records <paramref name="exception"/> as the failure of the operation in progress (the first one wins).</summary>
    internal static void Record(string callback, Exception exception)
    {
        if (t_failure is null)
        {
            t_failure = exception;
            t_callback = callback;
        }
    }

    /// <summary>Whether a callback of the operation in progress failed.</summary>
    internal static bool HasFailure => t_failure is not null;

    /// <summary>
    /// The failure a callback of the native call that just returned recorded, as a <see cref="TlsCallbackException"/>
    /// for <paramref name="operation"/>, or null; clears it.
    /// </summary>
    internal static TlsCallbackException? TakeFailure(string operation)
    {
        Exception? failure = t_failure;
        if (failure is null)
        {
            return null;
        }

        string callback = t_callback ?? "callback";
        Clear();
        return new TlsCallbackException(callback, operation, failure);
    }

    /// <summary>Forgets any recorded failure: called before a native call that may run callbacks.</summary>
    internal static void Clear()
    {
        t_failure = null;
        t_callback = null;
    }
}
