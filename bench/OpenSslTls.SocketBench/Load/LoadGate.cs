namespace OpenSslTls.SocketBench.Load;

/// <summary>
/// Lets one server's workers run only while its slice is open. Closing stops new operations and completes once the
/// ones in flight have finished, so every operation started in a slice is counted in that slice, and the slice's time
/// and the server's CPU reading include its drain. Workers of a closed gate wait without spinning.
/// </summary>
internal sealed class LoadGate
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _opened = NewSignal();
    private TaskCompletionSource? _drained;
    private bool _isOpen;
    private bool _measuring;
    private bool _stopped;
    private int _inFlight;

    /// <summary>Waits until the gate is open (or stopped) and admits one operation; call <see cref="Exit"/> when it ends, however it ends.</summary>
    public async ValueTask<Admission> EnterAsync()
    {
        while (true)
        {
            Task opened;
            lock (_lock)
            {
                if (_stopped)
                {
                    return Admission.Stop;
                }

                if (_isOpen)
                {
                    _inFlight++;
                    return _measuring ? Admission.Measured : Admission.Unmeasured;
                }

                opened = _opened.Task;
            }

            await opened.ConfigureAwait(false);
        }
    }

    /// <summary>Ends an admitted operation.</summary>
    public void Exit()
    {
        lock (_lock)
        {
            if (--_inFlight == 0 && !_isOpen)
            {
                _drained?.TrySetResult();
            }
        }
    }

    /// <summary>Opens a slice; operations admitted in it are recorded when <paramref name="measuring"/>.</summary>
    public void Open(bool measuring)
    {
        lock (_lock)
        {
            _isOpen = true;
            _measuring = measuring;
            _opened.TrySetResult();
        }
    }

    /// <summary>Closes the slice; the task completes when the operations in flight have ended.</summary>
    public Task CloseAsync()
    {
        lock (_lock)
        {
            _isOpen = false;
            _opened = NewSignal();
            if (_inFlight == 0)
            {
                return Task.CompletedTask;
            }

            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>Ends the run: waiting workers wake and return.</summary>
    public void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            _isOpen = false;
            _opened.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
