using EseBackupPlugin.Abstractions;
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
/// Guarantee 1 (DESIGN §4.1): every point of a chain restores to exactly the files ESE recovery needs:
/// the full's databases byte for byte, every generation the chain holds once, in its newest (final) copy,
/// contiguous, and clean for our own verifier including its cross-file checks.
/// </summary>
public class ChainRestoreTests
{
    [Theory]
    [InlineData(4096, false)]
    [InlineData(8192, true)]
    [InlineData(16384, true)]
    [InlineData(32768, false)]
    public async Task Full_then_two_incrementals_restore_exactly_at_every_point(int pageSize, bool dirty)
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        var set = SyntheticEseSet.Create(source, new SyntheticEseOptions
        {
            PageSize = pageSize,
            DatabaseCount = 2,
            DatabasePages = 80,
            DatabaseState = dirty ? SyntheticDatabaseState.Dirty : SyntheticDatabaseState.Clean,
            LogGenerations = 4,
            Seed = (ulong)pageSize,
        });
        var databases = set.Databases.ToDictionary(d => Path.GetFileName(d.Path), d => EngineHarness.HashFile(d.Path));
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);

        // What the source held just before each backup (generation -> hash; the current log counts as its generation).
        var snapshots = new List<Dictionary<long, string>>();
        var checkpoints = new List<string>();
        var current = new List<long>();
        var results = new List<BackupResult>();

        async Task Backup(BackupKind kind, long currentGeneration)
        {
            snapshots.Add(LogHashes(source, currentGeneration));
            checkpoints.Add(EngineHarness.HashFile(Path.Combine(source, "edb.chk")));
            current.Add(currentGeneration);
            results.Add((await h.BackupAndCompleteAsync(target, kind)).Backup);
        }

        await Backup(BackupKind.Full, set.CurrentGeneration);
        await Backup(BackupKind.Incremental, SyntheticEseSet.AppendLogs(source, 3).CurrentGeneration);
        await Backup(BackupKind.Incremental, SyntheticEseSet.AppendLogs(source, 2).CurrentGeneration);

        // The full starts at the lowest generation still needed (checkpoint; dirty databases need the same).
        long low = set.CheckpointGeneration;
        Assert.Equal(new GenerationRange(low, current[0]), results[0].Manifest!.LogRange);
        for (var i = 1; i < results.Count; i++)
        {
            var m = results[i].Manifest!;
            Assert.Equal(new ChainInfo(results[0].Manifest!.SetId, results[i - 1].Manifest!.SetId, i), m.Chain);
            Assert.Equal(new GenerationRange(current[i - 1], current[i]), m.LogRange);
            Assert.DoesNotContain(m.Files, f => f.Role == FileRole.Database);
            var replaced = Assert.Single(m.Files, f => f.Log?.Generation == current[i - 1]);
            Assert.Equal(results[i - 1].Manifest!.SetId, replaced.Log!.ReplacesCopyInSetId);
            Assert.False(replaced.Log.WasCurrentLog);
            Assert.True(Assert.Single(m.Files, f => f.Log?.Generation == current[i]).Log!.WasCurrentLog);
        }

        foreach (var r in results)
        {
            await h.AssertSetVerifiesAsync(r.SetDirectory!);
        }

        for (var k = 0; k < results.Count; k++)
        {
            var destination = temp.Combine($"restore-{k}");
            var restore = await h.Plugin.RestoreAsync(new RestoreRequest([.. results.Take(k + 1).Select(r => r.SetDirectory!)], destination));
            Assert.True(restore.Succeeded, $"restore of point {k} failed: {restore.Error}");

            var expected = new SortedDictionary<string, string>(databases, StringComparer.Ordinal);
            for (var g = low; g <= current[k]; g++)
            {
                // The newest set of the chain (up to k) holding g has its final version (or, for the newest generation, the copy it made of the current log).
                var from = Enumerable.Range(0, k + 1).Last(i => g >= (i == 0 ? low : current[i - 1]) && g <= current[i]);
                expected[g == current[k] ? "edb.log" : LogFileName.ArchivedName("edb", g)] = snapshots[from][g];
            }

            var restored = EngineHarness.HashTree(destination);
            Assert.True(
                expected.SequenceEqual(restored),
                $"point {k}: expected\n  {string.Join("\n  ", expected.Select(kv => $"{kv.Key} {kv.Value[..12]}"))}\nrestored\n  {string.Join("\n  ", restored.Select(kv => $"{kv.Key} {kv.Value[..12]}"))}");
            Assert.Equal(new GenerationRange(low, current[k]), restore.LogRange);
            Assert.Equal(expected.Count, restore.Files.Count);
            if (k > 0)
            {
                Assert.Equal(results[k].Manifest!.SetId, restore.Files.Single(f => f.Path == LogFileName.ArchivedName("edb", current[k - 1])).FromSetId);
            }

            await EngineHarness.AssertEseCleanAsync(destination);
        }

        // Asked for, the checkpoint comes from the newest set.
        var withCheckpoint = temp.Combine("restore-chk");
        var chk = await h.Plugin.RestoreAsync(new RestoreRequest([.. results.Select(r => r.SetDirectory!)], withCheckpoint) { IncludeCheckpoint = true });
        Assert.True(chk.Succeeded, chk.Error?.ToString());
        Assert.Equal(checkpoints[^1], EngineHarness.HashFile(Path.Combine(withCheckpoint, "edb.chk")));
        await EngineHarness.AssertEseCleanAsync(withCheckpoint);
    }

    private static Dictionary<long, string> LogHashes(string directory, long currentGeneration)
    {
        var map = new Dictionary<long, string>();
        foreach (var path in Directory.EnumerateFiles(directory, "*.log"))
        {
            var name = LogFileName.TryParse(Path.GetFileName(path));
            if (name?.Kind == LogFileNameKind.Archived)
            {
                map[name.Generation!.Value] = EngineHarness.HashFile(path);
            }
            else if (name?.Kind == LogFileNameKind.Current)
            {
                map[currentGeneration] = EngineHarness.HashFile(path);
            }
        }

        return map;
    }

    // ---- Real files written by Windows -----------------------------------------------------------------

    private const string CatdbA = "{127D0A1D-4EF2-11D1-8608-00C04FC295EE}/catdb";
    private const string CatdbB = "{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/catdb";

    [Fact]
    public async Task Catroot2_two_catdb_databases_in_sub_folders_and_shared_logs_are_one_target()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("catroot2");
        EngineHarness.CopyTree(TestData.Ese("catroot2-winxp-with-logs"), source);
        await using var h = new EngineHarness(temp);

        var target = await h.TargetAsync(source);

        Assert.Equal(source, target.Location);
        Assert.Equal([CatdbA, CatdbB], target.Databases.Select(d => Relative(source, d.Path)).Order(StringComparer.Ordinal));
        Assert.All(target.Databases, d => Assert.Equal(("CleanShutdown", 4096), (d.State, d.PageSize)));
        Assert.Equal("edb", target.Logs!.BaseName);
        Assert.Equal([new GenerationRange(126, 131)], target.Logs.Present);
        Assert.Empty(target.Logs.Missing);
        Assert.Equal(131, target.Logs.CurrentGeneration);
        Assert.Equal(131, target.Logs.CheckpointGeneration);
        Assert.True(target.Logs.CircularLogging);
        Assert.Equal(Path.Combine(source, "edb.chk"), target.CheckpointPath);
        Assert.Equal([BackupKind.Full, BackupKind.Copy], target.SupportedBackupKinds);
    }

    [Fact]
    public async Task Srum_reserve_tmp_logs_and_flush_map_are_not_part_of_the_target()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("srum");
        EngineHarness.CopyTree(TestData.Ese("srum-win10-clean-with-logs"), source);
        await using var h = new EngineHarness(temp);

        var target = await h.TargetAsync(source);

        Assert.Equal(["SRUDB.dat"], target.Databases.Select(d => Relative(source, d.Path)));
        Assert.Equal("SRU", target.Logs!.BaseName);
        // SRUtmp.log holds generation 24; it is not part of the chain.
        Assert.Equal([new GenerationRange(25, 32)], target.Logs.Present);
        Assert.Equal(32, target.Logs.CurrentGeneration);
        Assert.Empty(target.Warnings);

        var (full, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        Assert.Equal(["SRU.chk", "SRU.log", "SRUDB.dat"], full.Manifest!.Files.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.Equal(new[] { BackupManifest.FileName, "SRU.chk", "SRU.log", "SRUDB.dat" }.Order(StringComparer.Ordinal), Directory.EnumerateFiles(full.SetDirectory!).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("catroot2-winxp-with-logs", new[] { CatdbA, CatdbB, "edb.log" })]
    [InlineData("srum-win10-clean-with-logs", new[] { "SRUDB.dat", "SRU.log" })]
    public async Task Real_sets_with_circular_logging_full_and_copy_restore_byte_equal_and_refuse_incrementals(string name, string[] restoredFiles)
    {
        using var temp = new TempDirectory();
        var source = temp.Combine(name);
        EngineHarness.CopyTree(TestData.Ese(name), source);
        var before = EngineHarness.HashTree(source);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);

        var (full, fullTruncation) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        var (copy, copyTruncation) = await h.BackupAndCompleteAsync(target, BackupKind.Copy);

        // Circular logging: ESE reuses its logs, nobody truncates, and an incremental is impossible (JET_errInvalidBackup).
        Assert.Equal(TruncationStatus.NotAllowed, fullTruncation.Status);
        Assert.Equal(TruncationStatus.NotAllowed, copyTruncation.Status);
        Assert.Empty(fullTruncation.Removed);
        Assert.Empty(copyTruncation.Removed);
        var incremental = await h.BackupAsync(target, BackupKind.Incremental);
        Assert.Equal(ErrorCodes.InvalidBackup, incremental.Error?.Code);
        Assert.Contains("circular logging", incremental.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(before, EngineHarness.HashTree(source));

        Assert.Equal(new ChainInfo(copy.Manifest!.SetId, null, 0), copy.Manifest.Chain);
        Assert.Equal(TruncationMode.Never, copy.Manifest.Truncation.Mode);

        foreach (var (set, label) in new[] { (full, "full"), (copy, "copy") })
        {
            await h.AssertSetVerifiesAsync(set.SetDirectory!);
            var destination = temp.Combine("restore-" + label);
            var restore = await h.Plugin.RestoreAsync(new RestoreRequest([set.SetDirectory!], destination));
            Assert.True(restore.Succeeded, restore.Error?.ToString());
            var restored = EngineHarness.HashTree(destination);
            Assert.Equal(restoredFiles.Order(StringComparer.Ordinal), restored.Keys);
            Assert.All(restored, kv => Assert.Equal(before[kv.Key], kv.Value));
            await EngineHarness.AssertEseCleanAsync(destination);
        }
    }

    [Theory]
    [InlineData("catroot2-winxp-with-logs", new[] { CatdbA, CatdbB, "edb.log" }, 131)]
    [InlineData("srum-win10-clean-with-logs", new[] { "SRUDB.dat", "SRU.log" }, 32)]
    public async Task Real_sets_without_circular_logging_take_an_incremental_with_no_new_logs(string name, string[] restoredFiles, long currentGeneration)
    {
        // The real sets run with circular logging. The same bytes with the flag cleared in the log headers
        // (header checksum re-stamped) show the incremental path on Windows-written logs.
        using var temp = new TempDirectory();
        var source = temp.Combine(name);
        EngineHarness.CopyTree(TestData.Ese(name), source);
        ClearCircularLogging(source);
        var before = EngineHarness.HashTree(source);
        // StoredOnly: this test is about the chain's shape, so every log stays to compare the tree afterwards.
        await using var h = new EngineHarness(temp, policy: TruncationPolicy.StoredOnly);
        var target = await h.TargetAsync(source);
        Assert.False(target.Logs!.CircularLogging);

        var (full, fullTruncation) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        var (copy, _) = await h.BackupAndCompleteAsync(target, BackupKind.Copy);
        var (incremental, incrementalTruncation) = await h.BackupAndCompleteAsync(target, BackupKind.Incremental);

        // No new logs: the incremental takes the current log again (its final version so far) and the checkpoint, and follows the full, not the copy.
        var m = incremental.Manifest!;
        Assert.Equal(new ChainInfo(full.Manifest!.SetId, full.Manifest.SetId, 1), m.Chain);
        Assert.Equal(new GenerationRange(currentGeneration, currentGeneration), m.LogRange);
        Assert.Equal([FileRole.Log, FileRole.Checkpoint], m.Files.Select(f => f.Role).Order());
        Assert.Equal(full.Manifest.SetId, m.Files.Single(f => f.Role == FileRole.Log).Log!.ReplacesCopyInSetId);
        Assert.Equal(TruncationStatus.NothingToTruncate, fullTruncation.Status);
        Assert.Equal(TruncationStatus.NothingToTruncate, incrementalTruncation.Status);
        Assert.Equal(before, EngineHarness.HashTree(source));

        foreach (var (chain, label) in new[] { (new[] { full }, "full"), (new[] { full, incremental }, "full+incremental"), (new[] { copy }, "copy") })
        {
            var destination = temp.Combine("restore-" + label.Replace('+', '-'));
            var restore = await h.Plugin.RestoreAsync(new RestoreRequest([.. chain.Select(c => c.SetDirectory!)], destination));
            Assert.True(restore.Succeeded, $"{label}: {restore.Error}");
            var restored = EngineHarness.HashTree(destination);
            Assert.Equal(restoredFiles.Order(StringComparer.Ordinal), restored.Keys);
            Assert.All(restored, kv => Assert.Equal(before[kv.Key], kv.Value));
            Assert.Equal(new GenerationRange(currentGeneration, currentGeneration), restore.LogRange);
            await EngineHarness.AssertEseCleanAsync(destination);
        }
    }

    private static string Relative(string root, string path) => Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// Clears the circular-logging bits of every log of the set (DBMS parameter flag at 594, fLGFlags 0x02 at 639)
    /// and of both checkpoint copies (DBMS parameter flag at 570), re-stamping each header checksum.
    /// </summary>
    private static void ClearCircularLogging(string directory)
    {
        foreach (var path in Directory.EnumerateFiles(directory, "*.chk"))
        {
            var bytes = File.ReadAllBytes(path);
            for (var copy = 0; copy + CheckpointHeader.Size <= bytes.Length && copy < 2 * CheckpointHeader.Size; copy += CheckpointHeader.Size)
            {
                var header = bytes.AsSpan(copy, CheckpointHeader.Size);
                Assert.True(XorChecksum.IsValid(header), path);
                header[570] &= 0xFE;
                XorChecksum.Stamp(header);
            }

            File.WriteAllBytes(path, bytes);
        }

        foreach (var path in Directory.EnumerateFiles(directory, "*.log"))
        {
            if (LogFileName.TryParse(Path.GetFileName(path)) is not { Kind: LogFileNameKind.Archived or LogFileNameKind.Current })
            {
                continue;
            }

            var bytes = File.ReadAllBytes(path);
            var header = bytes.AsSpan(0, LogFileHeader.Size);
            Assert.True(XorChecksum.IsValid(header), path);
            header[594] &= 0xFE;
            header[639] &= 0xFD;
            XorChecksum.Stamp(header);
            File.WriteAllBytes(path, bytes);
        }
    }
}
