using System.ComponentModel;
using System.Diagnostics;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using Microsoft.Extensions.Logging;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Requester;

/// <summary>What a clean-up of orphaned snapshot sets did.</summary>
/// <param name="Deleted">Recorded sets that still existed and were deleted.</param>
/// <param name="AlreadyGone">Recorded sets that no longer existed (forgotten).</param>
/// <param name="Kept">Recorded sets left alone because their process is alive and may still use them.</param>
/// <param name="Errors">Sets that could not be deleted (they stay recorded).</param>
internal sealed record VssOrphanCleanupResult(
    IReadOnlyList<Guid> Deleted,
    IReadOnlyList<Guid> AlreadyGone,
    IReadOnlyList<Guid> Kept,
    IReadOnlyList<PluginError> Errors)
{
    /// <summary>Nothing was recorded.</summary>
    public static VssOrphanCleanupResult Empty { get; } = new([], [], [], []);
}

/// <summary>
/// Deletes our own snapshot sets that outlived the worker that created them (reference §1.7): the journal says
/// which sets are ours; only sets whose creating process is gone (or, for this process, that no live session
/// owns) are touched, and only if VSS still lists them.
/// </summary>
internal static class VssOrphanCleaner
{
    public static async Task<VssOrphanCleanupResult> RunAsync(
        IVssApi api,
        ISnapshotSetCatalog journal,
        IReadOnlySet<Guid> activeSets,
        Func<SnapshotSetRecord, bool> isOwnerAlive,
        ILogger logger,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(activeSets);
        ArgumentNullException.ThrowIfNull(isOwnerAlive);
        ArgumentNullException.ThrowIfNull(logger);

        var records = await journal.GetSnapshotSetsAsync(cancellationToken).ConfigureAwait(false);
        if (records.Count == 0)
        {
            return VssOrphanCleanupResult.Empty;
        }

        var orphans = new List<SnapshotSetRecord>();
        var kept = new List<Guid>();
        foreach (var r in records)
        {
            var orphan = IsCurrentProcess(r) ? !activeSets.Contains(r.SnapshotSetId) : !isOwnerAlive(r);
            if (orphan)
            {
                orphans.Add(r);
            }
            else
            {
                kept.Add(r.SnapshotSetId);
            }
        }

        if (orphans.Count == 0)
        {
            return new VssOrphanCleanupResult([], [], kept, []);
        }

        var (deleted, gone, errors) = await api.InvokeAsync(() => DeleteOrphans(api, orphans), cancellationToken).ConfigureAwait(false);

        foreach (var id in deleted.Concat(gone))
        {
            await journal.RemoveSnapshotSetAsync(id, cancellationToken).ConfigureAwait(false);
        }

        foreach (var id in deleted)
        {
            logger.LogWarning("Deleted orphaned VSS snapshot set {SetId} left behind by an earlier worker.", id);
        }

        foreach (var error in errors)
        {
            logger.LogError("Could not delete an orphaned VSS snapshot set: {Error}", error.ToString());
        }

        return new VssOrphanCleanupResult(deleted, gone, kept, errors);
    }

    /// <summary>On the VSS thread: deletes the orphaned snapshot sets that still exist; those already gone are only reported.</summary>
    private static (List<Guid> Deleted, List<Guid> Gone, List<PluginError> Errors) DeleteOrphans(IVssApi api, List<SnapshotSetRecord> orphans)
    {
        var deletedSets = new List<Guid>();
        var goneSets = new List<Guid>();
        var failures = new List<PluginError>();
        var hr = api.CreateBackupComponents(out var components);
        if (VssHResults.Failed(hr) || components is null)
        {
            failures.Add(VssFailures.Call("OrphanCleanup", "CreateVssBackupComponents", VssHResults.Failed(hr) ? hr : VssHResults.E_POINTER, null));
            return (deletedSets, goneSets, failures);
        }

        using (components)
        {
            hr = components.InitializeForBackup();
            if (!VssHResults.Failed(hr))
            {
                hr = components.SetContext(VssSnapshotContext.All);
            }

            IReadOnlyList<VssSnapshotProperties> snapshots = [];
            if (!VssHResults.Failed(hr))
            {
                hr = components.QuerySnapshots(out snapshots);
            }

            if (VssHResults.Failed(hr) && hr != VssHResults.VSS_E_OBJECT_NOT_FOUND)
            {
                failures.Add(VssFailures.Call("OrphanCleanup", "Query", hr, null));
                return (deletedSets, goneSets, failures);
            }

            var existing = snapshots.Select(s => s.SnapshotSetId).ToHashSet();
            foreach (var orphan in orphans)
            {
                if (!existing.Contains(orphan.SnapshotSetId))
                {
                    goneSets.Add(orphan.SnapshotSetId);
                    continue;
                }

                hr = components.DeleteSnapshots(orphan.SnapshotSetId, VssObjectType.SnapshotSet, forceDelete: true, out _, out _);
                if (VssHResults.Failed(hr) && hr != VssHResults.VSS_E_OBJECT_NOT_FOUND)
                {
                    failures.Add(VssFailures.Call("OrphanCleanup", "DeleteSnapshots", hr, orphan.TargetId, $"Snapshot set {orphan.SnapshotSetId}."));
                }
                else
                {
                    deletedSets.Add(orphan.SnapshotSetId);
                }
            }
        }

        return (deletedSets, goneSets, failures);
    }

    /// <summary>Whether the process that recorded a set still runs (same id and start time).</summary>
    public static bool IsProcessAlive(SnapshotSetRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            using var process = Process.GetProcessById(record.ProcessId);
            var started = new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
            return (started - record.ProcessStartTime).Duration() < TimeSpan.FromSeconds(2);
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        catch (Win32Exception)
        {
            // Cannot tell (access denied): leave the set alone.
            return true;
        }
        catch (NotSupportedException)
        {
            return true;
        }
    }

    private static bool IsCurrentProcess(SnapshotSetRecord record)
    {
        using var self = Process.GetCurrentProcess();
        var started = new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero);
        return record.ProcessId == self.Id && (started - record.ProcessStartTime).Duration() < TimeSpan.FromSeconds(2);
    }
}
