using CsCheck;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Sources.FileSet;

namespace EseBackupPlugin.Ese.Tests.Sources.FileSet;

/// <summary>The rules that decide what a file-set backup copies, checked over many generated sets.</summary>
public class FileSetPlannerTests
{
    private const string Signature = "sig-A";
    private static readonly string Dir = Path.Combine(Path.GetTempPath(), "set");

    private static ProbedFile Log(long gen, bool current = false) =>
        new(Path.Combine(Dir, current ? "edb.log" : $"edb{gen:X5}.log"), ProbedKind.Log, 65536)
        { Generation = gen, LogSignature = Signature, BaseName = "edb", IsCurrentLog = current };

    private static ProbedFile Db(string name, bool dirty, long low = 0, long high = 0) =>
        new(Path.Combine(Dir, name), ProbedKind.Database, 1 << 20)
        {
            LogSignature = Signature,
            NeedsLogs = dirty,
            State = dirty ? "DirtyShutdown" : "CleanShutdown",
            RequiredRange = dirty ? new GenerationRange(low, high) : null,
        };

    private static FileSetGroup Group(long oldest, long newest, long? checkpoint, IReadOnlyList<ProbedFile> dbs, bool circular = false, long? hole = null)
    {
        var logs = new List<ProbedFile>();
        for (var g = oldest; g <= newest; g++)
        {
            if (g != hole)
            {
                logs.Add(Log(g, current: g == newest) with { CircularLogging = circular });
            }
        }

        var chk = checkpoint is null ? null : new ProbedFile(Path.Combine(Dir, "edb.chk"), ProbedKind.Checkpoint, 8192) { Generation = checkpoint, LogSignature = Signature, BaseName = "edb" };
        return new FileSetGroup(Signature, Dir, dbs, logs, chk);
    }

