using System.Runtime.InteropServices;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Ctrl+C in a job script: a real <c>esebackup</c> child process sent SIGINT while it streams a set exits 130, leaves
/// nothing truncated and nothing that looks like a set, and does not leave the target locked.
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

        using var temp = new TempDir();
        var (source, repo, before, env) = await SetUpAsync(temp, seed: 21);

        // The set goes to standard output as a tar stream (a bpipe reader's job), and the test reads nothing of it until the
        // signal was sent: the pipe fills and the backup waits in mid-copy, so the signal lands before its end however fast
        // the machine is (a gate, not a race against the copy).
        CliRun run;
        using (var p = HostProcess.Start(temp.Path, env, holdOutput: true, "backup", source, "--kind", "full", "--out", "-", "--repository", repo, "--verbose", "--process-model", processModel))
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

            // Only once the host says it is cancelling may the stream move again: the host requests the cancellation in
            // the same breath, while the copy still waits on the full pipe (a gate, not a head start).
            Assert.True(await p.WaitForErrorLineAsync("esebackup: cancelling", TimeSpan.FromSeconds(60)), p.Snapshot().ToString());
            var drained = p.DiscardOutputAsync();
            run = await p.WaitAsync(TimeSpan.FromSeconds(120));
            await drained;
        }

        Assert.True(run.ExitCode == ExitCodes.Cancelled, run.ToString());
        Assert.DoesNotContain("staged ", run.Error, StringComparison.Ordinal); // it stopped before phase one ended
        Assert.DoesNotContain("Staged database1.edb", run.Error, StringComparison.Ordinal); // ... in the database's copy
        Assert.Contains("Backup", run.Error, StringComparison.Ordinal);
        Assert.Contains("cancelled", run.Error, StringComparison.Ordinal);

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

    [Fact]
    public async Task A_second_sigint_stops_at_once_while_the_first_cancellation_waits_on_a_full_pipe()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempDir();
        var (source, repo, before, env) = await SetUpAsync(temp, seed: 22);

        // Nobody ever reads the stream: the copy blocks on the full pipe, and the first Ctrl+C's cancellation cannot finish
        // (a failed stream still ends with blocks that make it invalid). The person at the terminal presses Ctrl+C again:
        // the second one must end the process now, not queue behind the first.
        using var p = HostProcess.Start(temp.Path, env, holdOutput: true, "backup", source, "--kind", "full", "--out", "-", "--repository", repo, "--verbose");
        Assert.True(await p.WaitForFullOutputPipeAsync(TimeSpan.FromSeconds(60)), p.Snapshot().ToString()); // blocked in mid-copy
        Assert.Equal(0, Kill(p.Id, SigInt));
        Assert.True(await p.WaitForErrorLineAsync("esebackup: cancelling", TimeSpan.FromSeconds(60)), p.Snapshot().ToString());
        Assert.False(await p.ExitsWithinAsync(TimeSpan.FromSeconds(2)), p.Snapshot().ToString()); // the first one cannot finish
        Assert.Equal(0, Kill(p.Id, SigInt));
        Assert.True(await p.ExitsWithinAsync(TimeSpan.FromSeconds(30)), p.Snapshot().ToString()); // with the stream still unread
        var drained = p.DiscardOutputAsync();
        var run = await p.WaitAsync(TimeSpan.FromSeconds(30));
        await drained;

        Assert.True(run.ExitCode == ExitCodes.Cancelled, run.ToString()); // 130: the default SIGINT end, as a shell reports it
        Assert.Equal(before, CliKit.HashTree(source));

        // The kernel released the target's lock with the process: the next backup runs to the end.
        using var again = HostProcess.Start(temp.Path, env, "backup", source, "--kind", "copy", "--out", temp.Combine("out"), "--repository", repo, "--json");
        var next = await again.WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(next.ExitCode == ExitCodes.Ok, next.ToString());
    }

    /// <summary>A 64 MiB sample file set, the repository's path, the set's hash before the test, and the child's environment.</summary>
    private static async Task<(string Source, string Repo, SortedDictionary<string, string> Before, Dictionary<string, string> Env)> SetUpAsync(TempDir temp, int seed)
    {
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, databaseBytes: 64L << 20, generations: 6, seed: seed);
        return (source, temp.Combine("repo"), CliKit.HashTree(source), CliKit.ChildEnvironment(temp));
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\(pid (\d+), (?:JIT|Native AOT)\)")]
    private static partial System.Text.RegularExpressions.Regex WorkerPid();
}
