using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Abstractions.Catalog;

/// <summary>
/// A thread-safe, process-local catalog for hosts that keep none (and for tests). Chains follow the
/// same rule as a durable catalog: the last successfully completed full, then its completed incrementals.
/// </summary>
public sealed class InMemoryBackupCatalog : IBackupCatalog
{
    private readonly Lock _gate = new();
    private readonly List<CatalogEntry> _entries = [];

    /// <summary>Every set recorded so far, oldest first.</summary>
    public IReadOnlyList<CatalogEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(CatalogStates.CurrentChain(_entries.Where(e => e.Manifest.Target.Id == targetId)));
        }
    }

    /// <inheritdoc />
    public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_entries.FirstOrDefault(e => e.Manifest.SetId == setId));
        }
    }

    /// <inheritdoc />
    public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        lock (_gate)
        {
            _entries.RemoveAll(e => e.Manifest.SetId == manifest.SetId);
            _entries.Add(new CatalogEntry(manifest, CatalogSetState.Staged, null));
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_gate)
        {
            var i = _entries.FindIndex(e => e.Manifest.SetId == report.SetId);
            if (i >= 0)
            {
                _entries[i] = _entries[i] with
                {
                    State = CatalogStates.AfterCompletion(report),
                    CompletedAt = report.At,
                };
            }
        }

        return ValueTask.CompletedTask;
    }
}
