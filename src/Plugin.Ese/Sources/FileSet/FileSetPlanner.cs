using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>One file a file-set backup will copy.</summary>
/// <param name="SourcePath">Where it is.</param>
/// <param name="SetPath">Where it goes in the set (relative, <c>/</c> separators).</param>
/// <param name="Role">Database, log or checkpoint.</param>
/// <param name="Length">Size when planned.</param>
/// <param name="Generation">Log generation.</param>
/// <param name="IsCurrentLog">The current log (<c>&lt;base&gt;.log</c>).</param>
/// <param name="ReplacesCopyInSetId">The earlier set whose partial copy of this generation this one supersedes.</param>
internal sealed record PlannedFile(string SourcePath, string SetPath, FileRole Role, long Length, long? Generation, bool IsCurrentLog, string? ReplacesCopyInSetId);

/// <summary>What a file-set backup copies, or why it cannot run.</summary>
internal sealed record FileSetPlan(IReadOnlyList<PlannedFile> Files, GenerationRange? LogRange, PluginError? Error)
{
    public static FileSetPlan Empty { get; } = new([], null, null);

    public static FileSetPlan Failed(PluginError error) => new([], null, error);
}

/// <summary>
/// Decides which files a file-set backup takes. Pure: the same group, kind and chain always give the same
/// plan, so the rules are tested directly (and by property tests).
/// <list type="bullet">
/// <item>Full and copy: every database, the logs from the lowest generation still needed (checkpoint, and
/// each dirty database's genMinRequired) to the newest, and the checkpoint.</item>
/// <item>Incremental: the logs from the chain's highest generation (again: it was the current log then and
/// may have grown, so this copy is its final version) to the newest, and the checkpoint.</item>
/// </list>
/// </summary>
internal static class FileSetPlanner
{
    /// <param name="group">The set as scanned now.</param>
    /// <param name="kind">Full, incremental or copy.</param>
    /// <param name="chain">The chain a full replaces or an incremental continues.</param>
    /// <param name="targetId">For errors.</param>
    /// <param name="listedDatabases">Databases the target was listed with: witnesses of where its databases are.</param>
    public static FileSetPlan Plan(FileSetGroup group, BackupKind kind, IReadOnlyList<CatalogEntry> chain, string targetId, IEnumerable<string>? listedDatabases = null)
    {
        if (RefuseBeforePlanning(group, kind, chain, targetId, listedDatabases ?? []) is { } refused)
        {
            return FileSetPlan.Failed(refused);
        }

        var byGen = group.ByGeneration;
        var start = kind == BackupKind.Incremental ? IncrementalStart(group, byGen, chain, targetId) : FullStart(group, byGen, targetId);
        if (start.Error is { } startError)
        {
            return FileSetPlan.Failed(startError);
        }

        var files = new List<PlannedFile>();
        if (kind != BackupKind.Incremental && PlanDatabases(group, kind, chain, targetId, files) is { } databaseError)
        {
            return FileSetPlan.Failed(databaseError);
        }

        GenerationRange? range = null;
        if (start.Low is { } low && group.NewestGeneration is { } high)
        {
            if (PlanLogs(group, byGen, kind, start, high, targetId, files) is { } logError)
            {
                return FileSetPlan.Failed(logError);
            }

            range = new GenerationRange(low, high);
        }

        if (group.Checkpoint is { } chk)
        {
            files.Add(new PlannedFile(chk.Path, Path.GetFileName(chk.Path), FileRole.Checkpoint, chk.Length, chk.Generation, false, null));
        }

        return new FileSetPlan(files, range, null);
    }

    /// <summary>The checks every kind makes before anything is planned.</summary>
    private static PluginError? RefuseBeforePlanning(FileSetGroup group, BackupKind kind, IReadOnlyList<CatalogEntry> chain, string targetId, IEnumerable<string> listedDatabases)
    {
        // Generations first, for every kind: a plan built on an absurd or duplicated header would drop a log or explode.
        if (GenerationChecks.Validate(group, targetId) is { } generationError)
        {
            return generationError;
        }

        if (kind != BackupKind.Incremental && DatabaseWitnesses.FindDamaged(group, listedDatabases, chain, targetId) is { } damaged)
        {
            return damaged;
        }

        // A listed database that is no longer part of the set (moved, replaced by another stream's) would silently drop out
        // of a full backup: fail instead, naming it.
        var gone = listedDatabases.Select(Path.GetFullPath).Except(group.Databases.Select(d => d.Path), StringComparer.Ordinal).FirstOrDefault();
        return gone is null
            ? null
            : new PluginError(ErrorCodes.MissingFileToBackup, $"Database '{gone}' of this target is gone or no longer belongs to its log stream; discover the target again.") { TargetId = targetId, File = gone };
    }

