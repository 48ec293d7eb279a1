using CsCheck;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using Microsoft.Extensions.Time.Testing;

namespace EseBackupPlugin.Ese.Tests.Engine.TwoPhase;

/// <summary>
/// Random sequences of verdicts, abandons, lease expiries, catalog faults, cancellations and restarts against one staged
/// file set, with the conformance suite's invariants after every step: the first verdict never changes, no log goes
/// without a verdict of success and a report that lists it, every removed generation is in the chain or older than its
/// full, and in the end the recorded report is available, filed by the catalog, and the target is free.
/// </summary>
public sealed class CompletionPropertyTests
{
    private enum Op
    {
        Succeed,
        Fail,
        Abandon,
        ExpireLease,
        BreakChainReads,
        BreakRecords,
        HealCatalog,
        CancelledComplete,
        Restart,
    }

    private static readonly TimeSpan Lease = TimeSpan.FromHours(1);

    [Fact]
    public void Any_sequence_of_verdicts_faults_and_cancellations_keeps_the_two_phase_promise() =>
        Gen.Enum<Op>().Array[1, 7].Sample(ops => RunAsync(ops).GetAwaiter().GetResult(), iter: 20, threads: 1, print: ops => string.Join(", ", ops));

    private static async Task RunAsync(Op[] ops)
    {
        using var world = new FileSetWorld();
        var catalog = new FaultyCatalog();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));
        var plugin = ConformanceWorlds.Plugin(world, catalog, clock, Lease);
        try
        {
            var before = world.LiveLogs();
            var target = await world.TargetAsync(plugin);
            var staging = Path.Combine(world.Root, "staging");
            var backup = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, staging) { CreateStagingDirectory = true });
            Assert.True(backup.Succeeded, backup.Error?.ToString());
            var manifest = backup.Manifest!;
            bool? first = null;
            foreach (var op in ops)
            {
                CompletionResult? result = null;
                switch (op)
                {
                    case Op.Succeed or Op.Fail:
                        result = await plugin.CompleteBackupAsync(new CompletionRequest(manifest, op == Op.Succeed));
                        break;
                    case Op.Abandon:
                        result = await plugin.AbandonBackupAsync(manifest.SetId);
                        break;
                    case Op.ExpireLease:
                        clock.Advance(Lease + TimeSpan.FromMinutes(1));
                        break;
                    case Op.BreakChainReads:
                        catalog.FailChain = true;
                        break;
                    case Op.BreakRecords:
                        catalog.FailRecordTruncation = true;
                        break;
                    case Op.HealCatalog:
                        catalog.FailChain = catalog.FailRecordTruncation = false;
                        break;
                    case Op.CancelledComplete:
                        using (var cancelled = new CancellationTokenSource())
                        {
                            await cancelled.CancelAsync();
                            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => plugin.CompleteBackupAsync(new CompletionRequest(manifest, true), cancelled.Token));
                        }

                        break;
                    case Op.Restart:
                        await plugin.DisposeAsync();
                        plugin = ConformanceWorlds.Plugin(world, catalog, clock, Lease);
                        break;
                }

                var entry = plugin.Engine.Sets.Journal.Read(manifest.SetId)!;
                first ??= entry.Verdict;
                Assert.Equal(first, entry.Verdict ?? first);   // once given, the verdict never changes
                if (result?.Error is { } error)
                {
                    Assert.Contains(error.Code.Name, new[] { nameof(ErrorCodes.AlreadyCompleted), nameof(ErrorCodes.LeaseExpired), nameof(ErrorCodes.CatalogFailure) });
                }

                AssertLogs(world, before, entry);
            }

            // In the end, with a healthy catalog: the recorded report comes back and the catalog files it.
            catalog.FailChain = catalog.FailRecordTruncation = false;
            var verdict = plugin.Engine.Sets.Journal.Read(manifest.SetId)!.Verdict ?? false;
            var final = await plugin.CompleteBackupAsync(new CompletionRequest(manifest, verdict));
            var recorded = plugin.Engine.Sets.Journal.Read(manifest.SetId)!;
            Assert.True(recorded.State is StagedSetState.Completed or StagedSetState.Abandoned);
            Assert.True(recorded.CatalogRecorded);
            Assert.Equal(recorded.Report!.Removed.Select(r => r.Path), final.Truncation!.Removed.Select(r => r.Path));
            Assert.Equal(CatalogStates.AfterCompletion(recorded.Report), (await catalog.GetSetAsync(manifest.SetId))!.State);
            AssertLogs(world, before, recorded);
            var next = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Copy, staging));
            Assert.True(next.Succeeded, next.Error?.ToString());
            Assert.Null((await plugin.AbandonBackupAsync(next.Manifest!.SetId)).Error);
        }
        finally
        {
            await plugin.DisposeAsync();
        }
    }

    /// <summary>Logs go only with a verdict of success, only as the report says, and only ones the chain makes unnecessary.</summary>
    private static void AssertLogs(FileSetWorld world, IReadOnlyDictionary<string, string> before, JournalEntry entry)
    {
        var now = world.LiveLogs();
        var gone = before.Keys.Where(p => !now.ContainsKey(p)).Order(StringComparer.Ordinal).ToList();
        if (entry.Verdict != true)
        {
            Assert.Empty(gone);
            return;
        }

        var listed = (entry.Report?.Removed ?? entry.Intent ?? []).Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        Assert.All(gone, p => Assert.Contains(p, listed));
        Assert.All(entry.Report?.Removed ?? [], r => Assert.True(r.Reason is LogRemovalReason.InChain or LogRemovalReason.OlderThanChain, r.ToString()));
    }
}
