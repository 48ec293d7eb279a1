using System.Globalization;
using System.Runtime.CompilerServices;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// One file-set backup. Phase one yields the planned files; phase two (only on the host's success, only for full and
/// incremental) deletes archived logs that are older than both the checkpoint and every dirty database's required
/// range — headers re-read at that moment — and that the completed chain makes unnecessary
/// (<see cref="TruncationPolicy"/>). The current log is never deleted. The plan recorded in the manifest is computed by
/// the same rule from the same chain, so it equals what completion removes when nothing moved in between. Aborting
/// has nothing to undo: nothing is touched before phase two.
/// </summary>
internal sealed class FileSetSession(
    FileSetSource source,
    FileSetGroup group,
    BackupKind kind,
    FileSetPlan plan,
    string targetId,
    IReadOnlyList<CatalogEntry> chainAtStart,
    TruncationPolicy policy,
    IBackupCatalog catalog,
    TimeProvider time,
    ILogger logger) : ISourceSession
{
    public string Strategy => FileSetSource.StrategyName;

    public SessionEstimate? Estimate => new(plan.Files.Count, plan.Files.Sum(f => f.Length));

    /// <summary>Plain files no engine holds: any number may be read at once.</summary>
    public bool FilesMayBeReadInParallel => true;

    public async IAsyncEnumerable<SourceFile> GetFilesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var f in plan.Files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!File.Exists(f.SourcePath))
            {
                throw new PluginException(new PluginError(ErrorCodes.MissingFileToBackup, $"'{f.SourcePath}' disappeared before it could be copied.") { TargetId = targetId, File = f.SourcePath, Generation = f.Generation });
            }

            yield return new LocalSourceFile
            {
                RelativePath = f.SetPath,
                Role = f.Role,
                SourcePath = f.SourcePath,
                Length = f.Length,
                Generation = f.Generation,
                WasCurrentLog = f.IsCurrentLog,
                ReplacesCopyInSetId = f.ReplacesCopyInSetId,
            };
            await Task.Yield();
        }
    }

    public ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        if (kind == BackupKind.Copy || group.Logs.Count == 0)
        {
            return ValueTask.FromResult(new StagedOutcome(new TruncationPlan(TruncationMode.Never, TruncationPerformer.None)));
        }

        var victims = Victims(group, policy, Coverage(kind, staged.Files, chainAtStart, chainId: null));
        var truncation = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin)
        {
            ExpectedRange = victims.Count > 0 ? new GenerationRange(victims[0].Generation, victims[^1].Generation) : null,
        };
        return ValueTask.FromResult(new StagedOutcome(truncation));
    }

    public async ValueTask<TruncationReport> CompleteAsync(BackupManifest manifest, bool hostSucceeded, TruncationIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(intent);
        var set = SetRef.Of(manifest);
        TruncationReport Report(TruncationStatus status, TruncationPerformer by, string reason, IEnumerable<TruncatedLog>? removed = null, PluginError? error = null)
            => TruncationReports.Create(set, hostSucceeded, status, by, reason, time.GetUtcNow(), removed, error: error);

        if (!hostSucceeded)
        {
            return Report(TruncationStatus.Skipped, TruncationPerformer.None, "The host did not store the set: no log was truncated.");
        }

        if (manifest.Kind == BackupKind.Copy)
        {
            return Report(TruncationStatus.NotAllowed, TruncationPerformer.None, "Copy backups never truncate logs.");
        }

        // Re-read every header now: the checkpoint and the databases may have moved since phase one.
        var now = source.Rescan(group.Location, group.LogSignature, group.Databases.Select(d => d.Path), cancellationToken);
        if (now is null)
        {
            return Report(TruncationStatus.NothingToTruncate, TruncationPerformer.Plugin, $"The file set is no longer at '{group.Location}'.");
        }

        if (now.Logs.Count == 0)
        {
            return Report(TruncationStatus.NotApplicable, TruncationPerformer.None, $"The target at '{group.Location}' has no log files: there is nothing to truncate.");
        }

        if (now.CircularLogging)
        {
            return Report(TruncationStatus.NotAllowed, TruncationPerformer.None, "Circular logging is on: ESE reuses its logs itself.");
        }

        var chain = await catalog.GetChainAsync(manifest.Target.Id, cancellationToken);
        var victims = Victims(now, policy, Coverage(manifest.Kind, manifest.Files, chain, manifest.Chain.ChainId, manifest.SetId));
        var reason = ReasonText(now);
        if (victims.Count == 0)
        {
            return Report(TruncationStatus.NothingToTruncate, TruncationPerformer.Plugin, reason);
        }

        // The point of no return: the state machine journals what is about to go before the first delete.
        await intent(victims);
        var removed = new List<TruncatedLog>();
        foreach (var log in victims)
        {
            try
            {
                File.Delete(log.Path);
                removed.Add(log);
                logger.LogInformation("Truncated {Log} (generation {Generation}, {Why}) after set {SetId}.", log.Path, log.Generation, log.Reason, manifest.SetId);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Report(TruncationStatus.Failed, TruncationPerformer.Plugin, reason, removed, new PluginError(ErrorCodes.DiskIO, $"Deleting '{log.Path}' failed: {ex.Message}. Earlier generations were removed; the rest were kept.") { File = log.Path, Generation = log.Generation, TargetId = targetId });
            }
        }

        return Report(TruncationStatus.Truncated, TruncationPerformer.Plugin, reason, removed);
    }

    public ValueTask AbortAsync(PluginError? reason)
    {
        logger.LogInformation("File-set backup of {Target} ended without completion ({Reason}); nothing was truncated.", targetId, reason?.Message ?? "no reason given");
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>What the completed chain holds in final form, and where its full backup's logs begin.</summary>
    internal sealed record ChainCoverage(HashSet<long> Held, long? FirstFullLog);

    /// <summary>
    /// The chain a completed set belongs to: a full starts its own; an incremental joins the catalog's sets of its
    /// chain id. <paramref name="setId"/> (when given) is left out of <paramref name="chain"/>: the set's own files are
    /// <paramref name="files"/>.
    /// </summary>
    internal static ChainCoverage Coverage(BackupKind kind, IEnumerable<ManifestFile> files, IReadOnlyList<CatalogEntry> chain, string? chainId, string? setId = null)
    {
        var own = files.ToList();
        var held = CoveredBy(own);
        if (kind == BackupKind.Full)
        {
            var logs = own.Where(f => f.Log is not null).Select(f => f.Log!.Generation).ToList();
            return new ChainCoverage(held, logs.Count > 0 ? logs.Min() : null);
        }

        var members = chain.Where(e => (chainId is null || e.Manifest.Chain.ChainId == chainId) && e.Manifest.SetId != setId).ToList();
        foreach (var entry in members)
        {
            held.UnionWith(CoveredBy(entry.Manifest.Files));
        }

        var full = members.FirstOrDefault(e => e.Manifest.Kind == BackupKind.Full && e.Manifest.SetId == e.Manifest.Chain.ChainId);
        return new ChainCoverage(held, full?.Manifest.LogRange?.Low);
    }

    /// <summary>
    /// The archived logs to remove, oldest first, each with its reason: below the boundary (checkpoint, every dirty
    /// database's required range, the current log), never the current log, and made unnecessary by the chain.
    /// </summary>
    internal static IReadOnlyList<TruncatedLog> Victims(FileSetGroup g, TruncationPolicy policy, ChainCoverage coverage)
    {
        if (g.Logs.Count == 0 || Boundary(g) is not { } boundary)
        {
            return [];
        }

        var victims = new List<TruncatedLog>();
        foreach (var (generation, log) in g.ByGeneration.OrderBy(kv => kv.Key))
        {
            if (generation >= boundary || log.IsCurrentLog)
            {
                continue;
            }

            if (coverage.Held.Contains(generation))
            {
                victims.Add(new TruncatedLog(log.Path, generation, log.Length) { Reason = LogRemovalReason.InChain });
            }
            else if (policy == TruncationPolicy.MatchEse && coverage.FirstFullLog is { } first && generation < first)
            {
                victims.Add(new TruncatedLog(log.Path, generation, log.Length) { Reason = LogRemovalReason.OlderThanChain });
            }
        }

        return victims;
    }

    /// <summary>Generations below which nothing is needed: the lowest of the checkpoint, every dirty database's minimum, and the current log.</summary>
    private static long? Boundary(FileSetGroup g)
    {
        var candidates = new List<long>();
        if (g.LowestNeededGeneration is { } needed)
        {
            candidates.Add(needed);
        }

        if (g.CurrentLog?.Generation is { } current)
        {
            candidates.Add(current);
        }

        if (candidates.Count == 0 && g.NewestGeneration is { } newest)
        {
            candidates.Add(newest);
        }

        return candidates.Count == 0 ? null : candidates.Min();
    }

    private string ReasonText(FileSetGroup now) =>
        string.Create(CultureInfo.InvariantCulture, $"Kept generation {Boundary(now)} and newer (checkpoint {now.Checkpoint?.Generation?.ToString(CultureInfo.InvariantCulture) ?? "none"}")
        + string.Concat(now.Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null).Select(d => $", {Path.GetFileName(d.Path)} needs {d.RequiredRange}"))
        + $", current log {now.CurrentLog?.Generation?.ToString(CultureInfo.InvariantCulture) ?? "none"}); "
        + (policy == TruncationPolicy.MatchEse
            ? "older logs are removed when a set of the completed chain holds them or they are older than the chain's full backup, as ESE's own backup does."
            : "older logs are removed only when a set of the completed chain holds them (policy StoredOnly).");

    /// <summary>
    /// Generations the files hold in their final form. A copy of the then-current log (<see cref="LogFacts.WasCurrentLog"/>)
    /// is partial: once the engine has finished that generation, its final version is in no set until the next
    /// incremental copies it. Counting the partial copy let a set completed after the logs had moved on delete the only
    /// final copy of that generation, so the chain could not continue (or restore) past it.
    /// </summary>
    private static HashSet<long> CoveredBy(IEnumerable<ManifestFile> files) =>
        [.. files.Where(f => f.Log is { WasCurrentLog: false }).Select(f => f.Log!.Generation)];
}
