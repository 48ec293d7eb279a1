using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
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
        var catalog = new GateCatalog(new InMemoryBackupCatalog(), recordWhenOpened: false);
        await using var worker = await TestSupport.StartWorkerAsync(catalog, line =>
        {
            lock (stderr)
            {
                stderr.Add(line);
            }
        });
        var target = await TestSupport.DiscoverOneAsync(worker, Source);
        var closed = 0;
        void GoAway()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0)
            {
                worker.CloseInput();
            }
        }

        // The host goes away once the copy runs, or at the latest when the worker asks it to record the set: a copy that
        // outruns the progress report (a fast machine) cannot turn the backup into a success the host never heard of.
        catalog.Gate(target.Id, GoAway);
        var progress = new InlineProgress(p =>
        {
            if (p.BytesDone > 0)
            {
                GoAway();
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

        catalog.Open();
        Assert.Empty(catalog.Inner.Entries);
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
        var catalog = new GateCatalog(new InMemoryBackupCatalog(), recordWhenOpened: true);
        await using var worker = await TestSupport.StartWorkerAsync(catalog);
        var bigTarget = await TestSupport.DiscoverOneAsync(worker, big);
        var smallTarget = await TestSupport.DiscoverOneAsync(worker, small);

        // The first backup holds its target (the catalog keeps it waiting at its recording) until the other requests have
        // been answered: on a fast machine it would otherwise end before the second backup of its target arrives.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        catalog.Gate(bigTarget.Id, () => started.TrySetResult());
        var first = worker.BackupAsync(new BackupRequest(bigTarget.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true });
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
        Assert.False(first.IsCompleted);
        catalog.Open();
        var firstResult = await first;
        Assert.True(firstResult.Succeeded, firstResult.Error?.ToString());
    }

    /// <summary>
    /// Holds the recording of one target's set (the worker's catalog callback) until <see cref="Open"/>: a gate that keeps
    /// that backup running, with its target locked, for as long as the test needs.
    /// </summary>
    private sealed class GateCatalog(InMemoryBackupCatalog inner, bool recordWhenOpened) : IBackupCatalog
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private string? _target;
        private Action? _reached;

        public InMemoryBackupCatalog Inner => inner;

        /// <summary>Holds <paramref name="targetId"/>'s recording; <paramref name="reached"/> runs when one is held.</summary>
        public void Gate(string targetId, Action reached) => (_target, _reached) = (targetId, reached);

        public void Open() => _open.TrySetResult();

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
            => inner.GetChainAsync(targetId, cancellationToken);

        public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
            => inner.GetSetAsync(setId, cancellationToken);

        public async ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
        {
            if (string.Equals(manifest.Target.Id, _target, StringComparison.Ordinal))
            {
                _reached?.Invoke();
                await _open.Task.WaitAsync(Patience, cancellationToken);
                if (!recordWhenOpened)
                {
                    throw new OperationCanceledException("The test never lets this set be recorded.");
                }
            }

            await inner.RecordBackupAsync(manifest, cancellationToken);
        }

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
            => inner.RecordTruncationAsync(report, cancellationToken);
    }

    /// <summary>Runs the handler on the reporting thread (the proxy's read loop).</summary>
    private sealed class InlineProgress(Action<OperationProgress> handler) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => handler(value);
    }
}
