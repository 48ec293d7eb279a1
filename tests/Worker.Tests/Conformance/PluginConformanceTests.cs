using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese;

namespace EseBackupPlugin.Worker.Tests.Conformance;

/// <summary>
/// The contract-level behaviour every process model must show, written once against <see cref="IBackupPlugin"/>:
/// <see cref="InProcessConformanceTests"/> runs it on the plugin object, <see cref="OutOfProcessConformanceTests"/>
/// on the worker through the JSON-RPC proxy. Same code, same assertions.
/// </summary>
public abstract class PluginConformanceTests : IDisposable
{
    private readonly TempDir _temp = new();

    /// <summary>The process model's plugin over <paramref name="catalog"/>.</summary>
    protected abstract Task<IBackupPlugin> CreatePluginAsync(IBackupCatalog catalog);

    private string Source => _temp.Combine("source");

    private string Staging => _temp.Combine("staging");

    public void Dispose()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Info_names_the_plugin_and_the_contract()
    {
        await using var plugin = await CreatePluginAsync(new InMemoryBackupCatalog());
        Assert.Equal(EsePlugin.PluginId, plugin.Info.Id);
        Assert.Equal(ContractVersion.Current.ToString(2), plugin.Info.ContractVersion);
        Assert.Contains(plugin.Info.Capabilities.TargetKinds, k => k.Kind == TargetKind.FileSet && k.Available);
    }

    [Fact]
    public async Task Discover_finds_the_file_set_with_the_same_id_twice()
    {
        await TestSupport.SampleAsync(Source);
        await using var plugin = await CreatePluginAsync(new InMemoryBackupCatalog());
        var first = await TestSupport.DiscoverOneAsync(plugin, Source);
        var second = await TestSupport.DiscoverOneAsync(plugin, Source);
        Assert.Equal(TargetKind.FileSet, first.Kind);
        Assert.Equal(first.Id, second.Id);
    }

