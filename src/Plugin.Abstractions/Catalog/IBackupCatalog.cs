using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Abstractions.Catalog;

/// <summary>
/// The host's catalog, as the plugin sees it (a port the host implements). The plugin reads a target's
/// chain to plan incrementals and truncation, and reports each staged manifest and, later, its
/// truncation report.
/// </summary>
/// <remarks>
/// Every call is guarded by the plugin: an exception from the catalog becomes a <c>CatalogFailure</c> error on the
/// operation's result (transient), never an exception out of the plugin and never a lost truncation report. The
/// plugin's own journal is the record of what it staged and removed; the catalog is the host's copy of it, which the
/// plugin re-delivers when a completion is repeated after a catalog failure. Record calls may therefore arrive more
/// than once for one set and must be idempotent (the last state wins).
/// <para>
/// Each record has one writer. What the record calls deliver is the plugin's record of a set (its manifest, its
/// completion and truncation report): a catalog keeps it apart from its own record of the same set (the host's row: that
/// it ran the backup, stored or exported the set, gave up on it, and where the set is), and neither is written on the
/// other's behalf. A record call never advances the host's row, and the host's workflow never writes the plugin's record;
/// a host that lists a set reads both (a set is completed when the plugin's report says so, whether or not the host saw
/// the completion return). A catalog whose only records are the plugin's (<see cref="InMemoryBackupCatalog"/>) has
/// nothing to keep apart.
/// </para>
/// </remarks>
public interface IBackupCatalog
{
    /// <summary>
    /// The target's current chain, oldest first: the last full backup the host completed with success,
    /// followed by the incrementals completed after it. Empty when there is none.
    /// </summary>
    /// <param name="targetId">Target id.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <remarks>
    /// Duty: answer from committed state only. The plugin plans incrementals from it and, at completion, decides which
    /// logs the chain holds; a failure here fails the backup, or the completion before anything is truncated.
    /// </remarks>
    ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default);

    /// <summary>Records a staged set (phase one done).</summary>
    /// <remarks>
    /// Duty: make the set known (state <see cref="CatalogSetState.Staged"/>) durably before returning. A failure
    /// withdraws the set from staging and fails the backup: a set the catalog does not know would never be completed.
    /// </remarks>
    /// <param name="manifest">The set's manifest.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default);

    /// <summary>Records the outcome of phase two for a set.</summary>
    /// <remarks>
    /// Duty: file the set as <see cref="CatalogStates.AfterCompletion"/> says and keep the report. It is called after
    /// logs were removed, so a failure cannot undo anything: the plugin returns the report with a
    /// <c>CatalogFailure</c> error and calls again with the same report when the host repeats the completion. Also
    /// called for abandoned sets and sets whose lease ended (a failed verdict).
    /// </remarks>
    /// <param name="report">What happened to the logs.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default);

    /// <summary>The set as the catalog knows it, or <see langword="null"/> when it does not (the default).</summary>
    /// <remarks>
    /// Duty: read-only. The plugin asks before re-delivering a recorded report, so that a report the catalog already
    /// holds is not written again, and to say more than "unknown" when its own journal has no record of a set. A
    /// catalog that cannot answer keeps the default; then the plugin simply re-delivers.
    /// </remarks>
    /// <param name="setId">The set.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
        => ValueTask.FromResult<CatalogEntry?>(null);
}

/// <summary>State of a set in the catalog.</summary>
public enum CatalogSetState
{
    /// <summary>Phase one is running (a row a killed run leaves behind).</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Phase one finished; the host has not completed the set yet.</summary>
    [JsonStringEnumMemberName("staged")]
    Staged,

    /// <summary>The host stored the set and completed it with success.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>The backup or its storage failed.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,
}

/// <summary>A set as the catalog knows it.</summary>
/// <param name="Manifest">The set's manifest.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="CompletedAt">When the host completed it.</param>
public sealed record CatalogEntry(BackupManifest Manifest, CatalogSetState State, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? CompletedAt);

/// <summary>How a catalog should file a set once its truncation report arrives.</summary>
public static class CatalogStates
{
    /// <summary>
    /// <see cref="CatalogSetState.Completed"/> (the set joins its chain) when the host succeeded and completion
    /// ran; <see cref="CatalogSetState.Failed"/> when the host failed; <see cref="CatalogSetState.Staged"/> when
    /// the host succeeded but the engine session was lost (<see cref="TruncationStatus.Skipped"/>): the set is
    /// stored and restorable, but the engine never recorded it, so no incremental may build on it.
    /// </summary>
    /// <param name="report">The truncation report.</param>
    public static CatalogSetState AfterCompletion(TruncationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return !report.HostSucceeded ? CatalogSetState.Failed
            : report.Status == TruncationStatus.Skipped ? CatalogSetState.Staged
            : CatalogSetState.Completed;
    }

    /// <summary>
    /// The rule for a target's current chain, as <see cref="IBackupCatalog.GetChainAsync"/> returns it: among the
    /// <see cref="CatalogSetState.Completed"/> sets that are not <see cref="BackupKind.Copy"/> backups, the last
    /// full, followed by the sets after it that belong to its chain (<see cref="ChainInfo.ChainId"/> is the full's
    /// set id). Empty when no full has completed. Catalogs call it so that every one applies the same rule.
    /// </summary>
    /// <param name="entries">
    /// The target's sets, oldest first (a durable catalog orders them by completion); sets in other states and
    /// copy backups are skipped.
    /// </param>
    /// <returns>The chain, oldest first.</returns>
    public static IReadOnlyList<CatalogEntry> CurrentChain(IEnumerable<CatalogEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var completed = entries
            .Where(e => e.State == CatalogSetState.Completed && e.Manifest.Kind != BackupKind.Copy)
            .ToList();
        var lastFull = completed.FindLastIndex(e => e.Manifest.Kind == BackupKind.Full);
        if (lastFull < 0)
        {
            return [];
        }

        var chainId = completed[lastFull].Manifest.SetId;
        return completed.Skip(lastFull).Where(e => e.Manifest.Chain.ChainId == chainId).ToList();
    }
}
