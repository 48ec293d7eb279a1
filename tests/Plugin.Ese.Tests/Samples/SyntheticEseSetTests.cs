using System.Security.Cryptography;
using CsCheck;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Samples;
using EseBackupPlugin.Ese.Tests.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Samples;

public class SyntheticEseSetTests
{
    private readonly EseFileVerifierService _service = new();

    [Fact]
    public async Task A_default_set_verifies_clean_file_by_file_and_across_files()
    {
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { DatabaseCount = 2 });

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        Assert.False(report.HasCorruption, string.Join("\n", report.Files.SelectMany(f => f.Findings).Concat(report.CrossFileFindings).Select(f => $"{f.File} {f.Code} {f.Message}")));
        Assert.Empty(report.CrossFileFindings);
        Assert.All(report.Files, f => Assert.Empty(f.Findings));
        Assert.Equal(2 + 4 + 1, report.Files.Count);
        Assert.Equal(4, report.Files.Count(f => f.Kind == "log"));
        Assert.Equal(2, report.Files.Count(f => f.Kind == "database"));
        Assert.Equal("checkpoint", report.Files.Single(f => f.Path == set.CheckpointPath).Kind);
        Assert.Equal(Path.Combine(temp.Path, "edb.log"), set.CurrentLogPath);
        Assert.Equal((1, 4, 4), (set.FirstGeneration, set.CurrentGeneration, set.CheckpointGeneration));
        Assert.Equal(["edb00001.log", "edb00002.log", "edb00003.log", "edb.log"], set.LogPaths.Select(Path.GetFileName));
    }

    [Fact]
    public async Task Headers_say_what_the_set_description_says()
    {
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { DatabaseState = SyntheticDatabaseState.Dirty, LogGenerations = 5, FirstGeneration = 0x20 });

        var db = await EseFileVerifier.VerifyAsync(set.Databases[0].Path);
        Assert.Equal(DatabaseState.DirtyShutdown, db.Database!.State);
        Assert.Equal(set.LogSignature, db.Database.LogSignature);
        Assert.Equal(set.Databases[0].DatabaseSignature, db.Database.DatabaseSignature);
        Assert.Equal((0x23, 0x24), db.Database.RequiredLogRange);
        Assert.Equal(0x24, set.CurrentGeneration);
        Assert.Equal(0x23, set.CheckpointGeneration);

        var chk = await EseFileVerifier.VerifyAsync(set.CheckpointPath);
        Assert.Equal(0x23, chk.Checkpoint!.CheckpointGeneration);
        Assert.Equal(set.LogSignature, chk.Checkpoint.Signature);
        Assert.Equal(HeaderCopy.Primary, chk.HeaderCopyUsed);

        for (var i = 0; i < set.LogPaths.Count; i++)
        {
            var log = await EseFileVerifier.VerifyAsync(set.LogPaths[i]);
            Assert.Equal(0x20 + i, log.Log!.Generation);
            Assert.Equal(set.LogSignature, log.Log.Signature);
            Assert.True(log.ShadowSegments >= 1);
            Assert.True(log.GoodSegments >= 1);
        }

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));
        Assert.Empty(report.CrossFileFindings);
    }

    [Theory]
    [InlineData(4096, false)]
    [InlineData(4096, true)]
    [InlineData(8192, false)]
    [InlineData(8192, true)]
    [InlineData(16384, true)]
    [InlineData(32768, false)]
    public async Task Every_page_size_and_checksum_kind_verifies(int pageSize, bool xe)
    {
        var kind = xe ? PageChecksumKind.Xe : PageChecksumKind.LegacyXor;
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { PageSize = pageSize, ChecksumKind = kind, DatabasePages = 300, LogGenerations = 2 });

        var result = await EseFileVerifier.VerifyAsync(set.Databases[0].Path);

        Assert.Empty(result.Findings);
        Assert.Equal(pageSize, result.PageSize);
        Assert.Equal((2 + 300) * (long)pageSize, result.Bytes);
        Assert.True(result.UnitsUninitialized > 10 && result.UnitsChecked > 200);
        Assert.Equal(300, result.UnitsChecked + result.UnitsUninitialized);
        var expectXe = pageSize > 8192 || kind == PageChecksumKind.Xe;
        Assert.Equal(expectXe ? result.UnitsChecked : 0, result.XeChecksumPages);
        Assert.Equal(expectXe ? 0 : result.UnitsChecked, result.LegacyChecksumPages);
    }

    [Fact]
    public void Same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        using var a = new TempDirectory();
        using var b = new TempDirectory();
        using var c = new TempDirectory();
        var options = new SyntheticEseOptions { DatabasePages = 200, LogGenerations = 3, Seed = 77 };
        SyntheticEseSet.Create(a.Path, options);
        SyntheticEseSet.Create(b.Path, options);
        SyntheticEseSet.Create(c.Path, options with { Seed = 78 });

        foreach (var file in Directory.GetFiles(a.Path).Select(Path.GetFileName))
        {
            Assert.Equal(Hash(a.Combine(file!)), Hash(b.Combine(file!)));
            Assert.NotEqual(Hash(a.Combine(file!)), Hash(c.Combine(file!)));
        }
    }

    [Fact]
    public async Task Append_logs_advances_the_engine_and_stays_consistent()
    {
        using var temp = new TempDirectory();
        var before = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { DatabaseCount = 2, DatabaseState = SyntheticDatabaseState.Dirty, LogGenerations = 3 });
        var currentBytes = File.ReadAllBytes(before.CurrentLogPath);

        var after = SyntheticEseSet.AppendLogs(temp.Path, 4);

        Assert.Equal(7, after.CurrentGeneration);
        Assert.Equal(6, after.CheckpointGeneration);
        Assert.Equal(1, after.FirstGeneration);
        Assert.Equal(7, after.LogPaths.Count);
        Assert.Equal(before.LogSignature, after.LogSignature);

        // The old current log (generation 3) now lives under its archived name, with the same header and the
        // segments it already had.
        var archived = File.ReadAllBytes(temp.Combine("edb00003.log"));
        Assert.Equal(currentBytes.AsSpan(0, 4096).ToArray(), archived.AsSpan(0, 4096).ToArray());
        Assert.Equal(currentBytes.AsSpan(4096, 4096).ToArray(), archived.AsSpan(4096, 4096).ToArray());

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));
        Assert.False(report.HasCorruption, string.Join("\n", report.Files.SelectMany(f => f.Findings).Concat(report.CrossFileFindings).Select(f => $"{f.File} {f.Code} {f.Message}")));
        Assert.Empty(report.CrossFileFindings);
        Assert.All(report.Files, f => Assert.Empty(f.Findings));

        foreach (var db in after.Databases)
        {
            var result = await EseFileVerifier.VerifyAsync(db.Path);
            Assert.Equal((6, 7), result.Database!.RequiredLogRange);
            Assert.Equal(HeaderCopy.Primary, result.HeaderCopyUsed);
            Assert.Equal(db.RequiredLogRange, result.Database.RequiredLogRange);
        }

        // Generations below the checkpoint are no longer needed: deleting them keeps the set consistent.
        foreach (var g in Enumerable.Range(1, 5))
        {
            File.Delete(temp.Combine(LogFileName.ArchivedName("edb", g)));
        }

        var truncated = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));
        Assert.False(truncated.HasCorruption);
        Assert.Empty(truncated.CrossFileFindings);
    }

    [Fact]
    public async Task Append_logs_on_a_clean_set_moves_the_consistent_position()
    {
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { LogGenerations = 1, PageSize = 4096, DatabasePages = 50 });
        SyntheticEseSet.AppendLogs(temp.Path, 1);
        var after = SyntheticEseSet.AppendLogs(temp.Path, 2);

        var db = await EseFileVerifier.VerifyAsync(set.Databases[0].Path);
        Assert.Equal(DatabaseState.CleanShutdown, db.Database!.State);
        Assert.Equal(4, db.Database.ConsistentPosition.Generation);
        Assert.Equal(4, after.CheckpointGeneration);
        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));
        Assert.False(report.HasCorruption);
        Assert.Empty(report.CrossFileFindings);
    }

    [Theory]
    [InlineData(4096, false)]
    [InlineData(8192, true)]
    [InlineData(32768, true)]
    public void Flipped_bits_in_generated_files_are_caught_where_they_are(int pageSize, bool xe)
    {
        var kind = xe ? PageChecksumKind.Xe : PageChecksumKind.LegacyXor;
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { PageSize = pageSize, ChecksumKind = kind, DatabasePages = 60, LogGenerations = 2, LogFileSize = 64 * 1024 });
        var targets = new (string Path, EseFileKind Kind)[]
        {
            (set.Databases[0].Path, EseFileKind.Database),
            (set.LogPaths[0], EseFileKind.Log),
            (set.CurrentLogPath, EseFileKind.Log),
            (set.CheckpointPath, EseFileKind.Checkpoint),
        };
        foreach (var (path, fileKind) in targets)
        {
            var model = CorruptionModel.Build(File.ReadAllBytes(path), fileKind, pageSize);
            Gen.Select(Gen.Int[0, model.Regions.Count - 1], Gen.Long, Gen.Int).Sample(
                (regionIndex, r, seed) =>
                {
                    var region = model.Regions[regionIndex];
                    var bit = (region.Start * 8) + (long)((ulong)r % (ulong)(region.Length * 8));
                    region.AssertReported(model.VerifyWithFlip(Path.GetFileName(path), bit, new Random(seed)), bit);
                },
                iter: 100,
                threads: 1);
        }
    }

    [Fact]
    public void Generating_a_large_database_streams_with_flat_memory()
    {
        using var temp = new TempDirectory();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { DatabaseSize = 96L << 20, LogGenerations = 1 });
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(96L << 20, new FileInfo(set.Databases[0].Path).Length);
        Assert.True(allocated < 8 << 20, $"allocated {allocated} bytes for a 96 MiB database");
    }

    [Fact]
    public void Bad_options_are_rejected()
    {
        using var temp = new TempDirectory();
        Assert.Throws<ArgumentException>(() => SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { PageSize = 12288 }));
        Assert.Throws<ArgumentException>(() => SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { BaseName = "toolong" }));
        Assert.Throws<ArgumentException>(() => SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { LogFileSize = 5000 }));
        Assert.Throws<InvalidOperationException>(() => SyntheticEseSet.AppendLogs(temp.Path, 1));
    }

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
}
