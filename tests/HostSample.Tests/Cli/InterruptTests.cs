using System.Runtime.InteropServices;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Ctrl+C in a job script: a real <c>esebackup</c> child process sent SIGINT while it copies exits 130, leaves nothing
/// truncated and nothing that looks like a set, and does not leave the target locked.
/// </summary>
public sealed partial class InterruptTests
{
    private const int SigInt = 2;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [Theory]
    [InlineData("in-process")]
    [InlineData("out-of-process")]
    public async Task Sigint_mid_backup_exits_130_truncates_nothing_and_leaves_the_target_free(string processModel)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGINT is a POSIX signal; Windows delivers Ctrl+C differently (not exercised here).
        }

        // The signal must land while the backup copies. On a fast, quiet machine a small set can be copied before the
        // signal arrives (the run then simply succeeds): that attempt proves nothing, so the test tries again with a set
        // four times as large, on a fresh source.
        foreach (var megabytes in new long[] { 256, 1024, 4096 })
        {
            if (await AttemptAsync(processModel, megabytes) is { } cancelled)
            {
                await CheckCancelledRunAsync(processModel, cancelled);
                return;
            }
        }

        Assert.Fail("Every backup finished before SIGINT reached it, up to a 4 GiB set.");
    }

    private sealed record Attempt(TempDir Temp, string Source, string Repo, SortedDictionary<string, string> Before, Dictionary<string, string> Env, CliRun Run);

    /// <summary>One backup sent SIGINT mid-copy; null (and cleaned up) when it finished before the signal landed.</summary>
    private static async Task<Attempt?> AttemptAsync(string processModel, long megabytes)
    {
        var temp = new TempDir();
        var source = temp.Combine("source");
        var repo = temp.Combine("repo");
        await SamplePlugin.CreateAsync(source, databaseBytes: megabytes << 20, generations: 6, seed: 21);
        var before = CliKit.HashTree(source);
        var env = CliKit.ChildEnvironment(temp);

        CliRun run;
        using (var p = HostProcess.Start(temp.Path, env, "backup", source, "--kind", "full", "--repository", repo, "--json", "--verbose", "--process-model", processModel))
        {
            // The engine says it begins: planning and the copy of the database follow.
            Assert.True(await p.WaitForErrorLineAsync(" begins.", TimeSpan.FromSeconds(60)), p.Snapshot().ToString());
            Assert.Equal(0, Kill(p.Id, SigInt));
            if (processModel == "out-of-process")
            {
                // Ctrl+C in a terminal signals the whole foreground process group: the worker gets SIGINT too. It must
                // leave the cancellation to the host (which cancels the request), not die under it.
                var worker = WorkerPid().Match(p.Snapshot().Error);
                Assert.True(worker.Success, p.Snapshot().Error);
                Kill(int.Parse(worker.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), SigInt);
            }

            run = await p.WaitAsync(TimeSpan.FromSeconds(120));
        }

        if (run.ExitCode == ExitCodes.Ok)
        {
            temp.Dispose();
            return null;
        }

        return new Attempt(temp, source, repo, before, env, run);
    }

    private static async Task CheckCancelledRunAsync(string processModel, Attempt attempt)
    {
        using var temp = attempt.Temp;
        var (source, repo, before, env, run) = (attempt.Source, attempt.Repo, attempt.Before, attempt.Env, attempt.Run);
        Assert.True(run.ExitCode == ExitCodes.Cancelled, run.ToString());
        Assert.DoesNotContain("staged ", run.Error, StringComparison.Ordinal); // it stopped before phase one ended
        Assert.Equal("Cancelled", run.Json["error"]!["code"]!["name"]!.GetValue<string>());

        // Nothing truncated, nothing in the repository that looks like a set, the run recorded as failed.
        Assert.Equal(before, CliKit.HashTree(source));
        Assert.False(Directory.Exists(Path.Combine(repo, "sets")) && Directory.EnumerateFileSystemEntries(Path.Combine(repo, "sets")).Any());
        var list = await CliKit.RunAsync("catalog", "list", "--json", "--repository", repo);
        Assert.Equal("failed", Assert.Single(list.Json.AsArray())!["state"]!.GetValue<string>());

        // Not locked: the next backup of the same target runs to the end.
        using var again = HostProcess.Start(temp.Path, env, "backup", source, "--kind", "copy", "--out", temp.Combine("out"), "--repository", repo, "--json", "--process-model", processModel);
        var next = await again.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(next.ExitCode == ExitCodes.Ok, next.ToString());
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\(pid (\d+), (?:JIT|Native AOT)\)")]
    private static partial System.Text.RegularExpressions.Regex WorkerPid();
}
