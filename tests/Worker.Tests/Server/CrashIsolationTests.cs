using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Worker.Tests.Server;

/// <summary>
/// The rules that make a worker safe: a worker killed mid-backup, a host that goes away, and several requests at
/// once through one worker. Real child processes, real SIGKILL.
/// </summary>
public sealed class CrashIsolationTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private string Source => _temp.Combine("source");

    private string Staging => _temp.Combine("staging");

    [Fact]
    public async Task A_worker_killed_mid_backup_fails_the_call_with_WorkerExited_truncates_nothing_and_the_next_worker_sweeps_the_partial_set()
    {
        await TestSupport.SampleAsync(Source, databaseBytes: 256L * 1024 * 1024, logs: 6);
        var before = TestSupport.Snapshot(Source);
        var catalog = new InMemoryBackupCatalog();
        BackupTarget target;
        BackupResult result;
        await using (var worker = await TestSupport.StartWorkerAsync(catalog))
        {
            target = await TestSupport.DiscoverOneAsync(worker, Source);
            var killed = 0;
            var progress = new InlineProgress(p =>
            {
                if (p.BytesDone > 0 && Interlocked.Exchange(ref killed, 1) == 0)
                {
                    worker.KillNow();
                }
            });
            result = await worker.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true }, progress);
            Assert.Equal(1, killed);
        }

        Assert.False(result.Succeeded);
        Assert.Equal(ErrorCodes.WorkerExited.Name, result.Error!.Code.Name);
        Assert.True(result.Error.IsTransient);
        Assert.Equal(target.Id, result.Error.TargetId);
        Assert.Contains("signal 9", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(before, TestSupport.Snapshot(Source));
        Assert.Empty(catalog.Entries);
        Assert.DoesNotContain(Directory.EnumerateDirectories(Staging), d => File.Exists(Path.Combine(d, "manifest.json")));

        await using (var next = await TestSupport.StartWorkerAsync(catalog))
        {
            var again = await next.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging));
            Assert.True(again.Succeeded, again.Error?.ToString());
        }

        var left = Directory.EnumerateDirectories(Staging).Select(Path.GetFileName).ToList();
        Assert.Single(left);
        Assert.DoesNotContain(left, d => d!.StartsWith(".esebackup-partial-", StringComparison.Ordinal));
        Assert.Equal(before, TestSupport.Snapshot(Source));
    }

    [Fact]
    public async Task When_the_host_goes_away_the_worker_cancels_the_backup_keeps_every_log_and_exits()
    {
        await TestSupport.SampleAsync(Source, databaseBytes: 256L * 1024 * 1024, logs: 6);
        var before = TestSupport.Snapshot(Source);
        var stderr = new List<string>();
        await using var worker = await TestSupport.StartWorkerAsync(new InMemoryBackupCatalog(), line =>
        {
            lock (stderr)
            {
                stderr.Add(line);
            }
        });
        var target = await TestSupport.DiscoverOneAsync(worker, Source);
        var closed = 0;
        var progress = new InlineProgress(p =>
        {
            if (p.BytesDone > 0 && Interlocked.Exchange(ref closed, 1) == 0)
            {
                worker.CloseInput();
            }
        });
        var call = worker.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true }, progress);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var exitCode = await worker.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, exitCode);
        Assert.Equal(1, closed);
        try
        {
            var result = await call;
            Assert.False(result.Succeeded);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // The worker answered "cancelled" to a call the host never cancelled: a fault of a host that is gone anyway.
        }

        Assert.Equal(before, TestSupport.Snapshot(Source));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Staging));
        lock (stderr)
        {
            Assert.Contains(stderr, l => l.Contains("closed the worker's input", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task One_worker_serves_concurrent_requests_and_a_second_backup_of_a_busy_target_is_BackupInProgress()
    {
        var big = _temp.Combine("big");
        var small = _temp.Combine("small");
        await TestSupport.SampleAsync(big, databaseBytes: 256L * 1024 * 1024);
        await TestSupport.SampleAsync(small);
        await using var worker = await TestSupport.StartWorkerAsync(new InMemoryBackupCatalog());
        var bigTarget = await TestSupport.DiscoverOneAsync(worker, big);
        var smallTarget = await TestSupport.DiscoverOneAsync(worker, small);

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = worker.BackupAsync(
            new BackupRequest(bigTarget.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true },
            new InlineProgress(p =>
            {
                if (p.BytesDone > 0)
                {
                    started.TrySetResult();
                }
            }));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var busy = worker.BackupAsync(new BackupRequest(bigTarget.Id, BackupKind.Copy, Staging));
        var other = worker.BackupAsync(new BackupRequest(smallTarget.Id, BackupKind.Full, Staging));
        var verify = worker.VerifyFilesAsync(new Abstractions.Files.VerifyFilesRequest([small]));
        var inspect = worker.InspectFileAsync(Directory.GetFiles(small, "*.edb")[0]);

        var busyResult = await busy;
        Assert.Equal(ErrorCodes.BackupInProgress.Name, busyResult.Error?.Code.Name);
        Assert.True(busyResult.Error!.IsTransient);
        Assert.True((await other).Succeeded);
        Assert.Empty((await verify).Errors);
        Assert.Null((await inspect).Error);
        Assert.False(first.IsCompleted && !(await first).Succeeded);
        var firstResult = await first;
        Assert.True(firstResult.Succeeded, firstResult.Error?.ToString());
    }

    /// <summary>Runs the handler on the reporting thread (the proxy's read loop).</summary>
    private sealed class InlineProgress(Action<OperationProgress> handler) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => handler(value);
    }
}
