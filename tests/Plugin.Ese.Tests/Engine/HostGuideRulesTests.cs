using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Rules docs/host-guide.md states about threading and cancellation that no other test pinned: one plugin object runs
/// backups of different targets at once and refuses a second backup of one target; a token cancelled after an
/// operation returned changes nothing; a completion cancelled before it starts truncates nothing and can be repeated.
/// </summary>
public class HostGuideRulesTests
{
    [Fact]
    public async Task One_plugin_backs_up_two_targets_at_once_and_refuses_a_second_backup_of_one()
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var a = temp.Combine("a");
        var b = temp.Combine("b");
        SyntheticEseSet.Create(a, new SyntheticEseOptions { PageSize = 8192, DatabaseSize = 8L << 20, LogGenerations = 3, Seed = 91 });
        SyntheticEseSet.Create(b, new SyntheticEseOptions { PageSize = 8192, DatabaseSize = 8L << 20, LogGenerations = 3, Seed = 92 });
        var ta = await h.TargetAsync(a);
        var tb = await h.TargetAsync(b);

        // Three calls from three threads at once: two targets, one of them twice.
        var results = await Task.WhenAll(
            Task.Run(() => h.BackupAsync(ta, BackupKind.Full)),
            Task.Run(() => h.BackupAsync(tb, BackupKind.Full)),
            Task.Run(() => h.BackupAsync(ta, BackupKind.Full)));

        Assert.True(results[1].Succeeded, results[1].Error?.ToString());
        var ofA = new[] { results[0], results[2] };
        Assert.Contains(ofA, r => r.Succeeded);
        foreach (var refused in ofA.Where(r => !r.Succeeded))
        {
            Assert.Same(ErrorCodes.BackupInProgress, refused.Error!.Code);
            Assert.True(refused.Error.Code.IsTransient);
        }

        foreach (var ok in results.Where(r => r.Succeeded))
        {
            await h.AssertSetVerifiesAsync(ok.SetDirectory!);
        }
    }

    [Fact]
    public async Task A_token_cancelled_after_the_backup_returned_changes_nothing()
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseSize = 4L << 20, LogGenerations = 3, Seed = 93 });
        var target = await h.TargetAsync(source);
        using var cts = new CancellationTokenSource();

        var backup = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] }, null, cts.Token);
        await cts.CancelAsync();

        Assert.True(backup.Succeeded, backup.Error?.ToString());
        Assert.True(File.Exists(Path.Combine(backup.SetDirectory!, BackupManifest.FileName)), "the set stays whole");
        await h.AssertSetVerifiesAsync(backup.SetDirectory!);
        var completion = await h.Plugin.CompleteBackupAsync(new CompletionRequest(backup.Manifest!, Succeeded: true));
        Assert.Null(completion.Error);
    }

    [Fact]
    public async Task A_completion_cancelled_before_it_starts_truncates_nothing_and_can_be_repeated()
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var source = temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseSize = 4L << 20, LogGenerations = 5, Seed = 94 });
        var target = await h.TargetAsync(source);
        var full = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(full.Succeeded, full.Error?.ToString());
        var before = Directory.GetFiles(source).Order(StringComparer.Ordinal).ToList();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: true), cts.Token));
        Assert.Equal(before, Directory.GetFiles(source).Order(StringComparer.Ordinal));

        var completion = await h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: true));
        Assert.Null(completion.Error);
        Assert.All(completion.Truncation!.Removed, r => Assert.False(File.Exists(r.Path)));
    }
}
