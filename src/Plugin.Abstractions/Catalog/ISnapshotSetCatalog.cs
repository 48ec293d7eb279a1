namespace EseBackupPlugin.Abstractions.Catalog;

/// <summary>
/// Optional catalog capability: remembers the VSS shadow-copy sets the plugin creates, so that sets left
/// behind by a crashed backup can be deleted when the plugin next starts. A host whose catalog implements
/// this interface (next to <see cref="IBackupCatalog"/>) keeps the records; otherwise the plugin keeps them
/// in a file of its own.
/// </summary>
public interface ISnapshotSetCatalog
{
    /// <summary>Every recorded snapshot set not yet removed.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken = default);

    /// <summary>Records a snapshot set as it is created.</summary>
    /// <param name="record">The set and its owner.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken = default);

    /// <summary>Forgets a snapshot set once it was deleted.</summary>
    /// <param name="snapshotSetId">The set.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken = default);
}

/// <summary>A VSS snapshot set created by a backup, and the process that owns it.</summary>
/// <param name="SnapshotSetId">The snapshot set id.</param>
/// <param name="TargetId">The target being backed up.</param>
/// <param name="ProcessId">The owning process.</param>
/// <param name="ProcessStartTime">When the owner started (tells a recycled process id from the owner).</param>
/// <param name="RecordedAt">When the record was made.</param>
public sealed record SnapshotSetRecord(Guid SnapshotSetId, string TargetId, int ProcessId, DateTimeOffset ProcessStartTime, DateTimeOffset RecordedAt);
