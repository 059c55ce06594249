using System.Runtime.InteropServices;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>
/// Turns Ctrl-C (SIGINT), SIGTERM and SIGQUIT into a cancellation token, cancelling the default action (immediate
/// exit) so the server can close its connections first. A second signal while stopping is left to its default action,
/// so an operator can always force the exit.
/// </summary>
internal sealed class ShutdownSignal : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly List<PosixSignalRegistration> _registrations = [];

    public ShutdownSignal()
    {
        foreach (PosixSignal signal in (ReadOnlySpan<PosixSignal>)[PosixSignal.SIGINT, PosixSignal.SIGTERM, PosixSignal.SIGQUIT])
        {
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
        }
    }

    /// <summary>Cancelled when a stop signal arrives.</summary>
    public CancellationToken Token => _requested.Token;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _requested.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_requested.IsCancellationRequested)
        {
            return;
        }

        context.Cancel = true;
        _requested.Cancel();
    }
}
