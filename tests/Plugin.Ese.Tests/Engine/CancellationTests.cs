using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Operations;
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
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);

        // How long an uninterrupted backup takes spans the cancellation moments (seeded, so a failure replays).
        var duration = TimeSpan.MaxValue;
        for (var warm = 0; warm < 2; warm++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var reference = await h.BackupAsync(target, BackupKind.Full);
            duration = clock.Elapsed < duration ? clock.Elapsed : duration;
            Assert.True(reference.Succeeded);
            await h.Plugin.CompleteBackupAsync(new CompletionRequest(reference.Manifest!, Succeeded: false));
            Directory.Delete(reference.SetDirectory!, recursive: true);
        }

        const int Seed = 777;
        var random = new Random(Seed);
        var cancelled = 0;
        for (var i = 0; i < 12; i++)
        {
            var at = TimeSpan.FromMilliseconds(random.NextDouble() * 0.8 * duration.TotalMilliseconds);
            var label = $"cancel {i + 1} after {at.TotalMilliseconds:F1} ms of ~{duration.TotalMilliseconds:F0} ms (seed {Seed})";
            using var cts = new CancellationTokenSource(at);
            BackupResult? result = null;
            try
            {
                result = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [source] }, null, cts.Token);
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }

            if (result is not null)
            {
                // Finished before the token fired: a whole set; let it go again.
                Assert.True(result.Succeeded, $"{label}: {result.Error}");
                await h.AssertSetVerifiesAsync(result.SetDirectory!);
                await h.Plugin.CompleteBackupAsync(new CompletionRequest(result.Manifest!, Succeeded: false));
                Directory.Delete(result.SetDirectory!, recursive: true);
            }

            Assert.True(h.StagingEntries().Length == 0, $"{label}: staging holds {string.Join(", ", h.StagingEntries())}");
            Assert.True(before.SequenceEqual(EngineHarness.HashTree(source)), $"{label}: the source changed");
        }

        Assert.True(cancelled >= 3, $"only {cancelled} of 12 backups were cancelled while running");

        // The target is free.
        var next = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(next.Succeeded, next.Error?.ToString());
    }
}
