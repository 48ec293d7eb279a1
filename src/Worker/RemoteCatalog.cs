using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Worker.Protocol.Messages;
using EseBackupPlugin.Worker.Protocol.Rpc;

namespace EseBackupPlugin.Worker;

/// <summary>
/// The host's catalog, seen from the worker: each call is a <c>catalog/*</c> request to the host. A failure
/// (the host answered with an error, or is gone) throws, and the plugin's guarded catalog calls turn that into
/// <c>CatalogFailure</c> as they do in process.
/// </summary>
internal class RemoteCatalog(JsonRpcConnection rpc) : IBackupCatalog
{
    protected JsonRpcConnection Rpc { get; } = rpc;

    public async ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
        => await Rpc.InvokeAsync(WorkerMethods.CatalogGetChain, new GetChainParams(targetId), WireJson.Info<GetChainParams>(), WireJson.Info<List<CatalogEntry>>(), cancellationToken).ConfigureAwait(false)
            ?? [];

    public async ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
        => await Rpc.InvokeAsync(WorkerMethods.CatalogGetSet, new SetIdParams(setId), WireJson.Info<SetIdParams>(), WireJson.Info<CatalogEntry>(), cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
        => await Rpc.InvokeRawAsync(WorkerMethods.CatalogRecordBackup, manifest, WireJson.Info<BackupManifest>(), cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
        => await Rpc.InvokeRawAsync(WorkerMethods.CatalogRecordTruncation, report, WireJson.Info<TruncationReport>(), cancellationToken).ConfigureAwait(false);
}

/// <summary>The host's catalog when it also keeps VSS snapshot sets (<c>snapshotSetCatalog</c> in <c>initialize</c>).</summary>
internal sealed class RemoteSnapshotSetCatalog(JsonRpcConnection rpc) : RemoteCatalog(rpc), ISnapshotSetCatalog
{
    public async ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken = default)
        => await Rpc.InvokeAsync(WorkerMethods.CatalogGetSnapshotSets, new Empty(), WireJson.Info<Empty>(), WireJson.Info<List<SnapshotSetRecord>>(), cancellationToken).ConfigureAwait(false)
            ?? [];

    public async ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken = default)
        => await Rpc.InvokeRawAsync(WorkerMethods.CatalogRecordSnapshotSet, record, WireJson.Info<SnapshotSetRecord>(), cancellationToken).ConfigureAwait(false);

    public async ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken = default)
        => await Rpc.InvokeRawAsync(WorkerMethods.CatalogRemoveSnapshotSet, new RemoveSnapshotSetParams(snapshotSetId), WireJson.Info<RemoveSnapshotSetParams>(), cancellationToken).ConfigureAwait(false);
}
