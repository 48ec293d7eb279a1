using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>A staged set the host's catalog cannot record must not stay in staging looking complete.</summary>
public class CatalogFailureTests
{
    /// <summary>The host's catalog, failing on demand (a full disk under its database, a lost connection).</summary>
    private sealed class FailingCatalog : IBackupCatalog
    {
        private readonly InMemoryBackupCatalog _inner = new();

        public bool FailRecord { get; set; }

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default) => _inner.GetChainAsync(targetId, cancellationToken);

        public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default) =>
            FailRecord ? throw new IOException("catalog.db: database or disk is full") : _inner.RecordBackupAsync(manifest, cancellationToken);

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default) => _inner.RecordTruncationAsync(report, cancellationToken);
    }

    [Fact]
    public async Task A_catalog_that_cannot_record_the_set_withdraws_it_and_truncates_nothing()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 64, LogGenerations = 4, Seed = 9 });
        var catalog = new FailingCatalog();
        await using var h = new EngineHarness(temp, catalog: catalog);
        var target = await h.TargetAsync(source);
        var (first, _) = await h.BackupAndCompleteAsync(target, BackupKind.Full);
        SyntheticEseSet.AppendLogs(source, 2);
        var sourceBefore = EngineHarness.HashTree(source);

        catalog.FailRecord = true;
        var failed = await h.BackupAsync(target, BackupKind.Incremental);

        Assert.False(failed.Succeeded);
        Assert.Equal(ErrorCodes.CatalogFailure, failed.Error!.Code);
        Assert.Equal([Path.GetFileName(first.SetDirectory!)], Directory.EnumerateFileSystemEntries(h.Staging).Select(Path.GetFileName));
        Assert.Equal(sourceBefore, EngineHarness.HashTree(source));

        // The target is not left locked: once the catalog works again the same backup succeeds.
        catalog.FailRecord = false;
        var retry = await h.BackupAsync(target, BackupKind.Incremental);
        Assert.True(retry.Succeeded, retry.Error?.ToString());
    }
}
