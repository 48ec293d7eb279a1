using System.Diagnostics;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using Microsoft.Extensions.Logging.Abstractions;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Requester;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>Our own snapshot sets left behind by a crashed worker are deleted at start-up, and nothing else is.</summary>
[Collection(FakeVssCollection.Name)]
public sealed class VssOrphanCleanupTests
{
    private static SnapshotSetRecord DeadOwner(Guid id) =>
        // The current process id with another start time: a process that no longer exists.
        new(id, "vss-target", Environment.ProcessId, new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UtcNow);

    private static SnapshotSetRecord LiveForeignOwner(Guid id)
    {
        // Process 1 runs as long as the (Linux) machine does: a worker that is still alive.
        using var init = Process.GetProcessById(1);
        return new SnapshotSetRecord(id, "vss-target", init.Id, new DateTimeOffset(init.StartTime.ToUniversalTime(), TimeSpan.Zero), DateTimeOffset.UtcNow);
    }

    [FakeVssFact]
    public async Task Orphans_of_dead_workers_are_deleted_before_the_first_backup_and_live_ones_are_kept()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var orphan = Guid.NewGuid();
        var alive = Guid.NewGuid();
        var gone = Guid.NewGuid();
        var foreign = Guid.NewGuid();
        VssFake.AddOrphanSnapshotSet(orphan, world.Volume, VssSnapshotContext.Backup);
        VssFake.AddOrphanSnapshotSet(alive, world.Volume, VssSnapshotContext.Backup);
        VssFake.AddOrphanSnapshotSet(foreign, world.Volume, VssSnapshotContext.AppRollback);
        await world.Journal.RecordSnapshotSetAsync(DeadOwner(orphan), CancellationToken.None);
        await world.Journal.RecordSnapshotSetAsync(LiveForeignOwner(alive), CancellationToken.None);
        await world.Journal.RecordSnapshotSetAsync(DeadOwner(gone), CancellationToken.None);

        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        Assert.Null(start.Error);

        // The orphan is gone; a set of a live worker and a set that is not ours are untouched.
        Assert.False(FakeVssLibrary.SnapshotSetExists(orphan));
        Assert.True(FakeVssLibrary.SnapshotSetExists(alive));
        Assert.True(FakeVssLibrary.SnapshotSetExists(foreign));
        Assert.Contains(FakeVssLibrary.LogLines, l => l.StartsWith($"DeleteSnapshots {orphan} type=2 force=1", StringComparison.Ordinal));
        Assert.Contains("SetContext -1", FakeVssLibrary.LogLines);
        var remaining = (await world.Journal.GetSnapshotSetsAsync(CancellationToken.None)).Select(r => r.SnapshotSetId).ToList();
        Assert.DoesNotContain(orphan, remaining);
        Assert.DoesNotContain(gone, remaining);
        Assert.Contains(alive, remaining);

        // The running backup's own set is journalled while it lives, and forgotten when it ends.
        var session = (VssSession)start.Session!;
        Assert.Contains(session.Requester.SnapshotSetId!.Value, remaining);
        await session.DisposeAsync();
        Assert.Equal([alive], (await world.Journal.GetSnapshotSetsAsync(CancellationToken.None)).Select(r => r.SnapshotSetId));

