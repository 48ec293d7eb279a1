using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Ese.Vss;

namespace EseBackupPlugin.Ese.Composition;

/// <summary>Keeps the VSS snapshot-set journal in the host's catalog, when the catalog offers that.</summary>
internal sealed class CatalogSnapshotJournal(ISnapshotSetCatalog catalog) : IVssSnapshotSetJournal
{
    public async ValueTask<IReadOnlyList<VssSnapshotSetRecord>> GetAllAsync(CancellationToken cancellationToken) =>
        [.. (await catalog.GetSnapshotSetsAsync(cancellationToken)).Select(r => new VssSnapshotSetRecord(r.SnapshotSetId, r.TargetId, r.ProcessId, r.ProcessStartTime, r.RecordedAt))];

    public ValueTask RecordAsync(VssSnapshotSetRecord record, CancellationToken cancellationToken) =>
        catalog.RecordSnapshotSetAsync(new SnapshotSetRecord(record.SnapshotSetId, record.TargetId, record.ProcessId, record.ProcessStartTime, record.RecordedAt), cancellationToken);

    public ValueTask RemoveAsync(Guid snapshotSetId, CancellationToken cancellationToken) =>
        catalog.RemoveSnapshotSetAsync(snapshotSetId, cancellationToken);
}
