namespace OpenSslTls.SipEndpoint.Hosting;

/// <summary>
/// Where serve's socket continuations run. By default .NET hands every socket readiness event from its epoll thread to
/// the thread pool, and with one event per connection step (accept, ClientHello, Finished, the close) that hand-off —
/// a worker woken for the event, a second one woken to look for more, both spinning with <c>sched_yield</c> before
/// they sleep again — cost serve more CPU per resumed connection than libssl's part of it (profiled with
/// <c>openssl s_time</c>, docs/benchmarks.md, "Where serve's CPU per connection went"). serve's work per event is
/// short and never blocks (a handshake step or a decrypt-and-answer; admin commands and everything that may take long
/// run on the thread pool), so it runs on the epoll threads themselves, one per processor, as a C event-loop server
/// would. The runtime reads its switch once, when the first socket is made: <see cref="Apply"/> runs before that.
/// </summary>
internal static class SocketCompletions
{
    /// <summary>The runtime's switch: "1" runs socket continuations on its epoll threads.</summary>
    public const string InlineVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Turns inline completions on unless the environment already sets <see cref="InlineVariable"/> (an operator's
    /// <c>0</c> keeps the thread pool). Returns whether continuations will run inline. With <paramref name="cluster"/>
    /// they stay on the thread pool: a TLS 1.2 session-id lookup waits (bounded) for Redis inside the handshake, and
    /// Redis's reply arrives through a socket continuation that, inline, would need the very epoll thread that waits;
    /// every such lookup would then run into its timeout.
    /// </summary>
    public static bool Apply(Func<string, string?> read, Action<string, string> write, bool cluster = false)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(write);
        string? set = read(InlineVariable);
        if (set is null && cluster)
        {
            return false;
        }

        if (set is null)
        {
            write(InlineVariable, "1");
            return true;
        }

        return set == "1";
    }

    /// <summary>How the start-up log names the mode.</summary>
    public static string Describe(bool inline) => inline
        ? $"socket completions inline on the runtime's epoll threads ({InlineVariable}=0 for the thread pool)"
        : $"socket completions on the thread pool ({InlineVariable} is not 1, or a cluster: session-id lookups wait for Redis)";
}
