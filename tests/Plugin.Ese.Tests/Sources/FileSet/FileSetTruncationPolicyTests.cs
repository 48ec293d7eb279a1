using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Engine;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Sources.FileSet;

/// <summary>
/// Truncation of file sets matches ESE's by default (logs below the checkpoint and every database's need that the chain
/// holds or that are older than its full), keeps the stricter StoredOnly rule as an option, plans exactly what completion
/// then does, and calls a target without logs what it is.
/// </summary>
public sealed class FileSetTruncationPolicyTests
{
    private static SyntheticEseSetInfo NewSet(TempDirectory temp, int generations, SyntheticDatabaseState state = SyntheticDatabaseState.Dirty) =>
        SyntheticEseSet.Create(temp.Combine("source"), new SyntheticEseOptions { PageSize = 4096, DatabasePages = 24, LogGenerations = generations, DatabaseState = state, Seed = 3 });

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_plan_recorded_at_backup_is_what_completion_removes_and_every_log_says_why(bool matchEse)
    {
        var policy = matchEse ? TruncationPolicy.MatchEse : TruncationPolicy.StoredOnly;
        using var temp = new TempDirectory();
        var set = NewSet(temp, generations: 6);   // 1-6, checkpoint 5, current 6: a full holds 5-6
        await using var h = new EngineHarness(temp, policy: policy);
        var target = await h.TargetAsync(set.Directory);

        var full = await h.BackupAsync(target, BackupKind.Full);
        var completion = await h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, true));
        var removed = completion.Truncation!.Removed;
        Assert.Equal(full.Manifest!.Truncation.ExpectedRange, completion.Truncation.Range);
        if (policy == TruncationPolicy.MatchEse)
        {
            // ESE's own full removes what lies below the checkpoint and is older than the backup's first log.
            Assert.Equal([1L, 2L, 3L, 4L], removed.Select(r => r.Generation));
            Assert.All(removed, r => Assert.Equal(LogRemovalReason.OlderThanChain, r.Reason));
        }
        else
        {
            Assert.Empty(removed);
            Assert.Equal(TruncationStatus.NothingToTruncate, completion.Truncation.Status);
        }

        // The database moves on; the incremental's plan again equals what its completion removes (held by the chain).
        SyntheticEseSet.AppendLogs(set.Directory, 3);
        var incremental = await h.BackupAsync(target, BackupKind.Incremental);
        var second = await h.Plugin.CompleteBackupAsync(new CompletionRequest(incremental.Manifest!, true));
        Assert.Equal(incremental.Manifest!.Truncation.ExpectedRange, second.Truncation!.Range);
        Assert.NotEmpty(second.Truncation.Removed);
        Assert.All(second.Truncation.Removed, r => Assert.Equal(LogRemovalReason.InChain, r.Reason));
        Assert.All(second.Truncation.Removed, r => Assert.False(File.Exists(r.Path), r.Path));
    }

    [Fact]
    public async Task A_target_without_logs_plans_nothing_and_reports_NotApplicable()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp, generations: 2, SyntheticDatabaseState.Clean);
        foreach (var f in Directory.EnumerateFiles(set.Directory).Where(f => f.EndsWith(".log", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".chk", StringComparison.OrdinalIgnoreCase)))
        {
            File.Delete(f);
        }

        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);
        var full = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(full.Succeeded, full.Error?.ToString());
        Assert.Equal(TruncationMode.Never, full.Manifest!.Truncation.Mode);
        Assert.Null(full.Manifest.Truncation.ExpectedRange);

        var completion = await h.Plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest, true));
        Assert.Null(completion.Error);
        Assert.Equal(TruncationStatus.NotApplicable, completion.Truncation!.Status);
        Assert.Null(completion.Truncation.Range);
        Assert.DoesNotContain(long.MinValue.ToString(System.Globalization.CultureInfo.InvariantCulture), completion.Truncation.Reason, StringComparison.Ordinal);
    }
}
