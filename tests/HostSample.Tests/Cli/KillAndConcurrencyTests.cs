using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Xunit.Abstractions;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>A synthetic file set of a few hundred MB, made once for the tests that need a backup to take a while.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class LargeSetFixture : IAsyncLifetime
{
    private readonly TempDir _temp = new();

    public string Source => _temp.Combine("large-source");

    /// <summary>SHA-256 of every file of the set as made.</summary>
    public SortedDictionary<string, string> Hashes { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Two 192 MiB databases (dirty: the full takes the checkpoint's and the current generation) and five logs.
        await SamplePlugin.CreateAsync(Source, databaseBytes: 192L << 20, databases: 2, generations: 5, seed: 99);
        Hashes = CliKit.HashTree(Source);
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>
/// Guarantees 2 and 5 (DESIGN §4) across processes, with the real CLI and its SQLite catalog: a backup process
/// killed (SIGKILL) at any moment leaves no set that looks complete, no completed catalog row, no touched log, a
/// previous set that still verifies and a lock that is free; the next run succeeds and cleans up. Two CLI processes
/// started together on one target: one runs, the other exits with 5 (BackupInProgress).
/// </summary>
public sealed class KillAndConcurrencyTests(LargeSetFixture set, ITestOutputHelper output) : IClassFixture<LargeSetFixture>
{
    private const string Partial = ".esebackup-partial-";
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(3);

    private static string[] Backup(string target, string repo, string kind = "full") =>
        ["backup", target, "--kind", kind, "--repository", repo, "--json", "--verbose"];

    [Fact]
    public async Task A_backup_process_killed_at_any_moment_leaves_nothing_that_looks_complete_and_the_next_run_cleans_up()
    {
        // Random but reproducible kill moments: ESEBACKUP_TEST_KILL_SEED replays a failed run.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("ESEBACKUP_TEST_KILL_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 4242;
        var random = new Random(seed);
        const int Kills = 20;
        using var temp = new TempDir();
        var repo = temp.Combine("repo");
        var staging = Path.Combine(repo, "staging");
        var sets = Path.Combine(repo, "sets");
        var env = CliKit.ChildEnvironment(temp);
        // The rule here is "the source is never touched": keep every log the chain does not hold (ESE's default policy
        // would remove the logs older than the first full once it completes).
        env["ESEBACKUP_EsePlugin__FileSet__TruncationPolicy"] = "StoredOnly";

        // The previous set: fulls that run to their end. The second one's duration spans the kill moments: the first
        // also pays for a cold page cache and a new repository, and would put most kills after the end of a warm run.
        CliRun first = default!;
        var duration = TimeSpan.Zero;
        for (var warmUp = 0; warmUp < 2; warmUp++)
        {
            var clock = Stopwatch.StartNew();
            using (var p = HostProcess.Start(temp.Path, env, Backup(set.Source, repo)))
            {
                first = await p.WaitAsync(RunLimit);
            }

            duration = clock.Elapsed;
            Assert.True(first.ExitCode == ExitCodes.Ok, first.ToString());
        }

        var previous = JsonSerializer.Deserialize(first.Out, HostJsonContext.Default.BackupOutput)!.SetPath!;
        output.WriteLine($"seed {seed}; an uninterrupted full takes {duration.TotalMilliseconds:F0} ms");

        // A killed run never ends on its own: it waits at the last step boundary (the catalog says Completed) until it is
        // killed, so every kill lands in a live process however fast the machine is, and "killed at any moment" includes
        // "after everything".
        var paused = new Dictionary<string, string>(env, StringComparer.Ordinal) { [HostTestHooks.Variable] = HostTestHooks.Completed };
        var verified = new HashSet<string>(StringComparer.Ordinal);
        var outcomes = new List<string>();
        for (var i = 0; i < Kills; i++)
        {
            // A moment anywhere in the run, or shortly after a milestone the run logs (the short phases after the
            // copy, where the set is committed, recorded, stored and completed, are hard to hit by time alone).
            var (after, window) = (i % 4) switch
            {
                0 or 1 => ((string?)null, duration),
                2 => ("Staged ", duration / 3),
                _ => (": staged ", TimeSpan.FromMilliseconds(12)),
            };
            var at = TimeSpan.FromMilliseconds(random.NextDouble() * window.TotalMilliseconds);
            var label = $"kill {i + 1}/{Kills} {at.TotalMilliseconds:F0} ms after {(after is null ? "start" : $"'{after.Trim()}'")}, a run takes ~{duration.TotalMilliseconds:F0} ms (seed {seed})";
            var known = Rows(repo).Select(r => r.SetId).ToHashSet(StringComparer.Ordinal);

            CliRun killedRun;
            bool killed;
            var runClock = Stopwatch.StartNew();
            using (var p = HostProcess.Start(temp.Path, paused, Backup(set.Source, repo)))
            {
                if (after is not null)
                {
                    await p.WaitForErrorLineAsync(after, RunLimit);
                }

                await Task.Delay(at);
                killed = !p.HasExited;
                if (killed)
                {
                    p.Kill();
                }

                killedRun = await p.WaitAsync(RunLimit);
            }

            if (killedRun.Error.Contains("paused at " + HostTestHooks.Completed, StringComparison.Ordinal))
            {
                // The calibration may have run while other test assemblies loaded the machine (CI runs them in
                // parallel): a run that got to its end before the kill is a better measure of how long a run takes now.
                duration = TimeSpan.FromTicks(Math.Min(duration.Ticks, runClock.Elapsed.Ticks));
            }

            var row = Rows(repo).SingleOrDefault(r => !known.Contains(r.SetId));
            var state = row?.State.ToString() ?? "no row";
            var end = killedRun.Error.Contains("paused at " + HostTestHooks.Completed, StringComparison.Ordinal) ? "killed after its end" : "killed";
            outcomes.Add($"{label}: {end}, row {state}, staging [{string.Join(", ", Entries(staging))}], sets {Directory.GetDirectories(sets).Length}");
            Assert.True(killed, $"{label}: the run ended on its own, which it may not do before the kill: {killedRun}");

            // 1. Staging: a directory is either a partial one (never a set) or a whole set that verifies clean.
            foreach (var dir in Directory.EnumerateDirectories(staging))
            {
                if (!Path.GetFileName(dir).StartsWith(Partial, StringComparison.Ordinal))
                {
                    Assert.True(File.Exists(Path.Combine(dir, BackupManifest.FileName)), $"{label}: {dir} looks like a set but has no manifest");
                    await AssertCleanAsync(dir, label);
                }
            }

            // 2. Every stored set (the previous one above all) is whole and verifies clean.
            await AssertCleanAsync(previous, label);
            foreach (var dir in Directory.EnumerateDirectories(sets).Where(d => verified.Add(d)))
            {
                await AssertCleanAsync(dir, label);
            }

            // 3. The catalog has no completed row for the run unless the run got as far as completing (it said so).
            if (row?.State == HostSetState.Completed)
            {
                Assert.True(!killed || killedRun.Error.Contains($"Set {row.SetId} completed (succeeded)", StringComparison.Ordinal), $"{label}: the killed run's row is Completed but it never completed: {killedRun}");
            }

            // 4. No log (nor anything else of the source) was touched.
            Assert.True(set.Hashes.SequenceEqual(LogsAndCheckpoint(set.Source, set.Hashes.Keys)), $"{label}: the source changed");

            // 5. The next run takes the lock, succeeds, and cleans up after the killed one.
            CliRun next;
            using (var p = HostProcess.Start(temp.Path, env, Backup(set.Source, repo, "incremental")))
            {
                next = await p.WaitAsync(RunLimit);
            }

            Assert.True(next.ExitCode == ExitCodes.Ok, $"{label}: the next run failed: {next}");
            Assert.True(Entries(staging).Length == 0, $"{label}: the next run left staging with [{string.Join(", ", Entries(staging))}]");
            var rows = Rows(repo);
            Assert.DoesNotContain(rows, r => r.State is HostSetState.Running or HostSetState.Staged);
            if (row?.State is HostSetState.Running or HostSetState.Staged)
            {
                // One rule (issue 16): a set the killed run had already stored whole is kept and recorded as failed with its
                // path; any other run is abandoned, and nothing of it stays in the repository.
                var recovered = rows.Single(r => r.SetId == row.SetId);
                var stored = Path.Combine(sets, row.SetId);
                Assert.True(
                    recovered.State == HostSetState.Abandoned ? !Directory.Exists(stored) : recovered.State == HostSetState.Failed && recovered.SetPath == stored && Directory.Exists(stored),
                    $"{label}: the killed run's row is {recovered.State} (path {recovered.SetPath}) while {stored} {(Directory.Exists(stored) ? "exists" : "does not exist")}");
            }

            Assert.True(set.Hashes.SequenceEqual(LogsAndCheckpoint(set.Source, set.Hashes.Keys)), $"{label}: the next run changed the source");
        }

        foreach (var o in outcomes)
        {
            output.WriteLine(o);
        }

        // The moments must have hit running backups, not only ones waiting after their end. Where a kill lands decides only
        // what it covers, never whether the test passes; this floor is low on purpose (a calibration slowed by other test
        // assemblies is corrected by the first kill that lands after the end, see above).
        Assert.True(outcomes.Count(o => !o.Contains("after its end", StringComparison.Ordinal)) >= Kills / 4, $"most kills came after the end (seed {seed}):\n{string.Join("\n", outcomes)}");
        Assert.Equal(set.Hashes, CliKit.HashTree(set.Source));
    }

    [Fact]
    public async Task Two_cli_processes_started_together_on_one_target_run_one_backup_the_other_exits_5()
    {
        using var temp = new TempDir();
        var repo = temp.Combine("repo");
        var env = CliKit.ChildEnvironment(temp);

        for (var round = 0; round < 3; round++)
        {
            // The last round asks for text output: the busy message goes to standard error.
            var json = round < 2;
            string[] args = ["backup", set.Source, "--repository", repo, .. json ? new[] { "--json" } : []];
            var storedBefore = Directory.Exists(Path.Combine(repo, "sets")) ? Directory.GetDirectories(Path.Combine(repo, "sets")).Length : 0;

            // The one that takes the target holds it (stored, not completed) until the other has ended: on a machine fast
            // enough to finish a whole backup before the second process starts, both would otherwise succeed.
            var resume = temp.Combine($"resume-{round}");
            var gated = new Dictionary<string, string>(env, StringComparer.Ordinal)
            {
                [HostTestHooks.Variable] = HostTestHooks.StoredRecorded,
                [HostTestHooks.ResumeVariable] = resume,
            };
            using var a = HostProcess.Start(temp.Path, gated, args);
            using var b = HostProcess.Start(temp.Path, gated, args);
            var (waitA, waitB) = (a.WaitAsync(RunLimit), b.WaitAsync(RunLimit));
            await Task.WhenAny(waitA, waitB);
            await File.WriteAllTextAsync(resume, string.Empty);
            var runs = await Task.WhenAll(waitA, waitB);

            var label = $"round {round}: A {runs[0]}\nB {runs[1]}";
            Assert.True(runs.Count(r => r.ExitCode == ExitCodes.Ok) == 1, label);
            var lost = Assert.Single(runs, r => r.ExitCode != ExitCodes.Ok);
            Assert.True(lost.ExitCode == ExitCodes.Busy, label);
            if (json)
            {
                var error = JsonSerializer.Deserialize(lost.Out, HostJsonContext.Default.BackupOutput)!.Error!;
                Assert.Equal(("BackupInProgress", -505), (error.Code.Name, error.Code.EseError));
            }
            else
            {
                Assert.Contains("BackupInProgress (JET_errBackupInProgress -505)", lost.Error, StringComparison.Ordinal);
            }

            // One new stored set, nothing left in staging, the loser's row failed with the reason.
            Assert.Equal(storedBefore + 1, Directory.GetDirectories(Path.Combine(repo, "sets")).Length);
            Assert.Empty(Entries(Path.Combine(repo, "staging")));
            var rows = Rows(repo);
            Assert.Equal(round + 1, rows.Count(r => r.State == HostSetState.Completed));
            Assert.Equal(round + 1, rows.Count(r => r.State == HostSetState.Failed && r.Error!.Contains("BackupInProgress", StringComparison.Ordinal)));
        }
    }

    private static async Task AssertCleanAsync(string setDirectory, string label)
    {
        var v = await SamplePlugin.Plugin.VerifySetAsync(new VerifySetRequest(setDirectory));
        Assert.True(v.IsClean, $"{label}: {setDirectory} does not verify: {v.Error?.ToString() ?? string.Join("; ", v.Findings.Concat(v.Files.SelectMany(f => f.Findings)).Select(f => f.Message))}");
    }

    private static IReadOnlyList<CatalogRow> Rows(string repo)
    {
        var path = Path.Combine(repo, "catalog.db");
        if (!File.Exists(path))
        {
            return [];
        }

        using var catalog = new SqliteCatalog(path);
        return catalog.List();
    }

    private static string[] Entries(string directory) =>
        Directory.Exists(directory) ? [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName)!] : [];

    /// <summary>The source's hashes: logs and checkpoint re-hashed (they are what a backup could truncate), databases as made.</summary>
    private SortedDictionary<string, string> LogsAndCheckpoint(string source, IEnumerable<string> names)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var path = Path.Combine(source, name);
            map[name] = !File.Exists(path) ? "missing" : name.EndsWith(".edb", StringComparison.Ordinal) ? set.Hashes[name] : CliKit.HashFile(path);
        }

        return map;
    }
}
