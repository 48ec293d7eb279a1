using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Guarantees 4 and 7 (DESIGN §4) through the plugin: when an incremental is possible, when a new full is needed,
/// and exactly which logs completion removes (and that nothing else ever removes any).
/// </summary>
public class IncrementalRulesTests
{
    private static SyntheticEseSetInfo NewSet(TempDirectory temp, int generations = 4, bool dirty = true, bool circular = false, ulong seed = 11, int databases = 1) =>
        SyntheticEseSet.Create(temp.Combine("source"), new SyntheticEseOptions
        {
            PageSize = 4096,
            DatabaseCount = databases,
            DatabasePages = 24,
            LogGenerations = generations,
            DatabaseState = dirty ? SyntheticDatabaseState.Dirty : SyntheticDatabaseState.Clean,
            CircularLogging = circular,
            Seed = seed,
        });

    private static string Log(string directory, long generation) => Path.Combine(directory, LogFileName.ArchivedName("edb", generation));

    [Fact]
    public async Task An_incremental_needs_a_completed_full()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);

        // No backup at all.
        var first = await h.BackupAsync(target, BackupKind.Incremental);
        Assert.Equal(ErrorCodes.MissingFullBackup, first.Error?.Code);
        Assert.Contains("needs a completed full backup", first.Error!.Message, StringComparison.Ordinal);

        // A full the host did not store (completed with failure) does not count.
        var full = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(full.Succeeded);
        var failed = await h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: false));
        Assert.Equal(TruncationStatus.Skipped, failed.Truncation!.Status);
        Assert.Equal(ErrorCodes.MissingFullBackup, (await h.BackupAsync(target, BackupKind.Incremental)).Error?.Code);

        // Nor does a copy, completed with success: copies never start a chain.
        await h.BackupAndCompleteAsync(target, BackupKind.Copy);
        Assert.Equal(ErrorCodes.MissingFullBackup, (await h.BackupAsync(target, BackupKind.Incremental)).Error?.Code);
        Assert.Empty(await h.Catalog.GetChainAsync(target.Id));
        Assert.Equal(4, Directory.EnumerateFiles(set.Directory, "*.log").Count());
        Assert.DoesNotContain(h.StagingEntries(), e => e.StartsWith('.'));
    }

    [Fact]
    public async Task Circular_logging_refuses_incrementals_and_never_truncates()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp, circular: true);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);
        Assert.True(target.Logs!.CircularLogging);
        Assert.DoesNotContain(BackupKind.Incremental, target.SupportedBackupKinds);
        var before = EngineHarness.HashTree(set.Directory);

        var (_, truncation) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        var incremental = await h.BackupAsync(target, BackupKind.Incremental);

        Assert.Equal(TruncationStatus.NotAllowed, truncation.Status);
        Assert.Empty(truncation.Removed);
        Assert.Equal(ErrorCodes.InvalidBackup, incremental.Error?.Code);
        Assert.Contains("circular logging", incremental.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before, EngineHarness.HashTree(set.Directory));
    }

    [Fact]
    public async Task A_missing_generation_between_sets_requires_a_new_full()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);
        var (full, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        var advanced = SyntheticEseSet.AppendLogs(set.Directory, 4);
        File.Delete(Log(set.Directory, set.CurrentGeneration + 2));

        var gap = await h.BackupAsync(target, BackupKind.Incremental);

        Assert.Equal(ErrorCodes.NewFullBackupRequired, gap.Error?.Code);
        Assert.Contains("new full backup is needed", gap.Error!.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(set.CurrentGeneration + 2, gap.Error.Generation);
        Assert.Equal([Path.GetFileName(full.SetDirectory!)], h.StagingEntries());

        // The newest generation of the chain gone is the same story.
        File.Delete(Log(set.Directory, set.CurrentGeneration));
        var lost = await h.BackupAsync(target, BackupKind.Incremental);
        Assert.Equal(ErrorCodes.NewFullBackupRequired, lost.Error?.Code);
        Assert.Contains("new full backup is needed", lost.Error!.Message, StringComparison.OrdinalIgnoreCase);

        // A new full starts a new chain, and incrementals continue from it.
        var (newFull, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        SyntheticEseSet.AppendLogs(set.Directory, 1);
        var (next, _) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);
        Assert.Equal(new ChainInfo(newFull.Manifest!.SetId, newFull.Manifest.SetId, 1), next.Manifest!.Chain);
        Assert.Equal(new GenerationRange(advanced.CurrentGeneration, advanced.CurrentGeneration + 1), next.Manifest.LogRange);
    }

    [Fact]
    public async Task A_changed_log_signature_requires_a_new_full()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp, seed: 12);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);
        await h.BackupAndCompleteAsync(target, BackupKind.Full);

        // The logs were reset: the same place now holds another log stream.
        foreach (var f in Directory.EnumerateFiles(set.Directory))
        {
            File.Delete(f);
        }

        var reset = SyntheticEseSet.Create(set.Directory, new SyntheticEseOptions { PageSize = 4096, DatabasePages = 24, LogGenerations = 2, DatabaseState = SyntheticDatabaseState.Dirty, Seed = 13 });
        Assert.NotEqual(set.LogSignature, reset.LogSignature);

        var incremental = await h.BackupAsync(target, BackupKind.Incremental);

        Assert.Equal(ErrorCodes.NewFullBackupRequired, incremental.Error?.Code);
        Assert.Contains("new full backup is needed", incremental.Error!.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(reset.LogSignature.ToString(), incremental.Error.Message, StringComparison.Ordinal);
        Assert.Equal(target.Id, incremental.Error.TargetId);
        Assert.Single(h.StagingEntries());

        // A target that simply is not there any more is not found (no full backup would help).
        Directory.Delete(set.Directory, recursive: true);
        Assert.Equal(ErrorCodes.TargetNotFound, (await h.BackupAsync(target, BackupKind.Incremental)).Error?.Code);
    }

    [Fact]
    public async Task A_copy_never_truncates_and_the_next_incremental_follows_the_full()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);
        var (full, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        SyntheticEseSet.AppendLogs(set.Directory, 3);
        var before = EngineHarness.HashTree(set.Directory);

        var (copy, truncation) = await h.BackupAndCompleteAsync(target, BackupKind.Copy);

        Assert.Equal(TruncationStatus.NotAllowed, truncation.Status);
        Assert.Equal(TruncationPerformer.None, truncation.PerformedBy);
        Assert.Empty(truncation.Removed);
        Assert.Equal(new TruncationPlan(TruncationMode.Never, TruncationPerformer.None), copy.Manifest!.Truncation);
        Assert.Equal(new ChainInfo(copy.Manifest.SetId, null, 0), copy.Manifest.Chain);
        Assert.Equal(before, EngineHarness.HashTree(set.Directory));

        var (incremental, _) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);
        Assert.Equal(new ChainInfo(full.Manifest!.SetId, full.Manifest.SetId, 1), incremental.Manifest!.Chain);
        Assert.Equal(full.Manifest.LogRange!.High, incremental.Manifest.LogRange!.Low);
    }

    [Fact]
    public async Task Completion_with_failure_or_no_completion_truncates_nothing()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp);
        var catalog = new InMemoryBackupCatalog();
        BackupResult full;
        await using (var h = new EngineHarness(temp, catalog: catalog))
        {
            var target = await h.TargetAsync(set.Directory);
            full = (await h.BackupAndCompleteAsync(target, BackupKind.Full)).Backup;
            SyntheticEseSet.AppendLogs(set.Directory, 4);
            var before = EngineHarness.HashTree(set.Directory);

            var incremental = await h.BackupAsync(target, BackupKind.Incremental);
            var completion = await h.Plugin.CompleteBackupAsync(new CompletionRequest(incremental.Manifest!, Succeeded: false));
            Assert.Null(completion.Error);
            Assert.Equal(TruncationStatus.Skipped, completion.Truncation!.Status);
            Assert.False(completion.Truncation.HostSucceeded);
            Assert.Empty(completion.Truncation.Removed);
            Assert.Equal(before, EngineHarness.HashTree(set.Directory));

            // Staged and never completed: the plugin ends (a host that crashed or gave up).
            var abandoned = await h.BackupAsync(target, BackupKind.Incremental);
            Assert.True(abandoned.Succeeded);
            await h.Plugin.DisposeAsync();
            Assert.Equal(before, EngineHarness.HashTree(set.Directory));
        }

        // Neither set joined the chain: the next incremental still follows the full.
        await using var again = new EngineHarness(temp, catalog: catalog);
        var chain = await catalog.GetChainAsync(full.Manifest!.Target.Id);
        Assert.Equal([full.Manifest.SetId], chain.Select(e => e.Manifest.SetId));
        var next = await again.BackupAsync(await again.TargetAsync(set.Directory), BackupKind.Incremental);
        Assert.True(next.Succeeded, next.Error?.ToString());
        Assert.Equal(new ChainInfo(full.Manifest.SetId, full.Manifest.SetId, 1), next.Manifest!.Chain);
    }

    [Fact]
    public async Task StoredOnly_completion_removes_exactly_the_generations_below_checkpoint_and_every_dirty_database_that_the_chain_holds()
    {
        using var temp = new TempDirectory();
        // Generations 1-6, checkpoint 5, both databases dirty needing 5-6.
        var set = NewSet(temp, generations: 6, databases: 2);
        var dir = set.Directory;
        await using var h = new EngineHarness(temp, policy: TruncationPolicy.StoredOnly);
        var target = await h.TargetAsync(dir);

        var (full, fullTruncation) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        Assert.Equal(new GenerationRange(5, 6), full.Manifest!.LogRange);
        // 1-4 are older than everything needed but no set holds them: they stay.
        Assert.Equal(TruncationStatus.NothingToTruncate, fullTruncation.Status);
        Assert.Empty(fullTruncation.Removed);

        // The engine moves on: 6-9 archived, current 10, checkpoint 9; database2 still needs generation 7.
        SyntheticEseSet.AppendLogs(dir, 4);
        SetGenMinRequired(set.Databases[1].Path, 7);
        var sizes = Directory.EnumerateFiles(dir, "*.log").ToDictionary(p => p, p => new FileInfo(p).Length);

        var (inc1, t1) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);
        Assert.Equal(new GenerationRange(6, 10), inc1.Manifest!.LogRange);
        Assert.Equal(TruncationStatus.Truncated, t1.Status);
        Assert.Equal(TruncationPerformer.Plugin, t1.PerformedBy);
        Assert.Equal([new TruncatedLog(Log(dir, 5), 5, sizes[Log(dir, 5)]) { Reason = LogRemovalReason.InChain }, new TruncatedLog(Log(dir, 6), 6, sizes[Log(dir, 6)]) { Reason = LogRemovalReason.InChain }], t1.Removed);
        Assert.Equal(new GenerationRange(5, 6), t1.Range);
        Assert.Contains("database2.edb needs 7-10", t1.Reason, StringComparison.Ordinal);
        Assert.Equal(new[] { 1, 2, 3, 4, 7, 8, 9 }.Select(g => Log(dir, g)).Append(Path.Combine(dir, "edb.log")).Order(StringComparer.Ordinal), Directory.EnumerateFiles(dir, "*.log").Order(StringComparer.Ordinal));

        // One more generation: everything below the new checkpoint (10) that the chain holds goes, never the current log.
        SyntheticEseSet.AppendLogs(dir, 1);
        var (_, t2) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);
        Assert.Equal([7L, 8L, 9L], t2.Removed.Select(r => r.Generation));
        Assert.Equal(new[] { 7, 8, 9 }.Select(g => Log(dir, g)), t2.Removed.Select(r => r.Path));
        Assert.True(File.Exists(Path.Combine(dir, "edb.log")));
        Assert.True(File.Exists(Log(dir, 10)));
        Assert.Equal(new[] { 1, 2, 3, 4, 10 }.Select(g => Log(dir, g)).Append(Path.Combine(dir, "edb.log")).Order(StringComparer.Ordinal), Directory.EnumerateFiles(dir, "*.log").Order(StringComparer.Ordinal));

        // Now the checkpoint is the limit: 10-12 archived, current 13, databases need 12-13, but the checkpoint says 11.
        SyntheticEseSet.AppendLogs(dir, 2);
        SetCheckpoint(Path.Combine(dir, "edb.chk"), 11);
        var size10 = new FileInfo(Log(dir, 10)).Length;
        var (_, t3) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);
        Assert.Equal([new TruncatedLog(Log(dir, 10), 10, size10) { Reason = LogRemovalReason.InChain }], t3.Removed);
        Assert.StartsWith("Kept generation 11 and newer (checkpoint 11", t3.Reason, StringComparison.Ordinal);
        Assert.Equal(new[] { 1, 2, 3, 4, 11, 12 }.Select(g => Log(dir, g)).Append(Path.Combine(dir, "edb.log")).Order(StringComparer.Ordinal), Directory.EnumerateFiles(dir, "*.log").Order(StringComparer.Ordinal));
    }

    /// <summary>Rewrites both checkpoint copies to point at another generation (valid checksums).</summary>
    private static void SetCheckpoint(string path, int generation)
    {
        var header = CheckpointSelection.Select(File.ReadAllBytes(path)).Header!;
        var image = new byte[CheckpointHeader.FileSize];
        (header with { Checkpoint = new LogPosition(0, 1, generation), DbConsistency = new LogPosition(0, 1, generation) }).WriteFile(image);
        File.WriteAllBytes(path, image);
    }

    [Fact]
    public async Task A_set_completed_after_the_logs_moved_on_keeps_the_generation_it_holds_only_as_the_then_current_log()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp, generations: 4); // 1-4, checkpoint 3, current 4
        var dir = set.Directory;
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(dir);

        var full = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(full.Succeeded);
        Assert.True(full.Manifest!.Files.Single(f => f.Log?.Generation == 4).Log!.WasCurrentLog);

        // The host completes late: generation 4 has meanwhile been finished (archived), 5-6 written, checkpoint 6.
        SyntheticEseSet.AppendLogs(dir, 3);
        var completion = await h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest, Succeeded: true));

        // The set holds generation 3 completely but 4 only as it was while current: 4's final version is in no set yet.
        // 1-2 are older than the full's first log: no restore of this chain replays them, and ESE would remove them too.
        Assert.Equal([(1L, LogRemovalReason.OlderThanChain), (2L, LogRemovalReason.OlderThanChain), (3L, LogRemovalReason.InChain)], completion.Truncation!.Removed.Select(r => (r.Generation, r.Reason)));
        Assert.True(File.Exists(Log(dir, 4)));

        // So the chain continues without a gap, and restores.
        var (incremental, t) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);
        Assert.Equal(new GenerationRange(4, 7), incremental.Manifest!.LogRange);
        Assert.Equal([4L, 5L], t.Removed.Select(r => r.Generation));
        var destination = temp.Combine("restore");
        var restore = await h.Plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!, incremental.SetDirectory!], destination));
        Assert.True(restore.Succeeded, restore.Error?.ToString());
        Assert.Equal(new GenerationRange(3, 7), restore.LogRange);
        await EngineHarness.AssertEseCleanAsync(destination);
    }

    /// <summary>Rewrites both header copies of a database with another genMinRequired (valid checksums).</summary>
    private static void SetGenMinRequired(string path, int generation)
    {
        var bytes = File.ReadAllBytes(path);
        var header = DatabaseHeaderSelection.Select(bytes, bytes.Length).Header!;
        Assert.True(header.State.NeedsLogs());
        var page = new byte[header.PageSize];
        (header with { GenMinRequired = generation }).WritePage(page);
        using var s = new FileStream(path, FileMode.Open, FileAccess.Write);
        s.Write(page);
        s.Write(page);
    }
}
