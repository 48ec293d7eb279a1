using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Tests.Support;
using static EseBackupPlugin.Ese.Tests.Engine.FaultyStagingFileSystem;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Guarantee 2 (DESIGN §4.2) under a full disk and I/O errors behind the staging writer: the backup fails cleanly
/// with DiskFull / DiskIO naming the path, nothing is left in staging, no log is touched, and a set already in
/// staging is untouched and still verifies.
/// </summary>
public class StagingFaultTests
{
    private const int DatabaseBytes = 130 * 8192;

    [Theory]
    [InlineData(StagingOperation.Write, Enospc, 0L, 0)]
    [InlineData(StagingOperation.Write, Enospc, 300_000L, 0)]
    [InlineData(StagingOperation.Write, Enospc, DatabaseBytes + 70_000L, 0)]
    [InlineData(StagingOperation.Write, Eio, 500_000L, 0)]
    [InlineData(StagingOperation.CreateFile, Enospc, 0L, 0)]
    [InlineData(StagingOperation.CreateFile, Eio, 0L, 0)]
    [InlineData(StagingOperation.CreateFile, Eio, 0L, 2)]
    [InlineData(StagingOperation.CreateFile, Enospc, 0L, 4)]
    [InlineData(StagingOperation.FlushToDisk, Eio, 0L, 0)]
    [InlineData(StagingOperation.FlushToDisk, Enospc, 0L, 2)]
    [InlineData(StagingOperation.FlushToDisk, Eio, 0L, 4)]
    [InlineData(StagingOperation.CreateDirectory, Enospc, 0L, 0)]
    [InlineData(StagingOperation.SyncDirectory, Eio, 0L, 0)]
    [InlineData(StagingOperation.SyncDirectory, Eio, 0L, 1)]
    [InlineData(StagingOperation.MoveDirectory, Eio, 0L, 0)]
    [InlineData(StagingOperation.MoveFile, Enospc, 0L, 0)]
    public async Task A_fault_behind_the_staging_writer_fails_the_backup_cleanly(StagingOperation operation, int errno, long afterBytes, int skipCalls)
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseCount = 2, DatabasePages = 128, LogGenerations = 4, DatabaseState = SyntheticDatabaseState.Dirty, Seed = 5 });
        var fs = new FaultyStagingFileSystem();
        var catalog = new InMemoryBackupCatalog();
        await using var h = new EngineHarness(temp, fs, catalog);
        var target = await h.TargetAsync(source);

        var (previous, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        var previousFiles = EngineHarness.HashTree(previous.SetDirectory!);
        SyntheticEseSet.AppendLogs(source, 2);
        var sourceBefore = EngineHarness.HashTree(source);
        var recorded = catalog.Entries.Count;

        var what = $"{operation} errno {errno} after {afterBytes} bytes / {skipCalls} calls";
        fs.Arm(operation, errno, afterBytes, skipCalls);
        var backup = h.BackupAsync(target, BackupKind.Full);
        Assert.True(await Task.WhenAny(backup, Task.Delay(TimeSpan.FromSeconds(60))) == backup, $"{what}: the backup hangs");
        var result = await backup;
        fs.Disarm();

        Assert.True(fs.FaultedPaths.Count > 0, $"{what}: the fault was never hit");
        Assert.False(result.Succeeded, $"{what}: the backup succeeded");
        var error = result.Error!;
        Assert.True(error.Code == (errno == Enospc ? ErrorCodes.DiskFull : ErrorCodes.DiskIO), $"{what}: {error}");
        Assert.True(error.File is { } file && (file == h.Staging || file.StartsWith(h.Staging + Path.DirectorySeparatorChar, StringComparison.Ordinal)), $"{what}: the error names {error.File}, not a staging path: {error}");
        Assert.Contains(error.File, error.Message, StringComparison.Ordinal);
        if (operation is StagingOperation.Write or StagingOperation.CreateFile or StagingOperation.FlushToDisk)
        {
            Assert.True(fs.FaultedPaths[0] == error.File, $"{what}: failed writing {fs.FaultedPaths[0]} but the error names {error.File}: {error}");
        }

        // Nothing new in staging, the earlier set untouched and clean, no log touched, nothing recorded.
        Assert.Equal([Path.GetFileName(previous.SetDirectory!)], h.StagingEntries());
        Assert.Equal(previousFiles, EngineHarness.HashTree(previous.SetDirectory!));
        await h.AssertSetVerifiesAsync(previous.SetDirectory!);
        Assert.Equal(sourceBefore, EngineHarness.HashTree(source));
        Assert.Equal(recorded, catalog.Entries.Count);

        // The target is free again and the next backup works.
        var retry = await h.BackupAsync(target, BackupKind.Incremental);
        Assert.True(retry.Succeeded, $"{what}: the next backup failed: {retry.Error}");
        await h.AssertSetVerifiesAsync(retry.SetDirectory!);
    }

    [Theory]
    [InlineData(StagingOperation.Write, Enospc, 200_000L, 0)]
    [InlineData(StagingOperation.CreateFile, Eio, 0L, 1)]
    [InlineData(StagingOperation.MoveFile, Enospc, 0L, 1)]
    [InlineData(StagingOperation.CreateDirectory, Enospc, 0L, 0)]
    [InlineData(StagingOperation.SyncDirectory, Eio, 0L, 0)]
    public async Task A_fault_while_restoring_leaves_nothing_in_the_destination(StagingOperation operation, int errno, long afterBytes, int skipCalls)
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 4096, DatabaseCount = 2, DatabasePages = 100, LogGenerations = 3, Seed = 6 });
        var fs = new FaultyStagingFileSystem();
        await using var h = new EngineHarness(temp, fs);
        var target = await h.TargetAsync(source);
        var (full, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);

        var destination = temp.Combine("restore", "deeper");
        fs.Arm(operation, errno, afterBytes, skipCalls);
        var restore = await h.Plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!], destination));
        fs.Disarm();

        Assert.True(fs.FaultedPaths.Count > 0);
        Assert.False(restore.Succeeded);
        Assert.Equal(errno == Enospc ? ErrorCodes.DiskFull : ErrorCodes.DiskIO, restore.Error!.Code);
        Assert.Equal(fs.FaultedPaths[0], restore.Error.File);
        Assert.Empty(Directory.Exists(destination) ? Directory.EnumerateFileSystemEntries(destination, "*", SearchOption.AllDirectories) : []);

        var again = await h.Plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!], destination));
        Assert.True(again.Succeeded, again.Error?.ToString());
    }
}