        // Clean-up runs once per source: the next backup does not query again.
        var queries = FakeVssLibrary.Count("Query");
        var again = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        await again.Session!.DisposeAsync();
        Assert.Equal(queries, FakeVssLibrary.Count("Query"));
        Assert.Equal(2, FakeVssLibrary.LiveSnapshotSets);
    }

    [FakeVssFact]
    public async Task With_no_snapshot_on_the_machine_query_answers_s_false_and_every_record_is_resolved_as_gone()
    {
        // VSS's Query answers S_FALSE (not S_OK with an empty enumerator) when there is no shadow copy at all; the
        // records of sets that no longer exist are then simply forgotten.
        using var world = new FakeVssWorld(otherWriters: false);
        var gone = Guid.NewGuid();
        await world.Journal.RecordSnapshotSetAsync(DeadOwner(gone), CancellationToken.None);
        Assert.Equal(0, FakeVssLibrary.LiveSnapshotSets);

        var result = await VssOrphanCleaner.RunAsync(VssFake.Api, world.Journal, new HashSet<Guid>(), VssOrphanCleaner.IsProcessAlive, NullLogger.Instance, CancellationToken.None);

        Assert.Empty(result.Errors);
        Assert.Equal([gone], result.AlreadyGone);
        Assert.Empty(result.Deleted);
        Assert.Equal(1, FakeVssLibrary.Count("Query"));
        Assert.Empty(await world.Journal.GetSnapshotSetsAsync(CancellationToken.None));

        // The interop's own view of that answer: S_FALSE and no snapshot, nothing to release.
        var api = VssFake.Api;
        var (hr, count) = await api.InvokeAsync(
            () =>
            {
                Assert.Equal(0, api.CreateBackupComponents(out var components));
                using (components)
                {
                    Assert.Equal(0, components!.InitializeForBackup());
                    Assert.Equal(0, components.SetContext(VssSnapshotContext.All));
                    var queried = components.QuerySnapshots(out var snapshots);
                    return (queried, snapshots.Count);
                }
            },
            CancellationToken.None);
        Assert.Equal(1, hr); // S_FALSE
        Assert.Equal(0, count);
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_set_recorded_by_this_process_for_a_live_session_is_never_deleted()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        var session = (VssSession)start.Session!;
        var own = session.Requester.SnapshotSetId!.Value;

        var result = await source.CleanUpOrphanedSnapshotSetsAsync(CancellationToken.None);

        Assert.Contains(own, result.Kept);
        Assert.Empty(result.Deleted);
        Assert.True(FakeVssLibrary.SnapshotSetExists(own));
        await session.DisposeAsync();
        Assert.False(FakeVssLibrary.SnapshotSetExists(own));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_crashed_run_of_this_process_leaves_a_record_that_the_next_clean_up_resolves()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var leaked = Guid.NewGuid();
        VssFake.AddOrphanSnapshotSet(leaked, world.Volume, VssSnapshotContext.AppRollback);
        await world.Journal.RecordSnapshotSetAsync(SnapshotSetRecords.ForCurrentProcess(leaked, "t", DateTimeOffset.UtcNow), CancellationToken.None);

        var result = await VssOrphanCleaner.RunAsync(VssFake.Api, world.Journal, new HashSet<Guid>(), _ => true, NullLogger.Instance, CancellationToken.None);

        Assert.Equal([leaked], result.Deleted);
        Assert.Empty(result.Errors);
        Assert.False(FakeVssLibrary.SnapshotSetExists(leaked));
        Assert.Empty(await world.Journal.GetSnapshotSetsAsync(CancellationToken.None));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_failing_delete_keeps_the_record_for_the_next_start()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var orphan = Guid.NewGuid();
        VssFake.AddOrphanSnapshotSet(orphan, world.Volume, VssSnapshotContext.Backup);
        await world.Journal.RecordSnapshotSetAsync(DeadOwner(orphan), CancellationToken.None);
        VssFake.SetFault("DeleteSnapshots", 1, 1, FakeFault.Sync, VssHResults.VSS_E_PROVIDER_VETO);

        var result = await VssOrphanCleaner.RunAsync(VssFake.Api, world.Journal, new HashSet<Guid>(), VssOrphanCleaner.IsProcessAlive, NullLogger.Instance, CancellationToken.None);

        var error = Assert.Single(result.Errors);
        Assert.Equal("VSS_E_PROVIDER_VETO", error.Details!["hresultName"]);
        Assert.True(FakeVssLibrary.SnapshotSetExists(orphan));
        Assert.Equal([orphan], (await world.Journal.GetSnapshotSetsAsync(CancellationToken.None)).Select(r => r.SnapshotSetId));
    }

    [Fact]
    public void Process_liveness_tells_a_recycled_or_vanished_process_from_a_running_one()
    {
        Assert.True(VssOrphanCleaner.IsProcessAlive(SnapshotSetRecords.ForCurrentProcess(Guid.NewGuid(), "t", DateTimeOffset.UtcNow)));
        Assert.False(VssOrphanCleaner.IsProcessAlive(DeadOwner(Guid.NewGuid())));
        Assert.False(VssOrphanCleaner.IsProcessAlive(new SnapshotSetRecord(Guid.NewGuid(), "t", int.MaxValue - 7, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow)));
    }

    [Fact]
    public async Task The_file_journal_survives_a_restart_and_rewrites_atomically()
    {
        using var temp = new Support.TempDirectory();
        var path = temp.Combine("state", "vss-sets.txt");
        var a = new SnapshotSetRecord(Guid.NewGuid(), "target\twith tab", 1234, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), new DateTimeOffset(2026, 1, 2, 3, 5, 0, TimeSpan.Zero));
        var b = a with { SnapshotSetId = Guid.NewGuid(), TargetId = "other" };

        var journal = new FileVssSnapshotSetJournal(path);
        await journal.RecordSnapshotSetAsync(a, CancellationToken.None);
        await journal.RecordSnapshotSetAsync(b, CancellationToken.None);
        await journal.RecordSnapshotSetAsync(b, CancellationToken.None);
        File.AppendAllText(path, "not a record\n");

        var reopened = new FileVssSnapshotSetJournal(path);
        var records = await reopened.GetSnapshotSetsAsync(CancellationToken.None);
        Assert.Equal(2, records.Count);
        Assert.Equal(a with { TargetId = "target with tab" }, records[0]);
        Assert.Equal(b, records[1]);

        await reopened.RemoveSnapshotSetAsync(a.SnapshotSetId, CancellationToken.None);
        Assert.Equal([b], await new FileVssSnapshotSetJournal(path).GetSnapshotSetsAsync(CancellationToken.None));
        Assert.False(File.Exists(path + ".tmp"));
    }
}
