using System.Buffers.Binary;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Engine;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Sources.FileSet;

/// <summary>
/// Issue 16, cases 1, 2, 3 and 7, each on a real Windows-written file set copied to a temp directory and damaged there:
/// a full backup must never "succeed" without what it is a backup of, and must never drop a file or a finding in silence.
/// </summary>
public sealed class RefuseNeverOmitTests
{
    private const string Win10 = "srum-win10-clean-with-logs";

    // ---- case 1: a database damaged beyond recognition ---------------------------------------------------------

    public static TheoryData<string> Destructions => ["emptied", "header pages zeroed", "random bytes"];

    [Theory]
    [MemberData(nameof(Destructions))]
    public async Task Case1_a_database_its_own_bytes_no_longer_identify_fails_the_full_naming_it(string how)
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, Win10);
        var db = Path.Combine(source, "SRUDB.dat");
        Destroy(db, how);

        var result = await BackupAsync(temp, source, BackupKind.Full);

        AssertRefused(result, ErrorCodes.ReadVerifyFailure, db);
        Assert.Contains("SRU.log", result.Error!.Message, StringComparison.Ordinal); // the witness: its attach list
        Assert.Contains(how == "emptied" ? "empty" : "no readable database header", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Case1_the_flush_map_beside_a_database_is_a_witness_when_no_log_names_it()
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, Win10);
        var db = Path.Combine(source, "SRUDB.dat");
        Destroy(db, "random bytes");
        foreach (var log in Directory.GetFiles(source, "SRU*.log").Concat(Directory.GetFiles(source, "*.chk")))
        {
            ClearAttachList(log); // no header names the database any more (checksums re-sealed)
        }

        var result = await BackupAsync(temp, source, BackupKind.Full);

        AssertRefused(result, ErrorCodes.ReadVerifyFailure, db);
        Assert.Contains("SRUDB.jfm", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Case1_a_database_swapped_with_its_flush_map_is_refused_not_stored_under_the_flush_map_name()
    {
        // Found by the whole-set property: the database's bytes under SRUDB.jfm, the flush map's under SRUDB.dat, and the
        // current log (whose header lists the database) emptied.
        using var temp = new TempDirectory();
        var source = Copy(temp, "srum-server2022-first-generations");
        var db = Path.Combine(source, "SRUDB.dat");
        var map = Path.Combine(source, "SRUDB.jfm");
        var bytes = File.ReadAllBytes(db);
        File.Copy(map, db, overwrite: true);
        File.WriteAllBytes(map, bytes);
        File.WriteAllBytes(Path.Combine(source, "SRU.log"), []);

        var result = await BackupAsync(temp, source, BackupKind.Full);

        Assert.False(result.Succeeded, "stored: " + string.Join(", ", result.Manifest?.Files.Select(f => f.Path) ?? []));
        Assert.Equal(db, result.Error!.File);
    }

    [Fact]
    public async Task Case1_one_of_two_databases_in_sub_folders_is_named_by_its_folder_too()
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, "catroot2-winxp-with-logs");
        var damaged = Path.Combine(source, "{F750E6C3-38EE-11D1-85E5-00C04FC295EE}", "catdb");
        Destroy(damaged, "header pages zeroed");

        var result = await BackupAsync(temp, source, BackupKind.Full);

        AssertRefused(result, ErrorCodes.ReadVerifyFailure, damaged);
        Assert.Contains(@"{F750E6C3-38EE-11D1-85E5-00C04FC295EE}\catdb", result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Case1_the_chain_remembers_a_database_outside_the_log_folder_and_a_later_full_refuses_it_damaged_or_gone()
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, Win10);
        var elsewhere = temp.Combine("databases", "SRUDB.dat");
        Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
        File.Move(Path.Combine(source, "SRUDB.dat"), elsewhere);
        File.Move(Path.Combine(source, "SRUDB.jfm"), Path.ChangeExtension(elsewhere, ".jfm"));
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(temp.Path);
        var first = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [temp.Path] });
        Assert.True(first.Succeeded, first.Error?.ToString());
        Assert.Null((await h.Plugin.CompleteBackupAsync(new CompletionRequest(first.Manifest!, Succeeded: true))).Error);
        var staged = h.StagingEntries();

        // The host now searches only the log folder: the chain is the only witness of the database.
        Destroy(elsewhere, "header pages zeroed");
        var damaged = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] });
        AssertRefused(damaged, ErrorCodes.ReadVerifyFailure, elsewhere);
        Assert.Contains("set " + first.Manifest!.SetId, damaged.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(staged, h.StagingEntries());

        File.Delete(elsewhere);
        var gone = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] });
        Assert.False(gone.Succeeded);
        Assert.Equal(ErrorCodes.MissingFileToBackup, gone.Error!.Code);
        Assert.Equal(elsewhere, gone.Error.File);
        Assert.Equal(staged, h.StagingEntries());
    }

    [Fact]
    public async Task Case1_a_full_with_no_database_at_all_is_refused_never_stored()
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, Win10);
        File.Delete(Path.Combine(source, "SRUDB.dat"));
        File.Delete(Path.Combine(source, "SRUDB.jfm"));

        foreach (var kind in new[] { BackupKind.Full, BackupKind.Copy })
        {
            var result = await BackupAsync(temp, source, kind);
            AssertRefused(result, ErrorCodes.NoDatabasesToBackup, source);
        }
    }

    [Fact]
    public async Task Case1_a_database_the_chain_had_and_the_plan_lacks_fails_the_full()
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, "catroot2-winxp-with-logs");
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);
        await h.BackupAndCompleteAsync(target, BackupKind.Full);
        var staged = h.StagingEntries();

        Directory.Delete(Path.Combine(source, "{127D0A1D-4EF2-11D1-8608-00C04FC295EE}"), recursive: true);
        var again = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] });

        Assert.False(again.Succeeded);
        Assert.Equal(ErrorCodes.MissingFileToBackup, again.Error!.Code);
        Assert.Contains("{127D0A1D-4EF2-11D1-8608-00C04FC295EE}", again.Error.File, StringComparison.Ordinal);
        Assert.Equal(staged, h.StagingEntries());
    }

    // ---- case 2: one absurd generation ------------------------------------------------------------------------

    public static TheoryData<string, long> AbsurdGenerations => new()
    {
        { "SRU.log", int.MaxValue },
        { "SRU.log", int.MinValue },
        { "SRU00019.log", int.MinValue },
        { "SRU00019.log", int.MaxValue },
        { "SRU.chk", int.MaxValue },
        { "SRU.chk", int.MinValue },
    };

    [Theory]
    [MemberData(nameof(AbsurdGenerations))]
    public async Task Case2_an_absurd_generation_in_a_sealed_header_is_a_finding_on_that_file_not_an_out_of_memory(string file, long generation)
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, Win10);
        var path = Path.Combine(source, file);
        SetGeneration(path, (int)generation);

        // Discovery describes the set without materialising its generation range.
        await using (var h = new EngineHarness(temp))
        {
            var target = await h.TargetAsync(source);
            Assert.True(target.Logs!.Missing.Count <= 2, string.Join(", ", target.Logs.Missing));
        }

        var result = await BackupAsync(temp, source, BackupKind.Full);

        AssertRefused(result, file.EndsWith(".chk", StringComparison.Ordinal) ? result.Error!.Code : ErrorCodes.LogGenerationMismatch, path);
        Assert.Contains(generation.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Case2_missing_ranges_are_counted_between_neighbours_not_enumerated()
    {
        var dir = Path.Combine(Path.GetTempPath(), "set");
        ProbedFile Log(long g, bool current = false) => new(Path.Combine(dir, current ? "edb.log" : $"edb{g:X8}.log"), ProbedKind.Log, 1) { Generation = g, LogSignature = "s", BaseName = "edb", IsCurrentLog = current };
        var group = new FileSetGroup("s", dir, [], [Log(1), Log(2), Log(int.MaxValue, current: true)], null);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var missing = group.MissingRanges;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal([new GenerationRange(3, int.MaxValue - 1)], missing);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated");
    }

    // ---- case 3: a duplicate or impossible generation on the current log ----------------------------------------

    public static TheoryData<string, int, string> ClaimedGenerations => new()
    {
        { Win10, 25, "SRU00019.log" },
        { Win10, 31, "SRU0001F.log" },
        { Win10, 0, "SRU0001F.log" },
        { Win10, 1, "SRU0001F.log" },
        { Win10, -1, "SRU0001F.log" },
        { "srum-server2022-first-generations", 1, "SRU00001.log" },
    };

    [Theory]
    [MemberData(nameof(ClaimedGenerations))]
    public async Task Case3_a_current_log_claiming_a_taken_or_impossible_generation_fails_the_plan_naming_both_files(string set, int claimed, string other)
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, set);
        SetGeneration(Path.Combine(source, "SRU.log"), claimed);

        foreach (var kind in new[] { BackupKind.Full, BackupKind.Copy })
        {
            var result = await BackupAsync(temp, source, kind);

            Assert.False(result.Succeeded, $"{kind} with SRU.log claiming {claimed} succeeded");
            Assert.Equal(ErrorCodes.LogGenerationMismatch, result.Error!.Code);
            Assert.Contains(Path.Combine(source, "SRU.log"), result.Error.Message, StringComparison.Ordinal);
            Assert.Contains(Path.Combine(source, other), result.Error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Case3_the_planner_checks_generations_for_every_kind_incremental_included()
    {
        // Every real log set in the test data logs circularly (no incremental possible), so the planner is asked directly.
        var dir = Path.Combine(Path.GetTempPath(), "set");
        ProbedFile Log(long g, bool current = false) => new(Path.Combine(dir, current ? "edb.log" : $"edb{g:X5}.log"), ProbedKind.Log, 1) { Generation = g, NameGeneration = current ? null : g, LogSignature = "s", BaseName = "edb", IsCurrentLog = current };
        var db = new ProbedFile(Path.Combine(dir, "x.edb"), ProbedKind.Database, 1) { LogSignature = "s", DatabaseSignature = "d" };
        var group = new FileSetGroup("s", dir, [db], [Log(5), Log(6), Log(6, current: true)], null);

        foreach (var kind in new[] { BackupKind.Full, BackupKind.Incremental, BackupKind.Copy })
        {
            var plan = FileSetPlanner.Plan(group, kind, [], "fs-x");
            Assert.Equal(ErrorCodes.LogGenerationMismatch, plan.Error?.Code);
            Assert.Contains("edb00006.log", plan.Error!.Message, StringComparison.Ordinal);
            Assert.Contains("edb.log", plan.Error.Message, StringComparison.Ordinal);
            Assert.Empty(plan.Files);
        }
    }

    // ---- case 7: verifier findings reach the manifest ---------------------------------------------------------

    [Fact]
    public async Task Case7_extra_bytes_after_a_checkpoint_and_a_log_are_findings_in_the_manifest()
    {
        using var temp = new TempDirectory();
        var source = Copy(temp, Win10);
        byte[] junk = [.. Enumerable.Range(0, 100).Select(i => (byte)(i * 7 + 1))];
        File.AppendAllBytes(Path.Combine(source, "SRU.chk"), junk);
        File.AppendAllBytes(Path.Combine(source, "SRU.log"), junk);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);

        var (backup, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);

        var manifest = backup.Manifest!;
        var chk = Assert.Single(manifest.Files, f => f.Role == FileRole.Checkpoint);
        var log = Assert.Single(manifest.Files, f => f.Log?.WasCurrentLog == true);
        Assert.Equal(8292, Assert.Single(chk.Findings, f => f.Code == FindingCodes.ExtraBytes).Offset + 100);
        Assert.Contains(log.Findings, f => f.Code == FindingCodes.ExtraBytes && f.File == Path.Combine(source, "SRU.log"));
        Assert.Equal(manifest.Files.Sum(f => f.Findings.Count), manifest.Verification.Findings);

        // And the stored document says so too (the manifest on disk is the record a restore trusts).
        var onDisk = Abstractions.Json.ManifestJson.Deserialize(File.ReadAllBytes(Path.Combine(backup.SetDirectory!, BackupManifest.FileName)), "manifest");
        Assert.Equal(2, onDisk.Files.Sum(f => f.Findings.Count(x => x.Code == FindingCodes.ExtraBytes)));
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    internal static string Copy(TempDirectory temp, string set)
    {
        var to = temp.Combine("source-" + set);
        EngineHarness.CopyTree(TestData.Ese(set), to);
        return to;
    }

    private static async Task<BackupResult> BackupAsync(TempDirectory temp, string source, BackupKind kind)
    {
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);
        var result = await h.BackupAsync(target, kind);
        Assert.Empty(h.StagingEntries()); // nothing appears in staging on failure (and a refused full is a failure)
        return result;
    }

    private static void AssertRefused(BackupResult result, ErrorCode code, string file)
    {
        Assert.False(result.Succeeded, "the backup succeeded: " + string.Join(", ", result.Manifest?.Files.Select(f => f.Path) ?? []));
        Assert.Null(result.Manifest);
        Assert.Equal(code, result.Error!.Code);
        Assert.Equal(file, result.Error.File);
        Assert.Contains(file, result.Error.Message, StringComparison.Ordinal);
    }

    internal static void Destroy(string path, string how)
    {
        var length = new FileInfo(path).Length;
        switch (how)
        {
            case "emptied":
                File.WriteAllBytes(path, []);
                break;
            case "header pages zeroed":
                using (var s = new FileStream(path, FileMode.Open, FileAccess.Write))
                {
                    // Both header copies, whatever the page size (up to 32 KiB pages: 64 KiB).
                    s.Write(new byte[Math.Min(length, 64 * 1024)]);
                }

                break;
            default:
                var bytes = new byte[length];
                new Random(16).NextBytes(bytes);
                File.WriteAllBytes(path, bytes);
                break;
        }
    }

    /// <summary>Rewrites a log's (offset 4) or checkpoint's (checkpoint position, offset 16: both copies) generation and re-seals the checksums.</summary>
    internal static void SetGeneration(string path, int generation)
    {
        var bytes = File.ReadAllBytes(path);
        if (path.EndsWith(".chk", StringComparison.OrdinalIgnoreCase))
        {
            foreach (var copy in new[] { 0, 4096 })
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(copy + CheckpointGenerationOffset), generation);
                XorChecksum.Stamp(bytes.AsSpan(copy, 4096));
            }
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), generation);
            XorChecksum.Stamp(bytes.AsSpan(0, 4096));
        }

        File.WriteAllBytes(path, bytes);
    }

    private const int CheckpointGenerationOffset = 16;

    /// <summary>Zeroes the attach list of a log (offset 671) or checkpoint (679) header and re-seals it.</summary>
    private static void ClearAttachList(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (!XorChecksum.IsValid(bytes.AsSpan(0, 4096)))
        {
            return;
        }

        var offsets = path.EndsWith(".chk", StringComparison.OrdinalIgnoreCase) ? new[] { 0, 4096 } : [0];
        foreach (var copy in offsets)
        {
            var at = copy + (path.EndsWith(".chk", StringComparison.OrdinalIgnoreCase) ? 679 : 671);
            bytes.AsSpan(at, AttachInfo.ListAreaSize).Clear();
            XorChecksum.Stamp(bytes.AsSpan(copy, 4096));
        }

        File.WriteAllBytes(path, bytes);
    }
}