    private static CatalogEntry Completed(BackupKind kind, long low, long high, bool lastWasCurrent = true, string signature = Signature)
    {
        var files = new List<ManifestFile>();
        for (var g = low; g <= high; g++)
        {
            files.Add(new ManifestFile($"edb{g:X5}.log", FileRole.Log, 1, new string('0', 64)) { Log = new LogFacts(g) { WasCurrentLog = lastWasCurrent && g == high } });
        }

        var m = new BackupManifest
        {
            SetId = $"set-{low}-{high}",
            Target = new TargetIdentity("fs-x", TargetKind.FileSet, "x") { LogSignature = signature },
            Kind = kind,
            StartedAt = DateTimeOffset.UnixEpoch,
            FinishedAt = DateTimeOffset.UnixEpoch,
            Chain = new ChainInfo("full", null, 0),
            Producer = new ProducerInfo("p", "1", "1.0", "file-set", "m"),
            Files = files,
            LogRange = new GenerationRange(low, high),
            Truncation = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin),
            Verification = new VerificationSummary(0, 0, 0, 0, 0),
        };
        return new CatalogEntry(m, CatalogSetState.Completed, DateTimeOffset.UnixEpoch);
    }

    private static readonly Gen<(long Oldest, long Newest, long Checkpoint, long DirtyLow)> GenSet =
        from oldest in Gen.Long[1, 1000]
        from count in Gen.Long[1, 40]
        from cpOffset in Gen.Long[0, 39]
        from dirtyOffset in Gen.Long[0, 39]
        let newest = oldest + count - 1
        select (oldest, newest, Math.Min(newest, oldest + cpOffset), Math.Min(newest, oldest + dirtyOffset));

    [Fact]
    public void Full_takes_databases_and_every_log_from_the_lowest_needed_to_the_newest()
    {
        GenSet.Sample(s =>
        {
            var group = Group(s.Oldest, s.Newest, s.Checkpoint, [Db("a.edb", dirty: true, s.DirtyLow, s.Newest), Db("b.edb", dirty: false)]);
            var plan = FileSetPlanner.Plan(group, BackupKind.Full, [], "t");
            var logs = plan.Files.Where(f => f.Role == FileRole.Log).Select(f => f.Generation!.Value).ToList();
            var expectedLow = Math.Min(s.Checkpoint, s.DirtyLow);
            return plan.Error is null
                && plan.Files.Count(f => f.Role == FileRole.Database) == 2
                && plan.Files.Count(f => f.Role == FileRole.Checkpoint) == 1
                && logs.SequenceEqual(Enumerable.Range(0, (int)(s.Newest - expectedLow + 1)).Select(i => expectedLow + i))
                && plan.LogRange == new GenerationRange(expectedLow, s.Newest)
                && plan.Files.Single(f => f.Generation == s.Newest && f.Role == FileRole.Log).IsCurrentLog;
        });
    }

    [Fact]
    public void Copy_plans_exactly_like_full()
    {
        GenSet.Sample(s =>
        {
            var group = Group(s.Oldest, s.Newest, s.Checkpoint, [Db("a.edb", dirty: true, s.DirtyLow, s.Newest)]);
            var full = FileSetPlanner.Plan(group, BackupKind.Full, [], "t");
            var copy = FileSetPlanner.Plan(group, BackupKind.Copy, [], "t");
            return full.Files.SequenceEqual(copy.Files) && full.LogRange == copy.LogRange;
        });
    }

    [Fact]
    public void Incremental_takes_the_chains_last_generation_again_and_everything_newer_but_no_database()
    {
        Gen.Select(GenSet, Gen.Long[0, 39]).Sample((s, lastOffset) =>
        {
            var lastHigh = Math.Min(s.Newest, s.Oldest + lastOffset);
            var group = Group(s.Oldest, s.Newest, s.Checkpoint, [Db("a.edb", dirty: false)]);
            var chain = new[] { Completed(BackupKind.Full, s.Oldest, lastHigh) };
            var plan = FileSetPlanner.Plan(group, BackupKind.Incremental, chain, "t");
            var logs = plan.Files.Where(f => f.Role == FileRole.Log).ToList();
            return plan.Error is null
                && plan.Files.All(f => f.Role != FileRole.Database)
                && logs.Select(f => f.Generation!.Value).SequenceEqual(Enumerable.Range(0, (int)(s.Newest - lastHigh + 1)).Select(i => lastHigh + i))
                && logs[0].ReplacesCopyInSetId == chain[0].Manifest.SetId
                && logs.Skip(1).All(f => f.ReplacesCopyInSetId is null);
        });
    }

    [Fact]
    public void Incremental_with_a_gap_after_the_chain_needs_a_new_full()
    {
        var group = Group(10, 20, 15, [Db("a.edb", dirty: false)]); // generations 10-20 on disk
        var chain = new[] { Completed(BackupKind.Full, 3, 7) };      // the chain ends at 7: 8 and 9 are gone
        var plan = FileSetPlanner.Plan(group, BackupKind.Incremental, chain, "t");
        Assert.Equal(ErrorCodes.NewFullBackupRequired, plan.Error?.Code);
        Assert.Contains("new full backup", plan.Error!.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(7, plan.Error.Generation);
    }

    [Fact]
    public void Incremental_with_a_hole_in_the_new_logs_needs_a_new_full()
    {
        var group = Group(5, 12, 8, [Db("a.edb", dirty: false)], hole: 10);
        var plan = FileSetPlanner.Plan(group, BackupKind.Incremental, [Completed(BackupKind.Full, 5, 8)], "t");
        Assert.Equal(ErrorCodes.NewFullBackupRequired, plan.Error?.Code);
        Assert.Equal(10, plan.Error!.Generation);
    }

    [Fact]
    public void Incremental_after_the_log_stream_was_reset_needs_a_new_full()
    {
        var group = Group(1, 4, 2, [Db("a.edb", dirty: false)]);
        var plan = FileSetPlanner.Plan(group, BackupKind.Incremental, [Completed(BackupKind.Full, 1, 2, signature: "sig-OLD")], "t");
        Assert.Equal(ErrorCodes.NewFullBackupRequired, plan.Error?.Code);
        Assert.Contains("log stream", plan.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Incremental_is_refused_with_circular_logging_or_without_a_full()
    {
        var circular = Group(1, 4, 2, [Db("a.edb", dirty: false)], circular: true);
        Assert.Equal(ErrorCodes.InvalidBackup, FileSetPlanner.Plan(circular, BackupKind.Incremental, [Completed(BackupKind.Full, 1, 2)], "t").Error?.Code);
        var normal = Group(1, 4, 2, [Db("a.edb", dirty: false)]);
        Assert.Equal(ErrorCodes.MissingFullBackup, FileSetPlanner.Plan(normal, BackupKind.Incremental, [], "t").Error?.Code);
    }

    [Fact]
    public void Full_of_a_dirty_database_whose_required_logs_are_missing_fails_naming_the_generation()
    {
        var group = Group(10, 14, 12, [Db("a.edb", dirty: true, low: 12, high: 14)], hole: 13);
        var plan = FileSetPlanner.Plan(group, BackupKind.Full, [], "t");
        Assert.Equal(ErrorCodes.RequiredLogFilesMissing, plan.Error?.Code);
        Assert.Equal(13, plan.Error!.Generation);
    }

    [Fact]
    public void Databases_below_the_log_directory_keep_their_relative_path_and_others_get_unique_names()
    {
        var inSub = Db("sub/x.edb", dirty: false) with { Path = Path.Combine(Dir, "sub", "x.edb") };
        var outside1 = Db("x", dirty: false) with { Path = Path.Combine(Path.GetTempPath(), "elsewhere1", "same.edb") };
        var outside2 = Db("y", dirty: false) with { Path = Path.Combine(Path.GetTempPath(), "elsewhere2", "same.edb") };
        var plan = FileSetPlanner.Plan(Group(1, 2, 1, [inSub, outside1, outside2]), BackupKind.Full, [], "t");
        var paths = plan.Files.Where(f => f.Role == FileRole.Database).Select(f => f.SetPath).ToList();
        Assert.Contains("sub/x.edb", paths);
        Assert.Contains("databases/same.edb", paths);
        Assert.Contains("databases/2-same.edb", paths);
    }
}
