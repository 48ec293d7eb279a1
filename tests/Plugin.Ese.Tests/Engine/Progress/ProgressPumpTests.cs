using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Ese.Engine.Progress;
using EseBackupPlugin.Ese.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace EseBackupPlugin.Ese.Tests.Engine.Progress;

/// <summary>
/// The host guide's threading rules for <see cref="IProgress{T}"/>: reports come one at a time, in order (begin first,
/// complete or fail last, none after the operation returned), from the plugin's progress thread, at least every
/// 250 ms while an operation runs, with a rate and an estimate of the time left; and a handler that blocks does not
/// hold up the operation.
/// </summary>
public sealed class ProgressPumpTests
{
    private static OperationProgress Report(ProgressPhase phase, long done, long total = 1000) =>
        new(OperationKind.Backup, phase, 0, 1, done, total);

    [Fact]
    public async Task A_handler_that_blocks_does_not_hold_up_the_backup()
    {
        using var temp = new TempDirectory();
        await using var harness = new EngineHarness(temp);
        var sample = await ((ISampleTargetProvider)harness.Plugin).CreateSampleTargetAsync(new SampleTargetRequest(temp.Combine("data")) { DatabaseBytes = 8L * 1024 * 1024 });
        var target = await harness.TargetAsync(sample.Directory);
        using var release = new ManualResetEventSlim();
        var handler = new RecordingHandler(p =>
        {
            if (p.Phase == ProgressPhase.Progress)
            {
                // A host that blocks in its handler (a UI thread busy, a slow log sink) until the set is published.
                release.Wait(TimeSpan.FromSeconds(60));
            }
        });

        var backup = harness.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, harness.Staging) { SearchPaths = [sample.Directory] }, handler);
        var published = await WaitForAsync(() => Directory.EnumerateFiles(harness.Staging, "manifest.json", SearchOption.AllDirectories).Any(), TimeSpan.FromSeconds(60));
        var blockedWhilePublished = handler.InHandler;
        release.Set();
        var result = await backup;

        Assert.True(published, "the backup did not finish staging while the progress handler was blocked");
        Assert.True(blockedWhilePublished, "the handler should still have been blocked when the set was published");
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.Equal(ProgressPhase.Begin, handler.Reports[0].Phase);
        Assert.Equal(ProgressPhase.Complete, handler.Reports[^1].Phase);
        Assert.Equal(1, handler.MaxConcurrent);
        var count = handler.Reports.Count;
        await Task.Delay(300);
        Assert.Equal(count, handler.Reports.Count); // nothing after the operation returned
    }

    [Fact]
    public async Task Reports_carry_elapsed_rate_and_time_left()
    {
        var time = new FakeTimeProvider();
        var handler = new RecordingHandler(_ => { });
        var done = await ProgressPumpProbe.RunAsync(handler, time, async pump =>
        {
            pump.Report(Report(ProgressPhase.Begin, 0));
            time.Advance(TimeSpan.FromSeconds(1));
            pump.Report(Report(ProgressPhase.Progress, 250));
            await handler.WaitForAsync(r => r.BytesDone == 250);
            return true;
        });

        Assert.True(done);
        var progress = handler.Reports.Single(r => r.BytesDone == 250);
        Assert.Equal(1.0, progress.ElapsedSeconds, 3);
        Assert.Equal(250.0, progress.BytesPerSecond, 3);
        Assert.Equal(3.0, progress.EstimatedSecondsRemaining!.Value, 3); // 750 bytes left at 250 B/s
    }

    [Fact]
    public async Task A_silent_operation_is_reported_again_every_heartbeat_with_a_falling_rate()
    {
        var time = new ArmedTimeProvider();
        var armedAtReport = 0;
        var handler = new RecordingHandler(_ => Volatile.Write(ref armedAtReport, time.TimersCreated));
        await ProgressPumpProbe.RunAsync(handler, time, async pump =>
        {
            pump.Report(Report(ProgressPhase.Begin, 0));
            time.Advance(TimeSpan.FromSeconds(1));
            pump.Report(Report(ProgressPhase.Progress, 500));
            await handler.WaitForAsync(r => r.BytesDone == 500);

            // One large buffer of a slow disk: no report from the engine for a second.
            for (var i = 0; i < 4; i++)
            {
                var before = handler.Reports.Count;

                // Advance the clock only once the pump waits on a timer armed after the last report: an advance that comes
                // before it is lost, and the heartbeat never comes (a race with a slow or busy machine).
                await time.WaitForTimerAfterAsync(Volatile.Read(ref armedAtReport));
                time.Advance(ProgressPump.HeartbeatInterval);
                await handler.WaitForAsync(_ => handler.Reports.Count > before);
            }

            pump.Report(Report(ProgressPhase.Complete, 1000));
            return true;
        });

        var beats = handler.Reports.Where(r => r.Phase == ProgressPhase.Progress && r.BytesDone == 500).ToList();
        Assert.True(beats.Count >= 5, $"expected the first report and four heartbeats, got {beats.Count}");
        Assert.Equal(2.0, beats[^1].ElapsedSeconds, 3);
        Assert.Equal(250.0, beats[^1].BytesPerSecond, 3); // 500 bytes in two seconds: the stall shows in the rate
        Assert.Equal(ProgressPhase.Complete, handler.Reports[^1].Phase);
        Assert.Equal(0, handler.Reports[^1].EstimatedSecondsRemaining);
    }

    [Fact]
    public async Task Progress_that_arrives_while_the_handler_is_busy_is_merged_to_the_newest()
    {
        using var gate = new ManualResetEventSlim();
        var handler = new RecordingHandler(p =>
        {
            if (p.BytesDone == 1)
            {
                gate.Wait(TimeSpan.FromSeconds(30));
            }
        });
        await ProgressPumpProbe.RunAsync(handler, TimeProvider.System, async pump =>
        {
            pump.Report(Report(ProgressPhase.Begin, 0));
            pump.Report(Report(ProgressPhase.Progress, 1));
            await handler.WaitForAsync(_ => handler.InHandler);
            for (var i = 2; i <= 500; i++)
            {
                pump.Report(Report(ProgressPhase.Progress, i));
            }

            pump.Report(Report(ProgressPhase.Complete, 1000));
            gate.Set();
            return true;
        });

        var bytes = handler.Reports.Select(r => r.BytesDone).ToList();
        Assert.Equal(0, bytes[0]);
        Assert.Equal(1, bytes[1]);
        Assert.Contains(500L, bytes);
        Assert.DoesNotContain(250L, bytes); // merged away while the handler was busy
        Assert.Equal(ProgressPhase.Complete, handler.Reports[^1].Phase);
        Assert.True(bytes.SequenceEqual(bytes.Order()), "reports arrive in order");
    }

    [Fact]
    public async Task A_throwing_handler_does_not_fail_the_operation()
    {
        var handler = new RecordingHandler(_ => throw new InvalidOperationException("host bug"));
        var result = await ProgressPumpProbe.RunAsync(handler, TimeProvider.System, pump =>
        {
            pump.Report(Report(ProgressPhase.Begin, 0));
            pump.Report(Report(ProgressPhase.Progress, 10));
            pump.Report(Report(ProgressPhase.Complete, 1000));
            return Task.FromResult(42);
        });

        Assert.Equal(42, result);
        Assert.Equal(ProgressPhase.Complete, handler.Reports[^1].Phase);
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }

    /// <summary>Runs work against a pump (the same entry the plugin uses).</summary>
    private static class ProgressPumpProbe
    {
        public static Task<T> RunAsync<T>(IProgress<OperationProgress> handler, TimeProvider time, Func<IProgress<OperationProgress>, Task<T>> work) =>
            ProgressPump.RunAsync(handler, time, p => work(p!));
    }

    /// <summary>Records every report, how many calls overlapped, and whether a call is running now.</summary>
    private sealed class RecordingHandler(Action<OperationProgress> body) : IProgress<OperationProgress>
    {
        private readonly Lock _gate = new();
        private readonly List<OperationProgress> _reports = [];
        private int _inside;

        public int MaxConcurrent { get; private set; }

        public bool InHandler => Volatile.Read(ref _inside) > 0;

        public IReadOnlyList<OperationProgress> Reports
        {
            get
            {
                lock (_gate)
                {
                    return [.. _reports];
                }
            }
        }

        public void Report(OperationProgress value)
        {
            var now = Interlocked.Increment(ref _inside);
            lock (_gate)
            {
                MaxConcurrent = Math.Max(MaxConcurrent, now);
                _reports.Add(value);
            }

            try
            {
                body(value);
            }
            finally
            {
                Interlocked.Decrement(ref _inside);
            }
        }

        public async Task WaitForAsync(Func<OperationProgress, bool> condition)
        {
            for (var i = 0; i < 3000; i++)
            {
                if (Reports.Any(condition))
                {
                    return;
                }

                await Task.Delay(5);
            }

            throw new TimeoutException("the expected progress report never came");
        }

    }

    /// <summary>A fake clock that counts the timers armed on it (the pump's heartbeat wait arms one each time it waits).</summary>
    private sealed class ArmedTimeProvider : TimeProvider
    {
        private readonly FakeTimeProvider _inner = new();
        private int _timers;

        public int TimersCreated => Volatile.Read(ref _timers);

        public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

        public override long TimestampFrequency => _inner.TimestampFrequency;

        public void Advance(TimeSpan delta) => _inner.Advance(delta);

        public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

        public override long GetTimestamp() => _inner.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = _inner.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _timers);
            return timer;
        }

        /// <summary>Waits until a timer was armed after the first <paramref name="count"/> (a gate on the pump's own step).</summary>
        public async Task WaitForTimerAfterAsync(int count)
        {
            for (var i = 0; i < 6000 && TimersCreated <= count; i++)
            {
                await Task.Delay(5);
            }

            Assert.True(TimersCreated > count, "the pump never waited for its next heartbeat");
        }
    }
}
