using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Guarantee 5 (DESIGN §4.5): one backup per target at a time. Two plugin instances (two hosts on one machine)
/// started together on the same target: exactly one runs, the other gets BackupInProgress (ESE -505) and leaves
/// nothing behind. The lock is held until the set is completed, then released.
/// </summary>
public class ConcurrencyTests
{
    [Fact]
    public async Task Two_plugins_started_together_on_one_target_run_one_backup()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseCount = 2, DatabaseSize = 12L << 20, LogGenerations = 4, Seed = 31 });
        var catalog = new InMemoryBackupCatalog();
        var locks = temp.Combine("locks");
        await using var a = new EngineHarness(temp, catalog: catalog, lockDirectory: locks);
        await using var b = new EngineHarness(temp, catalog: catalog, lockDirectory: locks);
        var target = await a.TargetAsync(source);
        Assert.Equal(target.Id, (await b.TargetAsync(source)).Id);

        for (var round = 0; round < 4; round++)
        {
            var kind = round == 0 ? BackupKind.Full : round % 2 == 0 ? BackupKind.Copy : BackupKind.Incremental;
            var before = a.StagingEntries();
            using var start = new Barrier(2);
            var first = Task.Run(() =>
            {
                start.SignalAndWait();
                return a.BackupAsync(target, kind);
            });
            var second = Task.Run(() =>
            {
                start.SignalAndWait();
                return b.BackupAsync(target, kind);
            });
            var results = await Task.WhenAll(first, second);

            var won = Assert.Single(results, r => r.Succeeded);
            var lost = Assert.Single(results, r => !r.Succeeded);
            Assert.Equal(ErrorCodes.BackupInProgress, lost.Error!.Code);
            Assert.Equal(-505, lost.Error.Code.EseError);
            Assert.True(lost.Error.IsTransient);
            Assert.Equal(target.Id, lost.Error.TargetId);

            // Only the winner's set is new in the (shared) staging directory, and it is whole.
            Assert.Equal(before.Append(Path.GetFileName(won.SetDirectory!)).Order(StringComparer.Ordinal), a.StagingEntries());
            await a.AssertSetVerifiesAsync(won.SetDirectory!);

            // Until the winner's set is completed, the target stays taken, for both plugins.
            Assert.Equal(ErrorCodes.BackupInProgress, (await a.BackupAsync(target, BackupKind.Copy)).Error?.Code);
            Assert.Equal(ErrorCodes.BackupInProgress, (await b.BackupAsync(target, BackupKind.Copy)).Error?.Code);
            var owner = ReferenceEquals(won, results[0]) ? a : b;
            var completion = await owner.Plugin.CompleteBackupAsync(new CompletionRequest(won.Manifest!, Succeeded: true));
            Assert.Null(completion.Error);
            SyntheticEseSet.AppendLogs(source, 1);
        }

        // Released: either plugin can run the next one.
        var after = await b.BackupAsync(target, BackupKind.Incremental);
        Assert.True(after.Succeeded, after.Error?.ToString());
    }
}