    /// <summary>
    /// Where an incremental's logs start: at the chain's newest generation, which was the current log then and may have
    /// grown (this copy replaces that set's partial one).
    /// </summary>
    private static LogStart IncrementalStart(FileSetGroup group, IReadOnlyDictionary<long, ProbedFile> byGen, IReadOnlyList<CatalogEntry> chain, string targetId)
    {
        if (group.CircularLogging)
        {
            return LogStart.Refused(new PluginError(ErrorCodes.InvalidBackup, $"Circular logging is on for '{group.Location}': logs are reused, so an incremental backup is impossible.") { TargetId = targetId });
        }

        if (chain.Count == 0)
        {
            return LogStart.Refused(new PluginError(ErrorCodes.MissingFullBackup, $"An incremental backup of '{group.Location}' needs a completed full backup first.") { TargetId = targetId });
        }

        var last = chain[^1].Manifest;
        if (chain[0].Manifest.Target.LogSignature is { } chainSignature && chainSignature != group.LogSignature)
        {
            return LogStart.Refused(new PluginError(ErrorCodes.NewFullBackupRequired, $"The log stream of '{group.Location}' changed (signature {group.LogSignature}, the chain has {chainSignature}): the logs were reset. A new full backup is needed.") { TargetId = targetId, Details = new Dictionary<string, string> { ["eseName"] = "JET_errBadLogSignature" } });
        }

        if (last.LogRange is not { } lastRange)
        {
            return LogStart.Refused(new PluginError(ErrorCodes.NewFullBackupRequired, $"The chain's last set {last.SetId} holds no logs to continue from. A new full backup is needed.") { TargetId = targetId });
        }

        var low = lastRange.High;
        var high = group.NewestGeneration;
        if (!byGen.ContainsKey(low) || high is null || high < low)
        {
            var oldest = group.OldestGeneration;
            return LogStart.Refused(new PluginError(ErrorCodes.NewFullBackupRequired,
                $"Log generation {low} (the newest in set {last.SetId}) is no longer in '{group.Location}'{(oldest is null ? string.Empty : $" (oldest present: {oldest})")}: the chain cannot continue without a gap. A new full backup is needed.")
            { TargetId = targetId, Generation = low });
        }

        var lastCopy = last.Files.FirstOrDefault(f => f.Log?.Generation == low);
        return lastCopy?.Log?.WasCurrentLog == true ? new LogStart(low, last.SetId, low, null) : new LogStart(low, null, null, null);
    }

    /// <summary>
    /// Where a full's or copy's logs start: the lowest generation still needed (checkpoint, each dirty database's
    /// genMinRequired), every one a database needs being present.
    /// </summary>
    private static LogStart FullStart(FileSetGroup group, IReadOnlyDictionary<long, ProbedFile> byGen, string targetId)
    {
        foreach (var db in group.Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null))
        {
            var need = db.RequiredRange!;
            if (FirstMissing(byGen, need.Low, need.High) is { } g)
            {
                return LogStart.Refused(new PluginError(ErrorCodes.RequiredLogFilesMissing, $"Database '{db.Path}' is {db.State} and needs log generation {g} (of {need}), which is not in '{group.Location}'{GenerationChecks.DescribeGap(group, g)}; a backup without it could not be restored.") { TargetId = targetId, File = db.Path, Generation = g });
            }
        }

        var high = group.NewestGeneration;
        var low = group.LowestNeededGeneration ?? high;
        if (low is not null && high is not null && low > high)
        {
            low = high; // a checkpoint ahead of every log on disk: keep at least the current log
        }

