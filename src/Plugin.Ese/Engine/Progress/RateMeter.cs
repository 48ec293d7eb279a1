namespace EseBackupPlugin.Ese.Engine.Progress;

/// <summary>
/// Measures an operation's throughput over its last few seconds: a rate over the whole run would hide a slowdown
/// (and make the estimate of the time left wrong) once most of the run lies behind.
/// </summary>
internal sealed class RateMeter(TimeProvider time)
{
    /// <summary>How far back the rate looks.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    private readonly Lock _gate = new();
    private readonly Queue<(long At, long Bytes)> _samples = new();
    private readonly long _start = time.GetTimestamp();

    /// <summary>Records the byte counter as it is now.</summary>
    public void Add(long bytesDone)
    {
        var now = time.GetTimestamp();
        lock (_gate)
        {
            _samples.Enqueue((now, bytesDone));
            // Keep the newest sample older than the window as the rate's starting point.
            while (_samples.Count > 2 && time.GetElapsedTime(ElementAt(1).At, now) >= Window)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>Seconds since the meter started, and bytes per second over the window up to now (0 when unknown).</summary>
    public (double ElapsedSeconds, double BytesPerSecond) Measure()
    {
        var now = time.GetTimestamp();
        var elapsed = time.GetElapsedTime(_start, now).TotalSeconds;
        lock (_gate)
        {
            if (_samples.Count == 0)
            {
                return (elapsed, 0);
            }

            var newest = _samples.Last();
            // From the start of the run while the window is not yet full, so the first reports have a rate too.
            var (fromAt, fromBytes) = time.GetElapsedTime(_start, now) < Window ? (_start, 0L) : _samples.Peek();
            var seconds = time.GetElapsedTime(fromAt, now).TotalSeconds;
            var bytes = newest.Bytes - fromBytes;
            return (elapsed, seconds > 0 && bytes > 0 ? bytes / seconds : 0);
        }
    }

    private (long At, long Bytes) ElementAt(int index) => _samples.ElementAt(index);
}
