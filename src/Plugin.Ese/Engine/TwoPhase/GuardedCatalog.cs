using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Ese.Engine.TwoPhase;

/// <summary>
/// The host's catalog behind one guard: whatever a catalog call throws (other than cancellation) becomes a
/// <see cref="PluginException"/> carrying <c>CatalogFailure</c>, naming the call and the set or target. Callers then
/// decide what the failure means at their step (before truncation: nothing happened; after: the report still stands).
/// </summary>
internal sealed class GuardedCatalog(IBackupCatalog inner) : IBackupCatalog
{
    /// <summary>The host's own catalog.</summary>
    public IBackupCatalog Inner { get; } = inner;

    public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
        => GuardAsync(() => Inner.GetChainAsync(targetId, cancellationToken), $"reading the chain of target {targetId}", targetId);

    public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return GuardAsync(() => Inner.RecordBackupAsync(manifest, cancellationToken), $"recording staged set {manifest.SetId}", manifest.Target.Id);
    }

    public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        return GuardAsync(() => Inner.RecordTruncationAsync(report, cancellationToken), $"recording the completion of set {report.SetId}", report.TargetId);
    }

    public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
        => GuardAsync(() => Inner.GetSetAsync(setId, cancellationToken), $"reading set {setId}", null);

    private static async ValueTask<T> GuardAsync<T>(Func<ValueTask<T>> call, string what, string? targetId)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException and not PluginException)
        {
            throw Failure(ex, what, targetId);
        }
    }

    private static async ValueTask GuardAsync(Func<ValueTask> call, string what, string? targetId)
    {
        try
        {
            await call();
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException and not PluginException)
        {
            throw Failure(ex, what, targetId);
        }
    }

    private static PluginException Failure(Exception ex, string what, string? targetId) =>
        new(new PluginError(ErrorCodes.CatalogFailure, $"The host's catalog failed {what}: {ex.GetType().Name}: {ex.Message}") { TargetId = targetId }, ex);
}
