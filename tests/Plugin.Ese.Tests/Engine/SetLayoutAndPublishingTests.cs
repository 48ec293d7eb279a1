using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Staging;
using EseBackupPlugin.Ese.Samples;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Databases kept in another folder than their logs are backed up (never silently left out); a backup cancelled
/// while the catalog records it leaves nothing that looks like a set; the leftover sweep never takes a work directory
/// whose owner is publishing it.
/// </summary>
public class SetLayoutAndPublishingTests
{
    [Fact]
    public async Task A_database_in_another_folder_than_its_logs_is_part_of_the_full_backup()
    {
        using var temp = new TempDirectory();
        // source/logs holds logs and checkpoint, source/db the database: sibling folders, as Exchange lays them out.
        var source = temp.Combine("source");
        var info = SyntheticEseSet.Create(Path.Combine(source, "logs"), new SyntheticEseOptions { PageSize = 8192, DatabasePages = 64, LogGenerations = 4, Seed = 31 });
        var dbFolder = Path.Combine(source, "db");
        Directory.CreateDirectory(dbFolder);
        var moved = Path.Combine(dbFolder, Path.GetFileName(info.Databases[0].Path));
        File.Move(info.Databases[0].Path, moved);
        await using var h = new EngineHarness(temp);

        var target = await h.TargetAsync(source);
        Assert.Equal([moved], target.Databases.Select(d => d.Path));
        var full = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] });
        Assert.True(full.Succeeded, full.Error?.ToString());

        var database = Assert.Single(full.Manifest!.Files, f => f.Role == FileRole.Database);
        Assert.Equal(moved, database.SourcePath);
        Assert.Equal("databases/" + Path.GetFileName(moved), database.Path);
        Assert.Equal(EngineHarness.HashFile(moved), EngineHarness.HashFile(Path.Combine(full.SetDirectory!, database.Path.Replace('/', Path.DirectorySeparatorChar))));
        await h.AssertSetVerifiesAsync(full.SetDirectory!);
        Assert.Null((await h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: true))).Error);

        // A later full whose host searches only the log folder still finds the database through the chain.
        var again = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(again.Succeeded, again.Error?.ToString());
        Assert.Contains(again.Manifest!.Files, f => f.Role == FileRole.Database && f.SourcePath == moved);

        // The database leaves between discovery and the start of the backup: the source refuses to plan logs alone.
        File.Move(moved, temp.Combine("elsewhere.edb"));
        var fileSet = new FileSetSource(new FileSetOptions(), new InMemoryBackupCatalog(), TimeProvider.System, NullLogger<FileSetSource>.Instance);
        var start = await fileSet.BeginAsync(new SourceBackupContext(target, BackupKind.Full, null, [], "set-lost", temp.Combine("work")), CancellationToken.None);
        Assert.Null(start.Session);
        Assert.Equal(ErrorCodes.MissingFileToBackup, start.Error!.Code);
        Assert.Equal(moved, start.Error.File);
    }

    /// <summary>A catalog whose record is interrupted by the host's cancellation.</summary>
    private sealed class CancellingCatalog(CancellationTokenSource cancel) : IBackupCatalog
    {
        private readonly InMemoryBackupCatalog _inner = new();

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default) => _inner.GetChainAsync(targetId, cancellationToken);

        public async ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
        {
            await cancel.CancelAsync();
            cancellationToken.ThrowIfCancellationRequested();
        }

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default) => _inner.RecordTruncationAsync(report, cancellationToken);
    }

    [Fact]
    public async Task Cancelling_while_the_catalog_records_the_set_withdraws_it_from_staging()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 32, LogGenerations = 3, Seed = 32 });
        using var cancel = new CancellationTokenSource();
        await using var h = new EngineHarness(temp, catalog: new CancellingCatalog(cancel));
        var target = await h.TargetAsync(source);
        var sourceBefore = EngineHarness.HashTree(source);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] }, cancellationToken: cancel.Token));

        Assert.Empty(h.StagingEntries());
        Assert.Equal(sourceBefore, EngineHarness.HashTree(source));
    }

    [Fact]
    public void The_sweep_never_takes_a_work_directory_whose_lock_file_is_gone_until_it_is_old()
    {
        using var temp = new TempDirectory();
        var staging = temp.Combine("staging");
        var area = new StagingArea(PhysicalStagingFileSystem.Instance, TimeProvider.System, NullLogger.Instance);

        // An owner that removed its lock file and is about to rename (or died right then).
        var publishing = Path.Combine(staging, StagingArea.PartialPrefix + "publishing");
        Directory.CreateDirectory(publishing);
        File.WriteAllText(Path.Combine(publishing, "manifest.json"), "{}");
        // An owner that died while staging: its lock file is there and free.
        var dead = Path.Combine(staging, StagingArea.PartialPrefix + "dead");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, StagingArea.OwnerLockName), "pid 1");
        // A live owner.
        using var live = area.Begin(staging, "live");

        Assert.Equal(1, area.RemoveLeftovers(staging));
        Assert.True(Directory.Exists(publishing));
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live.WorkDirectory));

        // Long after, a lock-less work directory is debris.
        Directory.SetLastWriteTimeUtc(publishing, DateTime.UtcNow - StagingArea.LocklessGrace - TimeSpan.FromMinutes(1));
        Assert.Equal(1, area.RemoveLeftovers(staging));
        Assert.False(Directory.Exists(publishing));
        Assert.True(Directory.Exists(live.WorkDirectory));
    }

    [Fact]
    public void The_sweep_measures_the_lockless_grace_on_the_engines_clock()
    {
        using var temp = new TempDirectory();
        var staging = temp.Combine("staging");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var area = new StagingArea(PhysicalStagingFileSystem.Instance, clock, NullLogger.Instance);
        var publishing = Path.Combine(staging, StagingArea.PartialPrefix + "publishing");
        Directory.CreateDirectory(publishing);

        // Just written: within the grace on the engine's clock, whatever the wall clock says later.
        Assert.Equal(0, area.RemoveLeftovers(staging));
        Assert.True(Directory.Exists(publishing));

        // The same directory, untouched on disk, once the engine's clock has moved past the grace.
        clock.Advance(StagingArea.LocklessGrace + TimeSpan.FromMinutes(1));
        Assert.Equal(1, area.RemoveLeftovers(staging));
        Assert.False(Directory.Exists(publishing));
    }
}
