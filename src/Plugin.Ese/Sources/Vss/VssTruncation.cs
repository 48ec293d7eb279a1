using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.TwoPhase;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>
/// Truncation for VSS targets. The plugin never deletes a log of a writer's application: for full and
/// incremental backups the writer does it inside its service when BackupComplete reaches it, for components
/// marked successful; copy backups never truncate. What the writer is expected to drop is computed from the
/// staged files' ESE facts (the engine's manifest entries): every staged log generation below the lowest of the
/// checkpoint generation and the databases' first required generation (ESE keeps the current log and
/// everything recovery may need).
/// </summary>
internal static class VssTruncation
{
    /// <summary>The plan recorded in the manifest at phase one.</summary>
    public static TruncationPlan Plan(BackupKind kind, IReadOnlyList<ManifestFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        return kind == BackupKind.Copy
            ? new TruncationPlan(TruncationMode.Never, TruncationPerformer.None)
            : new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.VssWriter) { ExpectedRange = ExpectedRange(files) };
    }

    /// <summary>The generations the writer is expected to remove, or null when none (or when no log facts are known).</summary>
    public static GenerationRange? ExpectedRange(IReadOnlyList<ManifestFile> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var logs = files.Where(f => f.Role == FileRole.Log && f.Log is not null).Select(f => f.Log!.Generation).ToList();
        if (logs.Count == 0)
        {
            return null;
        }

        var keepFrom = logs.Max();
        foreach (var f in files)
        {
            if (f.Role == FileRole.Checkpoint && f.Checkpoint is { CheckpointGeneration: > 0 } c)
            {
                keepFrom = Math.Min(keepFrom, c.CheckpointGeneration);
            }

            if (f.Role == FileRole.Database && f.Database?.RequiredLogRange is { Low: > 0 } required)
            {
                keepFrom = Math.Min(keepFrom, required.Low);
            }
        }

        var low = logs.Min();
        return keepFrom - 1 >= low ? new GenerationRange(low, keepFrom - 1) : null;
    }

    /// <summary>The phase-two report.</summary>
    public static TruncationReport Report(
        BackupManifest manifest,
        bool hostSucceeded,
        TruncationStatus status,
        TruncationPerformer performer,
        DateTimeOffset at,
        string reason,
        GenerationRange? range = null,
        PluginError? error = null)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return TruncationReports.Create(SetRef.Of(manifest), hostSucceeded, status, performer, reason, at, range: range, error: error);
    }
}
