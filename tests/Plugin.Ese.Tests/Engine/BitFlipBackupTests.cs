using CsCheck;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Guarantees 2 and 3 (DESIGN §4): one flipped bit anywhere in a used database page or in a log the backup copies
/// fails the backup with ReadVerifyFailure / LogReadVerifyFailure naming file and page (or generation and offset);
/// nothing appears in staging (no set, no partial directory) and no log is touched.
/// </summary>
public class BitFlipBackupTests
{
    /// <summary>One checksummed unit of a source file: a database page, the log header or a written log segment.</summary>
    private sealed record Unit(string Path, long Start, int Length, bool IsLog, long Number)
    {
        public override string ToString() => $"{System.IO.Path.GetFileName(Path)}@{Start}+{Length} ({(IsLog ? "generation" : "page")} {Number})";
    }

    [Fact]
    public async Task A_flipped_bit_in_a_used_page_or_copied_log_fails_a_full_backup_naming_where()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions
        {
            PageSize = 8192,
            DatabaseCount = 2,
            DatabasePages = 48,
            DatabaseState = SyntheticDatabaseState.Dirty,
            LogGenerations = 4,
            Seed = 77,
        });
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);
        var reference = await h.BackupAsync(target, BackupKind.Copy);
        Assert.True(reference.Succeeded, reference.Error?.ToString());
        var units = UnitsOf(reference.Manifest!.Files, databases: true);
        await h.Plugin.CompleteBackupAsync(new(reference.Manifest, Succeeded: false));
        Directory.Delete(reference.SetDirectory!, recursive: true);
        Assert.Contains(units, u => !u.IsLog);
        Assert.Contains(units, u => u.IsLog);

        await FlipAndExpectFailureAsync(h, target, BackupKind.Full, source, units, iterations: 150);
    }

    [Fact]
    public async Task A_flipped_bit_in_a_log_an_incremental_copies_fails_the_incremental()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 4096, DatabasePages = 16, LogGenerations = 3, Seed = 78 });
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);
        await h.BackupAndCompleteAsync(target, BackupKind.Full);
        SyntheticEseSet.AppendLogs(source, 4);

        var chain = await h.Catalog.GetChainAsync(target.Id);
        var fromGeneration = chain[^1].Manifest.LogRange!.High;
        var logs = new List<ManifestFile>();
        foreach (var path in Directory.EnumerateFiles(source, "*.log"))
        {
            var header = LogFileHeader.Read(File.ReadAllBytes(path).AsSpan(0, LogFileHeader.Size));
            if (header.Generation >= fromGeneration)
            {
                logs.Add(new ManifestFile(Path.GetFileName(path), FileRole.Log, 0, new string('0', 64)) { SourcePath = path, Log = new LogFacts(header.Generation) });
            }
        }

        var units = UnitsOf(logs, databases: false);
        Assert.Equal(5, units.Select(u => u.Path).Distinct().Count());

        await FlipAndExpectFailureAsync(h, target, BackupKind.Incremental, source, units, iterations: 80);
    }

    private static async Task FlipAndExpectFailureAsync(EngineHarness h, BackupTarget target, BackupKind kind, string source, IReadOnlyList<Unit> units, int iterations)
    {
        var before = EngineHarness.HashTree(source);
        var staged = h.StagingEntries();
        await Gen.Select(Gen.Int[0, units.Count - 1], Gen.Int[0, int.MaxValue]).SampleAsync(
            async (index, r) =>
            {
                var unit = units[index];
                var bit = r % (unit.Length * 8);
                var offset = unit.Start + (bit / 8);
                Flip(unit.Path, offset, bit % 8);
                try
                {
                    var result = await h.BackupAsync(target, kind);
                    var what = $"{unit}, byte {offset} bit {bit % 8}";
                    Assert.False(result.Succeeded, $"backup succeeded with a flipped bit in {what}");
                    var error = result.Error!;
                    Assert.True(error.File == unit.Path, $"{what}: error names {error.File}: {error}");
                    Assert.Contains(unit.Path, error.Message, StringComparison.Ordinal);
                    if (unit.IsLog)
                    {
                        Assert.True(error.Code == ErrorCodes.LogReadVerifyFailure, $"{what}: {error}");
                        Assert.True(error.Generation == unit.Number, $"{what}: generation {error.Generation}: {error}");
                        Assert.True(error.Offset is { } o && o >= unit.Start && o < unit.Start + unit.Length, $"{what}: offset {error.Offset}: {error}");
                    }
                    else if (unit.Number < 0)
                    {
                        // A header copy (primary at 0, shadow one page later): named by its offset.
                        Assert.True(error.Code == ErrorCodes.ReadVerifyFailure, $"{what}: {error}");
                        Assert.True(error.Offset == unit.Start, $"{what}: offset {error.Offset}: {error}");
                    }
                    else
                    {
                        Assert.True(error.Code == ErrorCodes.ReadVerifyFailure, $"{what}: {error}");
                        Assert.True(error.Page == unit.Number, $"{what}: page {error.Page}: {error}");
                        Assert.Contains($"page {unit.Number}", error.Message, StringComparison.Ordinal);
                    }

                    Assert.True(staged.SequenceEqual(h.StagingEntries()), $"{what}: staging holds {string.Join(", ", h.StagingEntries())}");
                }
                finally
                {
                    Flip(unit.Path, offset, bit % 8);
                }

                // Nothing was truncated or changed (the flipped file is back to its bytes).
                Assert.Equal(before, EngineHarness.HashTree(source));
            },
            iter: iterations,
            threads: 1);
    }

    /// <summary>
    /// The used units of every database (both header copies' checksummed 4 KiB, data pages that are not all zero) and
    /// log (header and written segments) of the given files.
    /// </summary>
    private static List<Unit> UnitsOf(IEnumerable<ManifestFile> files, bool databases)
    {
        var units = new List<Unit>();
        foreach (var f in files)
        {
            var path = f.SourcePath!;
            var bytes = File.ReadAllBytes(path);
            if (f.Role == FileRole.Database && databases)
            {
                var pageSize = f.Database!.PageSize;
                units.Add(new Unit(path, 0, 4096, false, -1));
                units.Add(new Unit(path, pageSize, 4096, false, -1));
                for (long start = 2L * pageSize; start < bytes.Length; start += pageSize)
                {
                    if (bytes.AsSpan((int)start, pageSize).ContainsAnyExcept((byte)0))
                    {
                        units.Add(new Unit(path, start, pageSize, false, (start / pageSize) - 1));
                    }
                }
            }
            else if (f.Role == FileRole.Log)
            {
                const int Segment = LogSegmentHeader.SegmentSize;
                for (long start = 0; start < bytes.Length; start += Segment)
                {
                    if (bytes.AsSpan((int)start, Segment).ContainsAnyExcept((byte)0))
                    {
                        units.Add(new Unit(path, start, Segment, true, f.Log!.Generation));
                    }
                }
            }
        }

        return units;
    }

    private static void Flip(string path, long offset, int bit)
    {
        using var s = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        s.Position = offset;
        var b = s.ReadByte();
        s.Position = offset;
        s.WriteByte((byte)(b ^ (1 << bit)));
    }
}
