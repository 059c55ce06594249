using System.Net;
using OpenSslTls.Interop;
using OpenSslTls.Profiles;

namespace OpenSslTls.Connections;

/// <summary>
/// A server connection's SNI choice: runs the host's <see cref="TlsServerNameSelector"/> when the ClientHello names a
/// server, or its <see cref="TlsServerProfileSelectionCallback"/> on every ClientHello, and hands the chosen profile's
/// context to the interop layer's switch. An asynchronous choice that is not complete at once is kept here as
/// <see cref="Pending"/> while the handshake is suspended; asked again after it completed, its result decides.
/// References profiles and the callbacks, never the connection (the <c>SSL</c> keeps this object alive until it is
/// freed; a callback completing after that finds nothing to resume).
/// </summary>
internal sealed class ServerNameChoice : IServerNameChooser
{
    private readonly TlsProfile _initial;
    private readonly TlsServerNameSelector? _selector;
    private readonly TlsServerProfileSelectionCallback? _selection;
    private readonly IPEndPoint? _local;
    private readonly IPEndPoint? _remote;
    private CertificateValidator? _validator;
    private CancellationTokenSource? _cancellation;
    private Task<TlsServerProfileChoice>? _pending;
    private Task? _completion;

    internal ServerNameChoice(TlsProfile initial, TlsServerNameSelector selector)
    {
        _initial = initial;
        _selector = selector;
    }

    internal ServerNameChoice(TlsProfile initial, TlsServerProfileSelectionCallback selection, IPEndPoint? local, IPEndPoint? remote)
    {
        _initial = initial;
        _selection = selection;
        _local = local;
        _remote = remote;
    }

    /// <summary>The profile the connection switched to, or null while it keeps its initial one.</summary>
    internal TlsProfile? Selected { get; private set; }

    /// <summary>The server name and reason of a refusal, or null.</summary>
    internal (string? ServerName, string Reason)? Refusal { get; private set; }

    /// <summary>True while an asynchronous choice runs (the handshake is suspended on it).</summary>
    internal bool Waiting => _pending is { IsCompleted: false };

    /// <summary>Completes (never faults) when the pending choice has; a completed task when none is pending.</summary>
    internal Task Pending => _pending is null || _pending.IsCompleted ? Task.CompletedTask : _completion!;

    /// <summary>The validator to attach after a switch to a profile with a validation callback (made once, shared).</summary>
    internal CertificateValidator Validator => _validator ??= new CertificateValidator(null, _initial, this);

    public bool ChoosesWithoutServerName => _selection is not null;

    public ServerNameDecision Choose(string? serverName)
    {
        if (_selection is null)
        {
            return serverName is null ? ServerNameDecision.Keep : Decide(_selector!(_initial, serverName) is { } chosen ? TlsServerProfileChoice.Use(chosen) : TlsServerProfileChoice.Keep, serverName);
        }

        if (_pending is null)
        {
            _cancellation = new CancellationTokenSource();
            ValueTask<TlsServerProfileChoice> choice = _selection(new TlsClientHelloInfo(serverName, _initial, _local, _remote), _cancellation.Token);
            if (choice.IsCompletedSuccessfully)
            {
                return Decide(choice.Result, serverName);
            }

            // Not complete (or failed): kept as a task, so its outcome is read once, here, when the handshake resumes.
            _pending = choice.AsTask();
            if (!_pending.IsCompleted)
            {
                // The caller's continuation runs on the thread pool, never inline in whatever completes the choice.
                var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _pending.ContinueWith(static (_, state) => ((TaskCompletionSource)state!).TrySetResult(), completion, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                _completion = completion.Task;
                return ServerNameDecision.Wait;
            }
        }

        if (!_pending.IsCompleted)
        {
            return ServerNameDecision.Wait;
        }

        // Throws the callback's exception (or OperationCanceledException): the switch records it and fails the handshake.
        return Decide(_pending.GetAwaiter().GetResult(), serverName);
    }

    /// <summary>Cancels a pending choice (the connection is disposed or aborted); its completing later is harmless.</summary>
    internal void Cancel()
    {
        CancellationTokenSource? cancellation = _cancellation;
        if (cancellation is null || _pending is { IsCompleted: true })
        {
            return;
        }

        try
        {
            cancellation.Cancel();
        }
        catch (AggregateException)
        {
            // The caller's own cancellation callbacks threw: nothing is left to report the failure to.
        }
    }

    private ServerNameDecision Decide(TlsServerProfileChoice choice, string? serverName)
    {
        if (choice.Refusal is { } reason)
        {
            Refusal = (serverName, reason);
            return ServerNameDecision.Refuse;
        }

        TlsProfile? chosen = choice.Profile;
        if (chosen is null || ReferenceEquals(chosen, _initial))
        {
            return ServerNameDecision.Keep;
        }

        if (chosen.Role != TlsRole.Server)
        {
            throw new InvalidOperationException($"SNI selector returned client profile {chosen.Label}");
        }

        Selected = chosen;
        return new ServerNameDecision(
            ServerNameOutcome.Proceed,
            chosen.Context,
            chosen.Settings.CertificateValidation is not null ? Validator : null);
    }
}