    [Fact]
    public async Task Full_complete_then_incremental_builds_a_chain_and_truncates_only_on_completion()
    {
        await TestSupport.SampleAsync(Source);
        var catalog = new InMemoryBackupCatalog();
        await using var plugin = await CreatePluginAsync(catalog);
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var logsBefore = Directory.GetFiles(Source, "*.log").Length;

        var reports = new List<OperationProgress>();
        var full = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true }, new SyncProgress(reports.Add));
        Assert.True(full.Succeeded, full.Error?.ToString());
        Assert.True(File.Exists(Path.Combine(full.SetDirectory!, BackupManifest.FileName)));
        Assert.Contains(full.Manifest!.Files, f => f.Role == FileRole.Database);
        Assert.Contains(reports, r => r.Operation == OperationKind.Backup && r.Phase == ProgressPhase.Begin);
        Assert.Contains(reports, r => r.Operation == OperationKind.Backup && r.Phase == ProgressPhase.Complete);
        Assert.Equal(CatalogSetState.Staged, Assert.Single(catalog.Entries).State);
        Assert.Equal(logsBefore, Directory.GetFiles(Source, "*.log").Length);

        var completed = await plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest, Succeeded: true));
        Assert.Null(completed.Error);
        Assert.True(completed.Truncation!.HostSucceeded);
        Assert.Single(await catalog.GetChainAsync(target.Id));

        await using (var writer = new EsePlugin())
        {
            await writer.AdvanceSampleTargetAsync(Source, 3);
        }

        var incremental = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Incremental, Staging));
        Assert.True(incremental.Succeeded, incremental.Error?.ToString());
        Assert.Equal(full.Manifest.SetId, incremental.Manifest!.Chain.ChainId);
        Assert.DoesNotContain(incremental.Manifest.Files, f => f.Role == FileRole.Database);
        var done = await plugin.CompleteBackupAsync(new CompletionRequest(incremental.Manifest, Succeeded: true));
        Assert.Null(done.Error);
        Assert.Equal(2, (await catalog.GetChainAsync(target.Id)).Count);
    }

    [Fact]
    public async Task Copy_never_truncates_and_starts_no_chain()
    {
        await TestSupport.SampleAsync(Source);
        await using (var writer = new EsePlugin())
        {
            await writer.AdvanceSampleTargetAsync(Source, 2);
        }

        var catalog = new InMemoryBackupCatalog();
        await using var plugin = await CreatePluginAsync(catalog);
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var before = TestSupport.Snapshot(Source).Keys.ToList();

        var copy = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Copy, Staging) { CreateStagingDirectory = true });
        Assert.True(copy.Succeeded, copy.Error?.ToString());
        var completed = await plugin.CompleteBackupAsync(new CompletionRequest(copy.Manifest!, Succeeded: true));
        Assert.Null(completed.Error);
        Assert.Empty(completed.Truncation!.Removed);
        Assert.Equal(before, TestSupport.Snapshot(Source).Keys.ToList());
        Assert.Empty(await catalog.GetChainAsync(target.Id));
    }

    [Fact]
    public async Task Completion_a_failed_verdict_truncates_nothing_and_repeats_its_report()
    {
        await TestSupport.SampleAsync(Source);
        await using (var writer = new EsePlugin())
        {
            await writer.AdvanceSampleTargetAsync(Source, 2);
        }

        var catalog = new InMemoryBackupCatalog();
        await using var plugin = await CreatePluginAsync(catalog);
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var before = TestSupport.Snapshot(Source).Keys.ToList();
        var full = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true });
        Assert.True(full.Succeeded, full.Error?.ToString());

        var failed = await plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: false));
        Assert.Null(failed.Error);
        Assert.False(failed.Truncation!.HostSucceeded);
        Assert.Empty(failed.Truncation.Removed);
        Assert.Equal(before, TestSupport.Snapshot(Source).Keys.ToList());

        var again = await plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: false));
        Assert.Null(again.Error);
        Assert.Equal(failed.Truncation.Status, again.Truncation!.Status);

        Assert.Empty(await catalog.GetChainAsync(target.Id));
    }

    [Fact]
    public async Task Abandon_keeps_every_log_and_repeats_its_report()
    {
        await TestSupport.SampleAsync(Source);
        await using (var writer = new EsePlugin())
        {
            await writer.AdvanceSampleTargetAsync(Source, 2);
        }

        var catalog = new InMemoryBackupCatalog();
        await using var plugin = await CreatePluginAsync(catalog);
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var before = TestSupport.Snapshot(Source).Keys.ToList();
        var full = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true });
        Assert.True(full.Succeeded, full.Error?.ToString());

        var abandoned = await plugin.AbandonBackupAsync(full.Manifest!.SetId);
        Assert.Null(abandoned.Error);
        Assert.Empty(abandoned.Truncation!.Removed);
        var again = await plugin.AbandonBackupAsync(full.Manifest.SetId);
        Assert.Equal(abandoned.Truncation.Status, again.Truncation!.Status);
        Assert.Equal(before, TestSupport.Snapshot(Source).Keys.ToList());
        Assert.Empty(await catalog.GetChainAsync(target.Id));
    }

    [Fact]
    public async Task Errors_are_data_unknown_target_and_incremental_without_full()
    {
        await TestSupport.SampleAsync(Source);
        await using var plugin = await CreatePluginAsync(new InMemoryBackupCatalog());
        var unknown = await plugin.BackupAsync(new BackupRequest("no-such-target", BackupKind.Full, Staging) { CreateStagingDirectory = true });
        Assert.False(unknown.Succeeded);
        Assert.Equal(ErrorCodes.TargetNotFound.Name, unknown.Error!.Code.Name);

        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var incremental = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Incremental, Staging) { CreateStagingDirectory = true });
        Assert.False(incremental.Succeeded);
        Assert.Contains(incremental.Error!.Code.Name, new[] { ErrorCodes.MissingFullBackup.Name, ErrorCodes.InvalidBackup.Name });
        Assert.NotNull(incremental.Error.Code.EseError);

        var missing = await plugin.VerifySetAsync(new VerifySetRequest(_temp.Combine("no-such-set")));
        Assert.NotNull(missing.Error);
        Assert.False(missing.IsClean);
    }

    [Fact]
    public async Task Verify_set_is_clean_then_finds_a_damaged_page()
    {
        await TestSupport.SampleAsync(Source);
        await using var plugin = await CreatePluginAsync(new InMemoryBackupCatalog());
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var full = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Copy, Staging) { CreateStagingDirectory = true });
        Assert.True(full.Succeeded, full.Error?.ToString());

        var clean = await plugin.VerifySetAsync(new VerifySetRequest(full.SetDirectory!));
        Assert.True(clean.IsClean);
        Assert.Equal(full.Manifest!.Files.Count, clean.Files.Count);

        var db = full.Manifest.Files.First(f => f.Role == FileRole.Database);
        var path = Path.Combine(full.SetDirectory!, db.Path);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[(8192 * 4) + 100] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes);
        var damaged = await plugin.VerifySetAsync(new VerifySetRequest(full.SetDirectory!));
        Assert.False(damaged.IsClean);
    }

    [Fact]
    public async Task Restore_writes_the_files_the_manifest_lists()
    {
        await TestSupport.SampleAsync(Source);
        await using var plugin = await CreatePluginAsync(new InMemoryBackupCatalog());
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        var full = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true });
        Assert.True(full.Succeeded, full.Error?.ToString());

        var reports = new List<OperationProgress>();
        var restored = await plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!], _temp.Combine("restored")), new SyncProgress(reports.Add));
        Assert.True(restored.Succeeded, restored.Error?.ToString());
        Assert.Contains(reports, r => r.Operation == OperationKind.Restore);
        var db = full.Manifest!.Files.First(f => f.Role == FileRole.Database);
        var restoredDb = Assert.Single(restored.Files, f => f.Role == FileRole.Database);
        Assert.Equal(db.Sha256, restoredDb.Sha256);
        Assert.Equal(
            await File.ReadAllBytesAsync(Path.Combine(Source, Path.GetFileName(db.Path))),
            await File.ReadAllBytesAsync(Path.Combine(_temp.Combine("restored"), restoredDb.Path)));
    }

    [Fact]
    public async Task Inspect_and_verify_files_describe_the_source()
    {
        var sample = await TestSupport.SampleAsync(Source);
        await using var plugin = await CreatePluginAsync(new InMemoryBackupCatalog());
        var inspection = await plugin.InspectFileAsync(sample.Databases[0]);
        Assert.Null(inspection.Error);
        Assert.Equal("database", inspection.Kind);

        var report = await plugin.VerifyFilesAsync(new VerifyFilesRequest([Source]));
        Assert.Empty(report.Errors);
        Assert.NotEmpty(report.Files);
        Assert.All(report.Files, f => Assert.DoesNotContain(f.Findings, x => x.Severity == FindingSeverity.Corruption));
    }

    [Fact]
    public async Task Cancelling_a_backup_throws_and_leaves_nothing_in_staging()
    {
        await TestSupport.SampleAsync(Source, databaseBytes: 32L * 1024 * 1024);
        using var cts = new CancellationTokenSource();
        var catalog = new CancellationGateCatalog(new InMemoryBackupCatalog(), cts.Token);
        await using var plugin = await CreatePluginAsync(catalog);
        var target = await TestSupport.DiscoverOneAsync(plugin, Source);
        Directory.CreateDirectory(Staging);
        var progress = new SyncProgress(r =>
        {
            if (r.Phase == ProgressPhase.Begin)
            {
                cts.Cancel();
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging), progress, cts.Token));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Staging));

        catalog.Open();
        var after = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging));
        Assert.True(after.Succeeded, after.Error?.ToString());
    }

    /// <summary>
    /// Holds the recording of a staged set until the host's cancellation has reached that call, so a copy that
    /// outruns the cancellation (a fast machine, a worker that sees <c>$/cancelRequest</c> after its last page) cannot
    /// turn the test into a success: the cancellation must end the backup either during the copy or here.
    /// </summary>
    private sealed class CancellationGateCatalog(IBackupCatalog inner, CancellationToken hostCancelled) : IBackupCatalog
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
        private volatile bool _open;

        public void Open() => _open = true;

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
            => inner.GetChainAsync(targetId, cancellationToken);

        public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
            => inner.GetSetAsync(setId, cancellationToken);

        public async ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
        {
            if (!_open)
            {
                var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (hostCancelled.Register(() => cancelled.TrySetResult()))
                {
                    // A TimeoutException here fails the backup with CatalogFailure, so the test fails as it should.
                    await cancelled.Task.WaitAsync(Patience, CancellationToken.None);
                }

                // The backup's own token must now be cancelled too (in process it is the host's token; out of process
                // the worker forwards $/cancelRequest for this callback): wait for it, never record.
                await Task.Delay(Patience, cancellationToken);
                throw new TimeoutException($"the cancellation did not reach the catalog call within {Patience}");
            }

            await inner.RecordBackupAsync(manifest, cancellationToken);
        }

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
            => inner.RecordTruncationAsync(report, cancellationToken);
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post them later).</summary>
    private sealed class SyncProgress(Action<OperationProgress> report) : IProgress<OperationProgress>
    {
        private readonly Lock _gate = new();

        public void Report(OperationProgress value)
        {
            lock (_gate)
            {
                report(value);
            }
        }
    }
}

/// <summary>The conformance suite on the plugin loaded in process.</summary>
public sealed class InProcessConformanceTests : PluginConformanceTests
{
    protected override Task<IBackupPlugin> CreatePluginAsync(IBackupCatalog catalog) => Task.FromResult<IBackupPlugin>(new EsePlugin(catalog: catalog));
}

/// <summary>The conformance suite on the worker process, through the JSON-RPC proxy.</summary>
public sealed class OutOfProcessConformanceTests : PluginConformanceTests
{
    protected override async Task<IBackupPlugin> CreatePluginAsync(IBackupCatalog catalog) => await TestSupport.StartWorkerAsync(catalog);
}
