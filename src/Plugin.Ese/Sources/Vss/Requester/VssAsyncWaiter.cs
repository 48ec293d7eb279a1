using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Requester;

/// <summary>How an asynchronous VSS operation ended.</summary>
internal enum VssAsyncEnd
{
    /// <summary>VSS_S_ASYNC_FINISHED (or another success code).</summary>
    Finished,

    /// <summary>The operation (or QueryStatus itself) reported a failure HRESULT.</summary>
    Failed,

    /// <summary>VSS_S_ASYNC_CANCELLED without our asking (someone else cancelled it).</summary>
    CancelledByVss,

    /// <summary>Our caller cancelled: the operation was cancelled with IVssAsync::Cancel.</summary>
    CancelledByCaller,

    /// <summary>The deadline passed: the operation was cancelled with IVssAsync::Cancel.</summary>
    TimedOut,
}

/// <summary>The end of an asynchronous operation and the HRESULT that says so.</summary>
/// <param name="End">How it ended.</param>
/// <param name="HResult">The operation's result (or QueryStatus's own failure).</param>
internal readonly record struct VssAsyncOutcome(VssAsyncEnd End, int HResult);

/// <summary>
/// Waits for an IVssAsync the way the reference (§6) asks: bounded slices of Wait, each followed by
/// QueryStatus, whose inner HRESULT is the outcome (PENDING means keep waiting, FINISHED success, CANCELLED
/// cancelled, any failure code the operation's error). Cancellation and the deadline both call Cancel.
/// Runs on the VSS thread.
/// </summary>
internal static class VssAsyncWaiter
{
    public static VssAsyncOutcome Wait(IVssAsyncApi operation, TimeSpan timeout, TimeSpan slice, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentNullException.ThrowIfNull(time);
        var sliceMs = (uint)Math.Clamp(slice.TotalMilliseconds, 1, int.MaxValue);
        var started = time.GetTimestamp();
        while (true)
        {
            // Wait's own result only says whether the wait ended; the outcome comes from QueryStatus.
            _ = operation.Wait(sliceMs);
            var hr = operation.QueryStatus(out var result);
            if (VssHResults.Failed(hr))
            {
                return new VssAsyncOutcome(VssAsyncEnd.Failed, hr);
            }

            if (result == VssHResults.VSS_S_ASYNC_PENDING)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    _ = operation.Cancel();
                    return new VssAsyncOutcome(VssAsyncEnd.CancelledByCaller, VssHResults.VSS_S_ASYNC_CANCELLED);
                }

                if (time.GetElapsedTime(started) >= timeout)
                {
                    _ = operation.Cancel();
                    return new VssAsyncOutcome(VssAsyncEnd.TimedOut, VssHResults.VSS_S_ASYNC_PENDING);
                }

                continue;
            }

            if (result == VssHResults.VSS_S_ASYNC_CANCELLED)
            {
                return new VssAsyncOutcome(VssAsyncEnd.CancelledByVss, result);
            }

            return VssHResults.Failed(result)
                ? new VssAsyncOutcome(VssAsyncEnd.Failed, result)
                : new VssAsyncOutcome(VssAsyncEnd.Finished, result);
        }
    }
}
