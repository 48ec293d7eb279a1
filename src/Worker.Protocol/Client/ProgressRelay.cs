using EseBackupPlugin.Abstractions.Progress;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Worker.Protocol.Client;

/// <summary>
/// Hands one request's <c>progress</c> notifications to the host's handler on a task of its own, never on the
/// connection's read loop: a slow handler then holds up only its own reports, never the other requests' answers, the
/// catalog callbacks or the worker's other notifications. <c>progress</c>-phase reports that arrive while the handler is
/// still busy are folded into the newest one (a progress view wants the latest counters, not a backlog); <c>begin</c>,
/// <c>complete</c> and <c>fail</c> are always handed over, in order, as in process (a host may act on them, e.g. cancel
/// at <c>begin</c>). The handler is never called twice at once.
/// </summary>
internal sealed class ProgressRelay(IProgress<OperationProgress> sink, ILogger logger)
{
    private readonly Lock _gate = new();
    private readonly List<OperationProgress> _pending = [];
    private Task _pump = Task.CompletedTask;
    private bool _running;

    /// <summary>Called on the read loop: records the report and returns at once.</summary>
    public void Post(OperationProgress value)
    {
        lock (_gate)
        {
            if (value.Phase == ProgressPhase.Progress && _pending.Count > 0 && _pending[^1].Phase == ProgressPhase.Progress)
            {
                _pending[^1] = value;
            }
            else
            {
                _pending.Add(value);
            }

            if (_running)
            {
                return;
            }

            _running = true;
            _pump = Task.Run(Pump);
        }
    }

    /// <summary>
    /// Completes once every report received so far was handed to the handler. The worker sends a request's progress
    /// before its answer, so awaiting this after the answer keeps the in-process order: the last report before the result.
    /// </summary>
    public Task DrainAsync()
    {
        lock (_gate)
        {
            return _pump;
        }
    }

    private void Pump()
    {
        while (true)
        {
            OperationProgress next;
            lock (_gate)
            {
                if (_pending.Count == 0)
                {
                    _running = false;
                    return;
                }

                next = _pending[0];
                _pending.RemoveAt(0);
            }

            try
            {
                sink.Report(next);
            }
#pragma warning disable CA1031 // A failing progress handler must not fail the call whose progress it shows.
            catch (Exception e)
#pragma warning restore CA1031
            {
                logger.LogWarning(e, "The progress handler failed; the operation goes on.");
            }
        }
    }
}
