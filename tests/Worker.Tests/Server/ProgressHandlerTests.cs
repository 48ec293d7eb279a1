using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Worker.Tests.Server;

/// <summary>
/// The proxy runs the host's progress handlers off the connection's read loop: a handler that blocks holds up its own
/// reports only, never the answers to other requests or the worker's catalog callbacks.
/// </summary>
public sealed class ProgressHandlerTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_blocked_progress_handler_does_not_stall_the_connection_and_sees_the_last_report_before_the_result()
    {
        var big = _temp.Combine("big");
        var small = _temp.Combine("small");
        await TestSupport.SampleAsync(big, databaseBytes: 64L * 1024 * 1024);
        await TestSupport.SampleAsync(small);
        await using var worker = await TestSupport.StartWorkerAsync(new InMemoryBackupCatalog());
        var bigTarget = await TestSupport.DiscoverOneAsync(worker, big);

        using var release = new ManualResetEventSlim();
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var concurrent = 0;
        var maxConcurrent = 0;
        OperationProgress? last = null;
        var phases = new List<ProgressPhase>();
        var progress = new BlockingProgress(p =>
        {
            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref maxConcurrent, now);
            Interlocked.Increment(ref calls);
            if (p.BytesDone > 0 && blocked.TrySetResult())
            {
                // A handler that does not return: the old proxy ran it on the read loop, so nothing else got through.
                release.Wait(TimeSpan.FromSeconds(120));
            }

            last = p;
            phases.Add(p.Phase);
            Interlocked.Decrement(ref concurrent);
        });

        var backup = worker.BackupAsync(new BackupRequest(bigTarget.Id, BackupKind.Full, _temp.Combine("staging")) { CreateStagingDirectory = true }, progress);
        await blocked.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // While the handler blocks: discovery (with its catalog callback and target notifications) and inspect are answered.
        var other = await TestSupport.DiscoverOneAsync(worker, small).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(TargetKind.FileSet, other.Kind);
        var inspection = await worker.InspectFileAsync(Path.Combine(small, "database1.edb")).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Null(inspection.Error);

        // The backup's own answer waits for its handler: the last report comes before the result, as in process.
        await Task.Delay(200);
        Assert.False(backup.IsCompleted);
        release.Set();
        var result = await backup.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(result.Succeeded, result.Error?.ToString());
        Assert.NotNull(last);
        Assert.Equal(ProgressPhase.Complete, last.Phase);
        Assert.Equal(last.BytesTotal, last.BytesDone);
        Assert.Equal(1, maxConcurrent);
        Assert.Equal(ProgressPhase.Begin, phases[0]);
        Assert.Equal(1, phases.Count(p => p == ProgressPhase.Complete));
        Assert.True(calls >= 2);
    }

    [Fact]
    public async Task Progress_reports_behind_a_busy_handler_are_merged_but_begin_complete_and_fail_always_arrive_in_order()
    {
        using var release = new ManualResetEventSlim();
        var seen = new List<(ProgressPhase Phase, long Bytes)>();
        var relay = new EseBackupPlugin.Worker.Protocol.Client.ProgressRelay(
            new BlockingProgress(p =>
            {
                lock (seen)
                {
                    seen.Add((p.Phase, p.BytesDone));
                }

                if (p.Phase == ProgressPhase.Begin)
                {
                    release.Wait(TimeSpan.FromSeconds(30));
                }
            }),
            Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        // While the handler is held at Begin: three progress reports, a Fail of a sub-step, more progress, Complete.
        relay.Post(Report(ProgressPhase.Begin, 0));
        foreach (var bytes in new long[] { 10, 20, 30 })
        {
            relay.Post(Report(ProgressPhase.Progress, bytes));
        }

        relay.Post(Report(ProgressPhase.Fail, 35));
        relay.Post(Report(ProgressPhase.Progress, 40));
        relay.Post(Report(ProgressPhase.Progress, 50));
        relay.Post(Report(ProgressPhase.Complete, 60));
        release.Set();
        await relay.DrainAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(
            [(ProgressPhase.Begin, 0L), (ProgressPhase.Progress, 30L), (ProgressPhase.Fail, 35L), (ProgressPhase.Progress, 50L), (ProgressPhase.Complete, 60L)],
            seen);
    }

    private static OperationProgress Report(ProgressPhase phase, long bytes) => new(OperationKind.Backup, phase, 0, 1, bytes, 100);

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("worker killed")]
    public async Task A_call_that_ends_without_an_answer_returns_only_after_its_handler_has_seen_every_report(string how)
    {
        var source = _temp.Combine("source");
        await TestSupport.SampleAsync(source, databaseBytes: 8L * 1024 * 1024);

        // The set is never recorded: a backup that outruns its cancellation waits there until the cancellation reaches it.
        await using var worker = await TestSupport.StartWorkerAsync(new NeverRecordingCatalog());
        var target = await TestSupport.DiscoverOneAsync(worker, source);
        using var cts = new CancellationTokenSource();
        var callEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inHandler = 0;
        var reports = 0;
        var progress = new BlockingProgress(p =>
        {
            Interlocked.Increment(ref inHandler);
            try
            {
                if (Interlocked.Increment(ref reports) == 1)
                {
                    if (how == "cancelled")
                    {
                        cts.Cancel();
                    }
                    else
                    {
                        worker.KillNow();
                    }

                    // A slow handler: it is still here when the call ends, unless the call waits for it (it must).
                    callEnded.Task.Wait(TimeSpan.FromSeconds(2));
                }
            }
            finally
            {
                Interlocked.Decrement(ref inHandler);
            }
        });

        var outcome = await Record.ExceptionAsync(async () =>
        {
            var result = await worker.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, _temp.Combine("staging")) { CreateStagingDirectory = true }, progress, cts.Token);
            Assert.False(result.Succeeded);
        });
        var runningWhenTheCallEnded = Volatile.Read(ref inHandler);
        callEnded.TrySetResult();

        Assert.True(outcome is null or OperationCanceledException, outcome?.ToString());
        Assert.Equal(0, runningWhenTheCallEnded);
        Assert.True(Volatile.Read(ref reports) >= 1);
    }

    /// <summary>Answers a recording only with the cancellation of that call (or a timeout that fails the test's backup).</summary>
    private sealed class NeverRecordingCatalog : IBackupCatalog
    {
        private readonly InMemoryBackupCatalog _inner = new();

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
            => _inner.GetChainAsync(targetId, cancellationToken);

        public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
            => _inner.GetSetAsync(setId, cancellationToken);

        public async ValueTask RecordBackupAsync(Abstractions.Manifest.BackupManifest manifest, CancellationToken cancellationToken = default)
        {
            await Task.Delay(TimeSpan.FromSeconds(60), cancellationToken);
            throw new TimeoutException("the cancellation never reached the catalog call");
        }

        public ValueTask RecordTruncationAsync(Abstractions.Manifest.TruncationReport report, CancellationToken cancellationToken = default)
            => _inner.RecordTruncationAsync(report, cancellationToken);
    }

    private sealed class BlockingProgress(Action<OperationProgress> handler) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => handler(value);
    }
}
