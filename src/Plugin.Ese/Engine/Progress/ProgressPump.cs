using System.Threading.Channels;
using EseBackupPlugin.Abstractions.Progress;

namespace EseBackupPlugin.Ese.Engine.Progress;

/// <summary>
/// Stands between the engine and the host's <see cref="IProgress{T}"/> so that a slow handler cannot slow an
/// operation, and stamps every report with elapsed time, a recent rate and an estimate of the time left.
/// </summary>
/// <remarks>
/// <para>The engine's threads only store the newest report and wake the pump; a pump task on the thread pool calls
/// the handler, one call at a time. Intermediate progress reports that arrive while the handler is busy are merged
/// (the handler sees the newest counters, never a stale one), so a handler that sleeps costs the operation nothing.
/// While the operation runs, the newest report is re-sent at least every <see cref="HeartbeatInterval"/> with fresh
/// rate and estimate, so a person sees movement even while one buffer of a slow disk is being read.</para>
/// <para>Order is kept: <see cref="ProgressPhase.Begin"/> is handed over on the operation's own flow before any
/// work starts (hosts and tests may act on it), progress follows, and <see cref="ProgressPhase.Complete"/> or
/// <see cref="ProgressPhase.Fail"/> comes last; <see cref="DrainAsync"/> returns only after the last report was
/// handled, so nothing arrives after the operation's task has completed.</para>
/// </remarks>
internal sealed class ProgressPump : IProgress<OperationProgress>
{
    /// <summary>The longest a running operation stays silent.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(250);

    private readonly IProgress<OperationProgress> _handler;
    private readonly TimeProvider _time;
    private readonly RateMeter _rate;
    private readonly Lock _gate = new();
    private readonly Lock _delivery = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Queue<OperationProgress> _queue = new();
    private readonly Task _loop;
    private OperationProgress? _latest;
    private bool _running;
    private bool _finished;

    private ProgressPump(IProgress<OperationProgress> handler, TimeProvider time)
    {
        _handler = handler;
        _time = time;
        _rate = new RateMeter(time);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Runs <paramref name="work"/> with a pump in front of <paramref name="progress"/> (none when it is null).</summary>
    public static async Task<T> RunAsync<T>(IProgress<OperationProgress>? progress, TimeProvider time, Func<IProgress<OperationProgress>?, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (progress is null)
        {
            return await work(null).ConfigureAwait(false);
        }

        var pump = new ProgressPump(progress, time);
        try
        {
            return await work(pump).ConfigureAwait(false);
        }
        finally
        {
            await pump.DrainAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Report(OperationProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _rate.Add(value.BytesDone);
        if (value.Phase == ProgressPhase.Begin)
        {
            // Before any work: hand it over now, on the caller's flow (the queue is empty, nothing else is delivering).
            lock (_gate)
            {
                _running = true;
                _latest = value with { Phase = ProgressPhase.Progress };
            }

            Deliver(value);
            return;
        }

        lock (_gate)
        {
            if (value.Phase == ProgressPhase.Progress)
            {
                _running = true;
                _latest = value;
                if (_queue.Count > 0 && _queue.Last().Phase == ProgressPhase.Progress)
                {
                    ReplaceLast(value);
                }
                else
                {
                    _queue.Enqueue(value);
                }
            }
            else
            {
                _running = false;
                _latest = null;
                _queue.Enqueue(value);
            }
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Waits until every report has been handed to the handler and stops the pump.</summary>
    public async Task DrainAsync()
    {
        lock (_gate)
        {
            _finished = true;
        }

        _wake.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
    }

    private void ReplaceLast(OperationProgress value)
    {
        // Only progress reports merge; the queue is tiny (milestones are rare), so rebuilding it is cheap.
        var items = _queue.ToArray();
        items[^1] = value;
        _queue.Clear();
        foreach (var item in items)
        {
            _queue.Enqueue(item);
        }
    }

    private async Task LoopAsync()
    {
        while (true)
        {
            OperationProgress? next;
            bool finished;
            lock (_gate)
            {
                next = _queue.Count > 0 ? _queue.Dequeue() : null;
                finished = _finished;
            }

            if (next is not null)
            {
                Deliver(next);
                continue;
            }

            if (finished)
            {
                return;
            }

            if (!await WaitForWorkAsync().ConfigureAwait(false))
            {
                Heartbeat();
            }
        }
    }

    /// <summary>True when woken by a report (or the end), false when the heartbeat interval passed in silence.</summary>
    private async Task<bool> WaitForWorkAsync()
    {
        using var stop = new CancellationTokenSource();
        var woken = _wake.Reader.WaitToReadAsync().AsTask();
        var silence = Task.Delay(HeartbeatInterval, _time, stop.Token);
        var first = await Task.WhenAny(woken, silence).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        if (first == woken)
        {
            _wake.Reader.TryRead(out _);
            return true;
        }

        return false;
    }

    private void Heartbeat()
    {
        OperationProgress? latest;
        lock (_gate)
        {
            latest = _running && _queue.Count == 0 ? _latest : null;
        }

        if (latest is not null)
        {
            Deliver(latest);
        }
    }

    private void Deliver(OperationProgress value)
    {
        var stamped = Stamp(value);
        lock (_delivery)
        {
            try
            {
                _handler.Report(stamped);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A host's progress handler must not break the operation.
            }
        }
    }

    private OperationProgress Stamp(OperationProgress value)
    {
        var (elapsed, rate) = _rate.Measure();
        var left = value.BytesTotal - value.BytesDone;
        double? eta = value.Phase switch
        {
            ProgressPhase.Complete => 0,
            ProgressPhase.Fail => null,
            _ when value.BytesTotal > 0 && left <= 0 => 0,
            _ when value.BytesTotal > 0 && rate > 0 => left / rate,
            _ => null,
        };
        return value with
        {
            ElapsedSeconds = elapsed,
            BytesPerSecond = rate > 0 ? rate : value.BytesPerSecond,
            EstimatedSecondsRemaining = eta,
        };
    }
}
