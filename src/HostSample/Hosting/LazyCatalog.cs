using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.HostSample.Catalog;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// Hands the plugin the catalog port without opening the database until a call needs it, so that
/// commands that never touch the catalog (inspect, verify, plugins) create no repository. The plugin reads
/// the VSS snapshot-set records when it starts: where no catalog exists yet there are none, and none is created.
/// </summary>
internal sealed class LazyCatalog(Func<SqliteCatalog> open, string databasePath) : IBackupCatalog, ISnapshotSetCatalog
{
    private readonly Lazy<SqliteCatalog> _catalog = new(open);

    public SqliteCatalog Value => _catalog.Value;

    /// <summary>True once the catalog was opened (false too when opening it failed).</summary>
    public bool IsValueCreated => _catalog.IsValueCreated;

    public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
        => _catalog.Value.GetChainAsync(targetId, cancellationToken);

    public async ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
    {
        HostTestHooks.Reached(HostTestHooks.StagedBeforeRecord);
        await _catalog.Value.RecordBackupAsync(manifest, cancellationToken);
    }

    public async ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
    {
        HostTestHooks.Reached(HostTestHooks.CompletionBeforeRecord);
        await _catalog.Value.RecordTruncationAsync(report, cancellationToken);
    }

    public ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken = default)
        => _catalog.IsValueCreated || File.Exists(databasePath)
            ? _catalog.Value.GetSnapshotSetsAsync(cancellationToken)
            : ValueTask.FromResult<IReadOnlyList<SnapshotSetRecord>>([]);

    public ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken = default)
        => _catalog.Value.RecordSnapshotSetAsync(record, cancellationToken);

    public ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken = default)
        => _catalog.Value.RemoveSnapshotSetAsync(snapshotSetId, cancellationToken);
}
