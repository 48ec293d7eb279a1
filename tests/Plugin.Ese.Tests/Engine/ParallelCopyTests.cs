using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Samples;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Issue 15: a file set with several databases is copied several files at once (bounded by
/// <c>EsePlugin:Engine:ParallelFiles</c> and the copy buffers), and the set is the same as one copied file by file: same
/// files, same bytes, same manifest order. A failure in one file stops the others and is reported naming that file.
/// </summary>
public class ParallelCopyTests
{
    private static string CreateSet(TempDirectory temp, int seed)
    {
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseCount = 4, DatabasePages = 96, LogGenerations = 3, Seed = (ulong)seed });
        return source;
    }

    [Fact]
    public async Task Four_databases_are_copied_two_at_a_time_into_the_same_set_a_sequential_copy_makes()
    {
        using var temp = new TempDirectory();
        var source = CreateSet(temp, 1501);
        var gate = new OverlapProbe(databasesToMeet: 2);

        // 64 KiB buffers, six of them: two copies of three buffers each (the memory of one sequential copy).
        await using var parallel = new EngineHarness(temp, gate, bufferCount: 6, parallelFiles: 2);
        var backup = await parallel.BackupAsync(await parallel.TargetAsync(source), BackupKind.Copy);
        Assert.True(backup.Succeeded, backup.Error?.ToString());
        Assert.True(gate.Met, "the second database's copy did not start while the first one was being written");
        Assert.Equal(2, gate.MaxOpenDatabases);
        await parallel.AssertSetVerifiesAsync(backup.SetDirectory!);

        using var temp2 = new TempDirectory();
        var source2 = CreateSet(temp2, 1501);
        await using var sequential = new EngineHarness(temp2, bufferCount: 6, parallelFiles: 1);
        var reference = await sequential.BackupAsync(await sequential.TargetAsync(source2), BackupKind.Copy);
        Assert.True(reference.Succeeded, reference.Error?.ToString());

        Assert.Equal(reference.Manifest!.Files.Select(f => (f.Path, f.Role, f.Size, f.Sha256)), backup.Manifest!.Files.Select(f => (f.Path, f.Role, f.Size, f.Sha256)));
        Assert.Equal(4, backup.Manifest.Files.Count(f => f.Role == FileRole.Database));
        Assert.Equal(reference.Manifest.Verification, backup.Manifest.Verification);
    }

    [Fact]
    public async Task A_corrupt_database_copied_beside_another_fails_the_backup_naming_it_and_stages_nothing()
    {
        using var temp = new TempDirectory();
        var source = CreateSet(temp, 1502);
        var damaged = Path.Combine(source, "database3.edb");
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            // A byte in the middle of a data page: its checksum no longer matches.
            file.Position = (8192 * 40) + 1000;
            var b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x10));
        }

        await using var h = new EngineHarness(temp, bufferCount: 6, parallelFiles: 2);
        var backup = await h.BackupAsync(await h.TargetAsync(source), BackupKind.Full);

        Assert.False(backup.Succeeded);
        Assert.Equal(ErrorCodes.ReadVerifyFailure, backup.Error!.Code);
        Assert.Equal(damaged, backup.Error.File);
        Assert.Empty(h.StagingEntries());
        Assert.Equal(0, h.Plugin.Engine.PendingCount);

        // Nothing stayed locked or half-done: once the file is whole again, the next backup works.
        using (var file = new FileStream(damaged, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = (8192 * 40) + 1000;
            var b = file.ReadByte();
            file.Position--;
            file.WriteByte((byte)(b ^ 0x10));
        }

        var again = await h.BackupAsync(await h.TargetAsync(source), BackupKind.Full);
        Assert.True(again.Succeeded, again.Error?.ToString());
    }

    [Fact]
    public async Task A_parallel_copy_cancelled_part_way_leaves_nothing_in_staging_and_the_next_backup_succeeds()
    {
        using var temp = new TempDirectory();
        var source = CreateSet(temp, 1503);
        var before = EngineHarness.HashTree(source);
        using var cts = new CancellationTokenSource();

        // The cancellation comes while two databases are being copied side by side, each with its file created and no byte
        // of it written yet: a gate in the staging file system, not a moment in time.
        var gate = new CancelWhenCopying(databasesToMeet: 2, cts);
        await using var h = new EngineHarness(temp, gate, bufferCount: 6, parallelFiles: 2);
        var target = await h.TargetAsync(source);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] }, null, cts.Token));

        Assert.True(gate.Met, "the cancellation did not come while two copies ran");
        Assert.Empty(h.StagingEntries());
        Assert.Equal(0, h.Plugin.Engine.PendingCount);
        Assert.Equal(before, EngineHarness.HashTree(source));

        // Not locked: the next backup of the same target runs to its end.
        var again = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(again.Succeeded, again.Error?.ToString());
        await h.AssertSetVerifiesAsync(again.SetDirectory!);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task A_cancellation_nobody_requested_fails_that_file_as_an_io_error_not_as_cancelled(int parallelFiles)
    {
        using var temp = new TempDirectory();
        var source = CreateSet(temp, 1504);
        var fs = new FaultyStagingFileSystem();
        await using var h = new EngineHarness(temp, fs, bufferCount: 6, parallelFiles: parallelFiles);
        var target = await h.TargetAsync(source);

        // The destination's own timeout gives up part-way through the first database (a share that stopped answering):
        // an OperationCanceledException although the caller's token was never cancelled.
        fs.Arm(StagingOperation.Write, FaultyStagingFileSystem.OwnTimeout, afterBytes: 200_000);
        var backup = await h.BackupAsync(target, BackupKind.Full);
        fs.Disarm();

        Assert.False(backup.Succeeded);
        Assert.Equal(ErrorCodes.DiskIO, backup.Error!.Code);
        Assert.NotNull(backup.Error.File);
        Assert.Contains(backup.Error.File, backup.Error.Message, StringComparison.Ordinal);
        Assert.Contains("no cancellation was requested", backup.Error.Message, StringComparison.Ordinal);
        Assert.Empty(h.StagingEntries());

        var again = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(again.Succeeded, again.Error?.ToString());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(65)]
    public void A_parallel_degree_out_of_range_is_refused_naming_the_setting(int degree)
    {
        var options = new Composition.EsePluginOptions { Engine = new Ese.Engine.EngineOptions { ParallelFiles = degree } };
        Assert.Contains(options.Validate(), p => p.Contains("EsePlugin:Engine:ParallelFiles", StringComparison.Ordinal));
    }

    /// <summary>
    /// The real file system, watching database copies: the first database file created waits (up to 10 s) until a second
    /// one is created, which only happens when copies run side by side; counts how many are open at once.
    /// </summary>
    private sealed class OverlapProbe(int databasesToMeet) : IStagingFileSystem
    {
        private readonly PhysicalStagingFileSystem _real = PhysicalStagingFileSystem.Instance;
        private readonly HashSet<Stream> _open = [];
        private readonly object _gate = new();
        private int _created;

        public bool Met { get; private set; }

        public int MaxOpenDatabases { get; private set; }

        public Stream CreateFile(string path, long preallocationSize)
        {
            var stream = _real.CreateFile(path, preallocationSize);
            if (!path.EndsWith(".edb", StringComparison.Ordinal))
            {
                return stream;
            }

            lock (_gate)
            {
                _open.Add(stream);
                MaxOpenDatabases = Math.Max(MaxOpenDatabases, _open.Count);
                if (++_created == databasesToMeet)
                {
                    Monitor.PulseAll(_gate);
                }
                else if (_created == 1)
                {
                    // The first database's copy holds here, before writing a byte: only a copy beside it can release it.
                    var deadline = DateTime.UtcNow.AddSeconds(10);
                    while (_created < databasesToMeet && DateTime.UtcNow < deadline)
                    {
                        Monitor.Wait(_gate, TimeSpan.FromMilliseconds(100));
                    }

                    Met = _created >= databasesToMeet;
                }
            }

            return stream;
        }

        public void FlushToDisk(Stream stream)
        {
            _real.FlushToDisk(stream);
            lock (_gate)
            {
                _open.Remove(stream);
            }
        }

        public void SyncDirectory(string path) => _real.SyncDirectory(path);

        public void CreateDirectory(string path) => _real.CreateDirectory(path);

        public void MoveDirectory(string source, string destination) => _real.MoveDirectory(source, destination);

        public void MoveFile(string source, string destination, bool overwrite) => _real.MoveFile(source, destination, overwrite);

        public void DeleteDirectory(string path) => _real.DeleteDirectory(path);

        public void DeleteFile(string path) => _real.DeleteFile(path);
    }
    /// <summary>
    /// The real file system; the first database file created waits (up to 10 s) until a second one is created, and the
    /// second one's creation cancels the backup: both copies are then running, neither has written a byte.
    /// </summary>
    private sealed class CancelWhenCopying(int databasesToMeet, CancellationTokenSource cts) : IStagingFileSystem
    {
        private readonly PhysicalStagingFileSystem _real = PhysicalStagingFileSystem.Instance;
        private readonly object _gate = new();
        private int _created;

        public bool Met { get; private set; }

        public Stream CreateFile(string path, long preallocationSize)
        {
            var stream = _real.CreateFile(path, preallocationSize);
            if (!path.EndsWith(".edb", StringComparison.Ordinal))
            {
                return stream;
            }

            var cancel = false;
            lock (_gate)
            {
                if (++_created == databasesToMeet)
                {
                    Met = cancel = true;
                    Monitor.PulseAll(_gate);
                }
                else if (_created == 1)
                {
                    var deadline = DateTime.UtcNow.AddSeconds(10);
                    while (_created < databasesToMeet && DateTime.UtcNow < deadline)
                    {
                        Monitor.Wait(_gate, TimeSpan.FromMilliseconds(100));
                    }
                }
            }

            if (cancel)
            {
                cts.Cancel();   // outside the lock: the token's callbacks run here
            }

            return stream;
        }

        public void FlushToDisk(Stream stream) => _real.FlushToDisk(stream);

        public void SyncDirectory(string path) => _real.SyncDirectory(path);

        public void CreateDirectory(string path) => _real.CreateDirectory(path);

        public void MoveDirectory(string source, string destination) => _real.MoveDirectory(source, destination);

        public void MoveFile(string source, string destination, bool overwrite) => _real.MoveFile(source, destination, overwrite);

        public void DeleteDirectory(string path) => _real.DeleteDirectory(path);

        public void DeleteFile(string path) => _real.DeleteFile(path);
    }
}
