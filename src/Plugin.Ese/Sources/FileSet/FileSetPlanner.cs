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
        // Generations first, for every kind: a plan built on an absurd or duplicated header would drop a log or explode.
        if (GenerationChecks.Validate(group, targetId) is { } generationError)
        {
            return FileSetPlan.Failed(generationError);
        }

        if (kind != BackupKind.Incremental)
        {
            if (DatabaseWitnesses.FindDamaged(group, listedDatabases ?? [], chain, targetId) is { } damaged)
            {
                return FileSetPlan.Failed(damaged);
            }
        }

        // A listed database that is no longer part of the set (moved, replaced by another stream's) would silently drop out
        // of a full backup: fail instead, naming it.
        var gone = (listedDatabases ?? []).Select(Path.GetFullPath).Except(group.Databases.Select(d => d.Path), StringComparer.Ordinal).FirstOrDefault();
        if (gone is not null)
        {
            return FileSetPlan.Failed(new PluginError(ErrorCodes.MissingFileToBackup, $"Database '{gone}' of this target is gone or no longer belongs to its log stream; discover the target again.") { TargetId = targetId, File = gone });
        }

        var byGen = group.ByGeneration;
        long? low, high = group.NewestGeneration;
        string? replaces = null;
        long? replacedGeneration = null;

        if (kind == BackupKind.Incremental)
        {
            if (group.CircularLogging)
            {
                return FileSetPlan.Failed(new PluginError(ErrorCodes.InvalidBackup, $"Circular logging is on for '{group.Location}': logs are reused, so an incremental backup is impossible.") { TargetId = targetId });
            }

            if (chain.Count == 0)
            {
                return FileSetPlan.Failed(new PluginError(ErrorCodes.MissingFullBackup, $"An incremental backup of '{group.Location}' needs a completed full backup first.") { TargetId = targetId });
            }

            var last = chain[^1].Manifest;
            if (chain[0].Manifest.Target.LogSignature is { } chainSignature && chainSignature != group.LogSignature)
            {
                return FileSetPlan.Failed(new PluginError(ErrorCodes.NewFullBackupRequired, $"The log stream of '{group.Location}' changed (signature {group.LogSignature}, the chain has {chainSignature}): the logs were reset. A new full backup is needed.") { TargetId = targetId, Details = new Dictionary<string, string> { ["eseName"] = "JET_errBadLogSignature" } });
            }

            if (last.LogRange is not { } lastRange)
            {
                return FileSetPlan.Failed(new PluginError(ErrorCodes.NewFullBackupRequired, $"The chain's last set {last.SetId} holds no logs to continue from. A new full backup is needed.") { TargetId = targetId });
            }

            low = lastRange.High;
            if (!byGen.ContainsKey(lowValue(low)) || high is null || high < low)
            {
                var oldest = group.OldestGeneration;
                return FileSetPlan.Failed(new PluginError(ErrorCodes.NewFullBackupRequired,
                    $"Log generation {low} (the newest in set {last.SetId}) is no longer in '{group.Location}'{(oldest is null ? string.Empty : $" (oldest present: {oldest})")}: the chain cannot continue without a gap. A new full backup is needed.")
                { TargetId = targetId, Generation = low });
            }

            var lastCopy = last.Files.FirstOrDefault(f => f.Log?.Generation == low);
            if (lastCopy?.Log?.WasCurrentLog == true)
            {
                replaces = last.SetId;
                replacedGeneration = low;
            }
        }
        else
        {
            foreach (var db in group.Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null))
            {
                var need = db.RequiredRange!;
                if (FirstMissing(byGen, need.Low, need.High) is { } g)
                {
                    return FileSetPlan.Failed(new PluginError(ErrorCodes.RequiredLogFilesMissing, $"Database '{db.Path}' is {db.State} and needs log generation {g} (of {need}), which is not in '{group.Location}'{GenerationChecks.DescribeGap(group, g)}; a backup without it could not be restored.") { TargetId = targetId, File = db.Path, Generation = g });
                }
            }

            low = group.LowestNeededGeneration ?? high;
            if (low is not null && high is not null && low > high)
            {
                low = high; // a checkpoint ahead of every log on disk: keep at least the current log
            }
        }

        var files = new List<PlannedFile>();
        if (kind != BackupKind.Incremental)
        {
            var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var db in group.Databases.OrderBy(d => d.Path, StringComparer.Ordinal))
            {
                files.Add(new PlannedFile(db.Path, UniqueDatabasePath(group.Location, db.Path, used), FileRole.Database, db.Length, null, false, null));
            }

            if (DatabaseWitnesses.CheckAgainstChain(files, group, chain, targetId) is { } lost)
            {
                return FileSetPlan.Failed(lost);
            }

            if (group.Databases.Count == 0)
            {
                return FileSetPlan.Failed(new PluginError(
                    ErrorCodes.NoDatabasesToBackup,
                    $"'{group.Location}' holds logs{(group.Checkpoint is null ? string.Empty : " and a checkpoint")} of log stream {group.LogSignature} but no database: a {kind} backup of it would restore nothing, so none is made.")
                { TargetId = targetId, File = group.Location });
            }
        }

        GenerationRange? range = null;
        if (low is not null && high is not null)
        {
            if (FirstMissing(byGen, low.Value, high.Value) is { } g)
            {
                var checkpointNote = group.Checkpoint is { Generation: { } c } startAt && c == low ? $"; the checkpoint '{Path.GetFileName(startAt.Path)}' starts recovery at {c}" : string.Empty;
                return FileSetPlan.Failed(new PluginError(
                    kind == BackupKind.Incremental ? ErrorCodes.NewFullBackupRequired : ErrorCodes.MissingFileToBackup,
                    $"Log generation {g} is missing in '{group.Location}' (needed: {low}-{high}{checkpointNote}){GenerationChecks.DescribeGap(group, g)}." + (kind == BackupKind.Incremental ? " A new full backup is needed." : string.Empty))
                { TargetId = targetId, Generation = g });
            }

            // Only the logs present, in order: the range is known to be complete, and nothing is sized by its width.
            foreach (var (gen, log) in byGen.Where(kv => kv.Key >= low.Value && kv.Key <= high.Value).OrderBy(kv => kv.Key))
            {
                files.Add(new PlannedFile(log.Path, Path.GetFileName(log.Path), FileRole.Log, log.Length, gen, log.IsCurrentLog, gen == replacedGeneration ? replaces : null));
            }

            range = new GenerationRange(low.Value, high.Value);
        }

        if (group.Checkpoint is { } chk)
        {
            files.Add(new PlannedFile(chk.Path, Path.GetFileName(chk.Path), FileRole.Checkpoint, chk.Length, chk.Generation, false, null));
        }

        return new FileSetPlan(files, range, null);

        static long lowValue(long? v) => v ?? -1;
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
}
