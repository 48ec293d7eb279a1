using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Engine.TwoPhase;

/// <summary>The set a truncation report is about.</summary>
/// <param name="SetId">The set.</param>
/// <param name="TargetId">Its target.</param>
/// <param name="Kind">Its backup kind.</param>
internal sealed record SetRef(string SetId, string TargetId, BackupKind Kind)
{
    /// <summary>The set a manifest describes.</summary>
    public static SetRef Of(BackupManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return new SetRef(manifest.SetId, manifest.Target.Id, manifest.Kind);
    }
}

/// <summary>
/// The one place truncation reports are made, so that every source fills them the same way: the range is always
/// the span of what was removed when anything was, and logs are listed in ascending generation order.
/// </summary>
internal static class TruncationReports
{
    /// <summary>A report.</summary>
    /// <param name="set">The set.</param>
    /// <param name="hostSucceeded">The host's verdict.</param>
    /// <param name="status">Outcome.</param>
    /// <param name="by">Who removed (or will remove) logs.</param>
    /// <param name="reason">Why truncation stopped where it did, in words.</param>
    /// <param name="at">When.</param>
    /// <param name="removed">Files that left the disk.</param>
    /// <param name="range">For writers that remove logs themselves: the range they are expected to remove.</param>
    /// <param name="error">The failure, if any.</param>
    public static TruncationReport Create(
        SetRef set,
        bool hostSucceeded,
        TruncationStatus status,
        TruncationPerformer by,
        string reason,
        DateTimeOffset at,
        IEnumerable<TruncatedLog>? removed = null,
        GenerationRange? range = null,
        PluginError? error = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        var logs = removed?.OrderBy(r => r.Generation).ToList() ?? [];
        return new TruncationReport
        {
            SetId = set.SetId,
            TargetId = set.TargetId,
            Kind = set.Kind,
            HostSucceeded = hostSucceeded,
            Status = status,
            PerformedBy = by,
            Removed = logs,
            Range = logs.Count > 0 ? new GenerationRange(logs[0].Generation, logs[^1].Generation) : range,
            Reason = reason,
            At = at,
            Error = error,
        };
    }

    /// <summary>
    /// <paramref name="report"/> plus the logs of <paramref name="intended"/> that are gone from disk and that it does not
    /// list yet: an earlier attempt (a process killed during truncation) removed them.
    /// </summary>
    public static TruncationReport WithEarlierRemovals(TruncationReport report, IReadOnlyList<TruncatedLog>? intended)
    {
        ArgumentNullException.ThrowIfNull(report);
        var listed = report.Removed.Select(r => r.Generation).ToHashSet();
        var earlier = Gone(intended).Where(r => !listed.Contains(r.Generation)).ToList();
        if (earlier.Count == 0)
        {
            return report;
        }

        var all = report.Removed.Concat(earlier).OrderBy(r => r.Generation).ToList();
        return report with
        {
            Removed = all,
            Range = new GenerationRange(all[0].Generation, all[^1].Generation),
            Status = report.Status is TruncationStatus.NothingToTruncate or TruncationStatus.Skipped ? TruncationStatus.Truncated : report.Status,
            Reason = report.Reason + $" An earlier, interrupted completion of this set had already removed {earlier.Count} log(s).",
        };
    }

    /// <summary>The logs of <paramref name="intended"/> that are no longer on disk.</summary>
    public static IReadOnlyList<TruncatedLog> Gone(IReadOnlyList<TruncatedLog>? intended) =>
        intended is null ? [] : [.. intended.Where(l => !File.Exists(l.Path)).OrderBy(l => l.Generation)];
}
