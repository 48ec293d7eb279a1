using System.Runtime.CompilerServices;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// One file-set backup. Phase one yields the planned files; phase two (only on the host's success, only for
/// full and incremental) deletes archived logs that are older than both the checkpoint and every dirty
/// database's required range — headers re-read at that moment — and that the completed chain holds.
/// The current log is never deleted. Aborting has nothing to undo: nothing is touched before phase two.
/// </summary>
internal sealed class FileSetSession(
    FileSetSource source,
    FileSetGroup group,
    BackupKind kind,
    FileSetPlan plan,
    string targetId,
    IBackupCatalog catalog,
    TimeProvider time,
    ILogger logger) : ISourceSession
{
    private bool _ended;

    public string Strategy => FileSetSource.StrategyName;

    public SessionEstimate? Estimate => new(plan.Files.Count, plan.Files.Sum(f => f.Length));

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
        var plan = kind == BackupKind.Copy
            ? new TruncationPlan(TruncationMode.Never, TruncationPerformer.None)
            : new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin) { ExpectedRange = Truncatable(group, CoveredBy(staged.Files)) is { Count: > 0 } g ? new GenerationRange(g.Min(), g.Max()) : null };
        return ValueTask.FromResult(new StagedOutcome(plan));
    }

    public async ValueTask<TruncationReport> CompleteAsync(BackupManifest manifest, bool hostSucceeded, CancellationToken cancellationToken)
    {
        _ended = true;
        var report = new TruncationReport
        {
            SetId = manifest.SetId,
            TargetId = manifest.Target.Id,
            Kind = manifest.Kind,
            HostSucceeded = hostSucceeded,
            Status = TruncationStatus.Skipped,
            PerformedBy = TruncationPerformer.None,
            At = time.GetUtcNow(),
        };
        if (!hostSucceeded)
        {
            return report with { Reason = "The host did not store the set: no log was truncated." };
        }

        if (manifest.Kind == BackupKind.Copy)
        {
            return report with { Status = TruncationStatus.NotAllowed, Reason = "Copy backups never truncate logs." };
        }

        // Re-read every header now: the checkpoint and the databases may have moved since phase one.
        var now = source.Rescan(group.Location, group.LogSignature, group.Databases.Select(d => d.Path), cancellationToken);
        if (now is null)
        {
            return report with { Status = TruncationStatus.NothingToTruncate, PerformedBy = TruncationPerformer.Plugin, Reason = $"The file set is no longer at '{group.Location}'." };
        }

        if (now.CircularLogging)
        {
            return report with { Status = TruncationStatus.NotAllowed, Reason = "Circular logging is on: ESE reuses its logs itself." };
        }

        var chain = await catalog.GetChainAsync(manifest.Target.Id, cancellationToken);
        var covered = CoveredBy(manifest.Files);
        if (manifest.Kind == BackupKind.Incremental)
        {
            foreach (var entry in chain.Where(e => e.Manifest.Chain.ChainId == manifest.Chain.ChainId))
            {
                covered.UnionWith(CoveredBy(entry.Manifest.Files));
            }
        }

        var victims = Truncatable(now, covered);
        var boundary = Boundary(now);
        var reason = $"Kept generation {boundary} and newer (checkpoint {now.Checkpoint?.Generation?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}" +
            $"{string.Concat(now.Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null).Select(d => $", {Path.GetFileName(d.Path)} needs {d.RequiredRange}"))}, current log {now.CurrentLog?.Generation}); " +
            "older logs are removed only when the completed chain holds them.";
        if (victims.Count == 0)
        {
            return report with { Status = TruncationStatus.NothingToTruncate, PerformedBy = TruncationPerformer.Plugin, Reason = reason };
        }

        var removed = new List<TruncatedLog>();
        var byGen = now.ByGeneration;
        foreach (var g in victims.Order())
        {
            var log = byGen[g];
            try
            {
                File.Delete(log.Path);
                removed.Add(new TruncatedLog(log.Path, g, log.Length));
                logger.LogInformation("Truncated {Log} (generation {Generation}) after set {SetId}.", log.Path, g, manifest.SetId);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return report with
                {
                    Status = TruncationStatus.Failed,
                    PerformedBy = TruncationPerformer.Plugin,
                    Removed = removed,
                    Range = removed.Count > 0 ? new GenerationRange(removed[0].Generation, removed[^1].Generation) : null,
                    Reason = reason,
                    Error = new PluginError(ErrorCodes.DiskIO, $"Deleting '{log.Path}' failed: {ex.Message}. Earlier generations were removed; the rest were kept.") { File = log.Path, Generation = g, TargetId = targetId },
                };
            }
        }

        return report with
        {
            Status = TruncationStatus.Truncated,
            PerformedBy = TruncationPerformer.Plugin,
            Removed = removed,
            Range = new GenerationRange(removed[0].Generation, removed[^1].Generation),
            Reason = reason,
        };
    }

    /// <summary>Generations below which nothing is needed: the lowest of the checkpoint, every dirty database's minimum, and the current log.</summary>
    private static long Boundary(FileSetGroup g)
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

        return candidates.Count == 0 ? long.MinValue : candidates.Min();
    }

    /// <summary>
    /// Generations the files hold in their final form. A copy of the then-current log (<see cref="LogFacts.WasCurrentLog"/>)
    /// is partial: once the engine has finished that generation, its final version is in no set until the next
    /// incremental copies it. Counting the partial copy let a set completed after the logs had moved on delete the only
    /// final copy of that generation, so the chain could not continue (or restore) past it.
    /// </summary>
    private static HashSet<long> CoveredBy(IEnumerable<ManifestFile> files) =>
        [.. files.Where(f => f.Log is { WasCurrentLog: false }).Select(f => f.Log!.Generation)];

    /// <summary>Archived logs below the boundary that the chain holds (never the current log).</summary>
    private static List<long> Truncatable(FileSetGroup g, HashSet<long> covered)
    {
        var boundary = Boundary(g);
        return [.. g.ByGeneration
            .Where(kv => kv.Key < boundary && !kv.Value.IsCurrentLog && covered.Contains(kv.Key))
            .Select(kv => kv.Key)];
    }

    public ValueTask AbortAsync(PluginError? reason)
    {
        if (!_ended)
        {
            _ended = true;
            logger.LogInformation("File-set backup of {Target} aborted ({Reason}); nothing was truncated.", targetId, reason?.Message ?? "no reason given");
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