        return new LogStart(low, null, null, null);
    }

    /// <summary>A full's or copy's databases, each at a unique place in the set; refused when they cannot restore the chain's.</summary>
    private static PluginError? PlanDatabases(FileSetGroup group, BackupKind kind, IReadOnlyList<CatalogEntry> chain, string targetId, List<PlannedFile> files)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var db in group.Databases.OrderBy(d => d.Path, StringComparer.Ordinal))
        {
            files.Add(new PlannedFile(db.Path, UniqueDatabasePath(group.Location, db.Path, used), FileRole.Database, db.Length, null, false, null));
        }

        if (DatabaseWitnesses.CheckAgainstChain(files, group, chain, targetId) is { } lost)
        {
            return lost;
        }

        return group.Databases.Count != 0
            ? null
            : new PluginError(
                ErrorCodes.NoDatabasesToBackup,
                $"'{group.Location}' holds logs{(group.Checkpoint is null ? string.Empty : " and a checkpoint")} of log stream {group.LogSignature} but no database: a {kind} backup of it would restore nothing, so none is made.")
            { TargetId = targetId, File = group.Location };
    }

    /// <summary>The logs from <paramref name="start"/> to <paramref name="high"/>, all of which must be present.</summary>
    private static PluginError? PlanLogs(FileSetGroup group, IReadOnlyDictionary<long, ProbedFile> byGen, BackupKind kind, LogStart start, long high, string targetId, List<PlannedFile> files)
    {
        var low = start.Low!.Value;
        if (FirstMissing(byGen, low, high) is { } g)
        {
            var checkpointNote = group.Checkpoint is { Generation: { } c } startAt && c == low ? $"; the checkpoint '{Path.GetFileName(startAt.Path)}' starts recovery at {c}" : string.Empty;
            return new PluginError(
                kind == BackupKind.Incremental ? ErrorCodes.NewFullBackupRequired : ErrorCodes.MissingFileToBackup,
                $"Log generation {g} is missing in '{group.Location}' (needed: {low}-{high}{checkpointNote}){GenerationChecks.DescribeGap(group, g)}." + (kind == BackupKind.Incremental ? " A new full backup is needed." : string.Empty))
            { TargetId = targetId, Generation = g };
        }

        // Only the logs present, in order: the range is known to be complete, and nothing is sized by its width.
        foreach (var (gen, log) in byGen.Where(kv => kv.Key >= low && kv.Key <= high).OrderBy(kv => kv.Key))
        {
            files.Add(new PlannedFile(log.Path, Path.GetFileName(log.Path), FileRole.Log, log.Length, gen, log.IsCurrentLog, gen == start.ReplacedGeneration ? start.Replaces : null));
        }

        return null;
    }

    /// <summary>
    /// The lowest generation of <paramref name="low"/>..<paramref name="high"/> that has no log, or <see langword="null"/>:
    /// walks the generations present (never the width of the range, which a damaged header can make two billion wide).
    /// </summary>
    private static long? FirstMissing(IReadOnlyDictionary<long, ProbedFile> byGen, long low, long high)
    {
        var expected = low;
        foreach (var g in byGen.Keys.Where(k => k >= low && k <= high).Order())
        {
            if (g != expected)
            {
                return expected;
            }

            expected = g + 1;
        }

        return expected <= high ? expected : null;
    }

    /// <summary>
    /// Where a database goes in the set: its path relative to the log directory when it lies below it
    /// (so restore recreates the layout the logs' attach records name), else <c>databases/&lt;name&gt;</c>.
    /// </summary>
    private static string UniqueDatabasePath(string location, string path, HashSet<string> used)
    {
        var relative = Path.GetRelativePath(location, path);
        var candidate = relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? "databases/" + Path.GetFileName(path)
            : relative.Replace(Path.DirectorySeparatorChar, '/');
        var unique = candidate;
        for (var i = 2; !used.Add(unique); i++)
        {
            unique = $"databases/{i}-{Path.GetFileName(path)}";
        }

        return unique;
    }

    /// <summary>Where the plan's logs start, or why there is no plan.</summary>
    /// <param name="Low">The first generation to copy (<see langword="null"/>: no logs).</param>
    /// <param name="Replaces">The set whose partial copy of <paramref name="ReplacedGeneration"/> this one supersedes.</param>
    /// <param name="ReplacedGeneration">That generation.</param>
    /// <param name="Error">Why the backup is refused.</param>
    private sealed record LogStart(long? Low, string? Replaces, long? ReplacedGeneration, PluginError? Error)
    {
        public static LogStart Refused(PluginError error) => new(null, null, null, error);
    }
}
