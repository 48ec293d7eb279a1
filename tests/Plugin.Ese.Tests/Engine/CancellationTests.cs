using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// The contract's promise for <see cref="IBackupPlugin.BackupAsync"/> and <see cref="IBackupPlugin.RestoreAsync"/>:
/// cancelled at any moment, nothing is left in staging (or the restore destination), no log is touched and the
/// target is free for the next backup.
/// </summary>
public class CancellationTests
{
    [Fact]
    public async Task A_backup_cancelled_at_any_moment_leaves_nothing_behind()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseCount = 2, DatabaseSize = 24L << 20, LogGenerations = 4, DatabaseState = SyntheticDatabaseState.Dirty, Seed = 51 });
        var before = EngineHarness.HashTree(source);
        var catalog = new HeldCatalog(new InMemoryBackupCatalog());
        await using var h = new EngineHarness(temp, catalog: catalog);
        var target = await h.TargetAsync(source);

        // How many bytes an uninterrupted backup copies: the cancellation moments are points in that copy, so where they
        // fall does not depend on how fast the machine is.
        var reference = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(reference.Succeeded, reference.Error?.ToString());
        var total = reference.Manifest!.Files.Sum(f => f.Size);
        await h.Plugin.CompleteBackupAsync(new CompletionRequest(reference.Manifest!, Succeeded: false));
        Directory.Delete(reference.SetDirectory!, recursive: true);

        // From here on the catalog holds every recording until the backup's token is cancelled: a copy that outruns its
        // cancellation (the handler sees the bytes a little after they were copied) is cancelled there instead, so every
        // attempt ends cancelled on any machine.
        catalog.Hold = true;
        const int Seed = 777;
        var random = new Random(Seed);
        for (var i = 0; i < 12; i++)
        {
            var at = (long)(random.NextDouble() * total);
            var label = $"cancel {i + 1} after {at:N0} of {total:N0} bytes (seed {Seed})";
            using var cts = new CancellationTokenSource();
            var progress = new InlineProgress(p =>
            {
                if (p.BytesDone >= at)
                {
                    cts.Cancel();
                }
            });

            var error = await Record.ExceptionAsync(() => h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] }, progress, cts.Token));

            Assert.True(error is OperationCanceledException, $"{label}: {error?.ToString() ?? "the backup was not cancelled"}");
            Assert.True(h.StagingEntries().Length == 0, $"{label}: staging holds {string.Join(", ", h.StagingEntries())}");
            Assert.True(before.SequenceEqual(EngineHarness.HashTree(source)), $"{label}: the source changed");
        }

        // The target is free.
        catalog.Hold = false;
        var next = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(next.Succeeded, next.Error?.ToString());
        Assert.Equal(2, catalog.Inner.Entries.Count); // the reference and the last one: no cancelled backup was recorded
    }

    /// <summary>Runs the handler on the plugin's progress thread, as it reports.</summary>
    private sealed class InlineProgress(Action<OperationProgress> handler) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => handler(value);
    }

    /// <summary>While <see cref="Hold"/> is set, a recording waits for the backup's own cancellation and never happens.</summary>
    private sealed class HeldCatalog(InMemoryBackupCatalog inner) : IBackupCatalog
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
        private volatile bool _hold;

        public InMemoryBackupCatalog Inner => inner;

        public bool Hold
        {
            get => _hold;
            set => _hold = value;
        }

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
            => inner.GetChainAsync(targetId, cancellationToken);

        public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
            => inner.GetSetAsync(setId, cancellationToken);

        public async ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
        {
            if (Hold)
            {
                // An OperationCanceledException once the backup is cancelled; a TimeoutException (the test fails) otherwise.
                await Task.Delay(Patience, cancellationToken);
                throw new TimeoutException($"the cancellation did not reach the catalog call within {Patience}");
            }

            await inner.RecordBackupAsync(manifest, cancellationToken);
        }

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
            => inner.RecordTruncationAsync(report, cancellationToken);
    }
}
