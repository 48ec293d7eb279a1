using System.Text.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Issue 16, cases 4, 5 and 6: after a kill or a catalog failure anywhere between staging and completion, the catalog
/// and the repository end in agreement (one rule: a set stored whole whose completion never ran is recorded as failed,
/// kept and restorable; everything else is abandoned and removed), an SQLite error never reaches the operator raw, and
/// read-only commands write nothing. On copies of a real Windows-written file set.
/// </summary>
public sealed class StoreCompleteAgreementTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    /// <summary>What the killed run's row must end as once the next run has recovered, by kill point.</summary>
    public static TheoryData<string, string> KillPoints => new()
    {
        { HostTestHooks.RunRecorded, nameof(HostSetState.Abandoned) },
        { HostTestHooks.StagedBeforeRecord, nameof(HostSetState.Abandoned) },
        { HostTestHooks.StagedRecorded, nameof(HostSetState.Abandoned) },
        { HostTestHooks.StoredBeforeRecord, nameof(HostSetState.Failed) }, // case 4: stored, never recorded as stored
        { HostTestHooks.StoredRecorded, nameof(HostSetState.Stored) },
        { HostTestHooks.CompletionBeforeRecord, nameof(HostSetState.Stored) },
        { HostTestHooks.Completed, nameof(HostSetState.Completed) },
    };

    [Fact]
    public void Every_pause_point_of_the_host_is_tested()
    {
        Assert.Equal(HostTestHooks.All, KillPoints.Select(row => (string)row[0]));
    }

    [Theory]
    [MemberData(nameof(KillPoints))]
    public async Task Case4_a_backup_killed_at_a_step_boundary_leaves_catalog_and_repository_in_agreement(string point, string expectedState)
    {
        using var temp = new TempDir();
        var source = CopyRealSet(temp);
        var repo = temp.Combine("repo");
        var env = CliKit.ChildEnvironment(temp);
        env[HostTestHooks.Variable] = point;

        CliRun killed;
        using (var p = HostProcess.Start(temp.Path, env, "backup", source, "--repository", repo, "--json"))
        {
            Assert.True(await p.WaitForErrorLineAsync("esebackup-test-hook: paused at " + point, RunLimit), $"never paused at {point}: {p.Snapshot()}");
            p.Kill(); // SIGKILL: no handler, no finally block runs
            killed = await p.WaitAsync(RunLimit);
        }

        var setId = Assert.Single(Rows(repo)).SetId;
        output.WriteLine($"{point}: killed with row {Assert.Single(Rows(repo)).State}, sets [{string.Join(", ", Names(Path.Combine(repo, "sets")))}], staging [{string.Join(", ", Names(Path.Combine(repo, "staging")))}]");

        // The next run recovers and succeeds.
        env.Remove(HostTestHooks.Variable);
        using (var p = HostProcess.Start(temp.Path, env, "backup", source, "--repository", repo, "--json"))
        {
            var next = await p.WaitAsync(RunLimit);
            Assert.True(next.ExitCode == ExitCodes.Ok, $"after a kill at {point} the next run failed: {next}\nkilled run: {killed}");
        }

        var expected = Enum.Parse<HostSetState>(expectedState);
        var row = Rows(repo).Single(r => r.SetId == setId);
        Assert.Equal(expected, row.State);
        await AssertAgreementAsync(repo, $"kill at {point}");
        if (expected == HostSetState.Failed)
        {
            // Marked so, kept, verifiable and restorable by id.
            Assert.Equal(SqliteCatalog.StoredNeverCompleted, row.Error);
            Assert.False(row.Truncation!.HostSucceeded); // the plugin was told
            var verify = await CliKit.RunAsync("verify-set", setId, "--repository", repo);
            Assert.True(verify.ExitCode == ExitCodes.Ok, verify.ToString());
            var restore = await CliKit.RunAsync("restore", setId, "--to", temp.Combine("restored"), "--repository", repo, "--config", CliKit.WriteConfig(temp));
            Assert.True(restore.ExitCode == ExitCodes.Ok, restore.ToString());
            Assert.Equal(CliKit.HashFile(Path.Combine(source, "SRUDB.dat")), CliKit.HashFile(temp.Combine("restored", "SRUDB.dat")));
        }
    }

    /// <summary>The write steps of a backup, as the catalog names them in its errors.</summary>
    public static TheoryData<string, int, bool> CatalogFaults
    {
        get
        {
            var data = new TheoryData<string, int, bool>();
            foreach (var step in new[] { "record the start of the run", "record the staged set", "record that the set was stored", "record the set's completion" })
            {
                foreach (var code in new[] { 13, 10 })
                {
                    data.Add(step, code, false);
                }

                data.Add(step, 13, true); // the disk stays full: recording the failure fails too
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(CatalogFaults))]
    public async Task Case5_a_catalog_failure_at_any_step_is_reported_in_words_the_plugin_is_told_and_the_next_run_restores_agreement(string step, int sqliteError, bool diskStaysFull)
    {
        using var temp = new TempDir();
        var source = CopyRealSet(temp);
        var repo = temp.Combine("repo");
        string[] common = ["--repository", repo, "--config", CliKit.WriteConfig(temp)];
        var full = sqliteError == 13 ? "database or disk is full" : "disk I/O error";
        var failing = false;

        CliRun run;
        SqliteCatalog.InjectedFault.Value = s =>
        {
            failing |= s == step;
            return failing && (diskStaysFull || s == step) ? new SqliteException($"SQLite Error {sqliteError}: '{full}'.", sqliteError) : null;
        };
        try
        {
            run = await CliKit.RunAsync(["backup", source, .. common]);
        }
        finally
        {
            SqliteCatalog.InjectedFault.Value = null;
        }

        var label = $"{step}, SQLite error {sqliteError}{(diskStaysFull ? ", disk stays full" : string.Empty)}";
        Assert.True(failing, $"{label}: the step never ran: {run}");
        if (step == "record the set's completion")
        {
            // The plugin's own record of its verdict: the set is stored, the host says so and how to finish it.
            Assert.True(run.ExitCode != ExitCodes.Ok || run.Error.Contains("catalog", StringComparison.OrdinalIgnoreCase), $"{label}: {run}");
        }
        else
        {
            Assert.True(run.ExitCode == ExitCodes.Failed, $"{label}: {run}");
        }

        // In words: which catalog, which step, why; SQLite's text only after that.
        var error = run.Error;
        if (run.ExitCode != ExitCodes.Ok)
        {
            Assert.Contains($"The catalog '{Path.Combine(repo, "catalog.db")}' could not {step}", error, StringComparison.Ordinal);
            Assert.Contains(sqliteError == 13 ? "the disk is full" : "a disk I/O error", error, StringComparison.Ordinal);
            Assert.DoesNotContain("error: SQLite", error, StringComparison.Ordinal);
        }

        if (step == "record that the set was stored")
        {
            Assert.Contains("The plugin was told the backup failed", error, StringComparison.Ordinal);
        }

        // In-process, the failed run's "process" is this test's, which lives on; a real host process ends with its command.
        EndRunsOfThisProcess(repo);

        // The next run (the disk freed) recovers, succeeds, and leaves the two in agreement.
        var next = await CliKit.RunAsync(["backup", source, .. common]);
        Assert.True(next.ExitCode == ExitCodes.Ok, $"{label}: the next run failed: {next}");
        await AssertAgreementAsync(repo, label);
        var first = Rows(repo).OrderBy(r => r.StartedAt).FirstOrDefault();
        if (step == "record that the set was stored")
        {
            Assert.Equal(HostSetState.Failed, first!.State);
            Assert.NotNull(first.SetPath);
            Assert.False(first.Truncation?.HostSucceeded ?? false);
        }
    }

    [Fact]
    public async Task Case6_read_only_commands_write_nothing_and_a_mistyped_repository_is_an_error_not_a_new_one()
    {
        using var temp = new TempDir();
        var source = CopyRealSet(temp);
        var repo = temp.Combine("repo");
        var backup = await CliKit.RunAsync("backup", source, "--repository", repo, "--config", CliKit.WriteConfig(temp), "--json");
        Assert.True(backup.ExitCode == ExitCodes.Ok, backup.ToString());
        var setId = JsonSerializer.Deserialize(backup.Out, HostJsonContext.Default.BackupOutput)!.SetId;

        // A run whose process is gone: listing must not record it as abandoned (that is a write).
        using (var catalog = new SqliteCatalog(Path.Combine(repo, "catalog.db")))
        {
            catalog.BeginRun("20260101T000000Z-deadbeef", "fs-dead", Abstractions.BackupKind.Full);
        }

        using (var c = new SqliteConnection($"Data Source={Path.Combine(repo, "catalog.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE sets SET owner_pid = 2147483646 WHERE set_id = '20260101T000000Z-deadbeef'";
            cmd.ExecuteNonQuery();
        }

        var before = Snapshot(repo);
        foreach (var args in new[] { new[] { "catalog", "list" }, ["catalog", "list", "--json"], ["catalog", "show", setId], ["verify-set", setId] })
        {
            var run = await CliKit.RunAsync([.. args, "--repository", repo]);
            Assert.True(run.ExitCode == ExitCodes.Ok, $"{string.Join(' ', args)}: {run}");
            Assert.Equal(before, Snapshot(repo));
        }

        Assert.Equal(HostSetState.Running, Rows(repo).Single(r => r.SetId == "20260101T000000Z-deadbeef").State);

        // A mistyped repository: a clear error naming it, and nothing created.
        var typo = temp.Combine("repo-typo");
        foreach (var args in new[] { new[] { "catalog", "list" }, ["catalog", "show", setId], ["verify-set", setId] })
        {
            var run = await CliKit.RunAsync([.. args, "--repository", typo]);
            Assert.True(run.ExitCode == ExitCodes.Failed, $"{string.Join(' ', args)}: {run}");
            Assert.Contains($"There is no catalog at '{Path.Combine(typo, "catalog.db")}'", run.Error, StringComparison.Ordinal);
            Assert.False(Directory.Exists(typo), $"{string.Join(' ', args)} created {typo}");
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------

    /// <summary>The tiny Windows Server 2022 SRUM set: a database, two generations, a checkpoint (copied, never touched in place).</summary>
    internal static string CopyRealSet(TempDir temp)
    {
        var from = TestSupport.SharedTestData("ese", "srum-server2022-first-generations");
        var to = temp.Combine("source");
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from))
        {
            var dest = Path.Combine(to, Path.GetFileName(f));
            File.Copy(f, dest);
            File.SetAttributes(dest, FileAttributes.Normal);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dest, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        return to;
    }

    /// <summary>
    /// The one rule, checked both ways: every row's state matches what the repository holds for it, and every directory
    /// in the repository belongs to a row that says so. No run is left running, staging is empty, every stored set verifies.
    /// </summary>
    internal static async Task AssertAgreementAsync(string repo, string label)
    {
        var rows = Rows(repo);
        var sets = Path.Combine(repo, "sets");
        var staging = Path.Combine(repo, "staging");
        Assert.True(Names(staging).Length == 0, $"{label}: staging holds [{string.Join(", ", Names(staging))}]");
        foreach (var row in rows)
        {
            var dir = Path.Combine(sets, row.SetId);
            switch (row.State)
            {
                case HostSetState.Running or HostSetState.Staged:
                    Assert.Fail($"{label}: set {row.SetId} is still {row.State} after recovery");
                    break;
                case HostSetState.Abandoned:
                    Assert.False(Directory.Exists(dir), $"{label}: set {row.SetId} is Abandoned in the catalog but {dir} is in the repository");
                    break;
                case HostSetState.Stored or HostSetState.Completed:
                    Assert.True(row.SetPath == dir && File.Exists(Path.Combine(dir, BackupManifest.FileName)), $"{label}: set {row.SetId} is {row.State} but {row.SetPath} is not a set");
                    break;
                case HostSetState.Failed when row.SetPath is not null:
                    Assert.True(row.SetPath == dir && File.Exists(Path.Combine(dir, BackupManifest.FileName)), $"{label}: set {row.SetId} is failed-but-kept at {row.SetPath}, which is not a set");
                    break;
                case HostSetState.Failed:
                    Assert.False(Directory.Exists(dir), $"{label}: set {row.SetId} failed without a stored set, but {dir} is in the repository");
                    break;
            }
        }

        foreach (var dir in Directory.Exists(sets) ? Directory.GetDirectories(sets) : [])
        {
            Assert.True(rows.Any(r => r.SetPath == dir && r.State is HostSetState.Stored or HostSetState.Completed or HostSetState.Failed), $"{label}: {dir} is in the repository but no catalog row says it is stored");
            var v = await SamplePlugin.Plugin.VerifySetAsync(new VerifySetRequest(dir));
            Assert.True(v.IsClean, $"{label}: {dir} does not verify: {v.Error}");
        }
    }

    private static void EndRunsOfThisProcess(string repo)
    {
        using var c = new SqliteConnection($"Data Source={Path.Combine(repo, "catalog.db")};Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE sets SET owner_pid = 2147483646 WHERE owner_pid = $pid";
        cmd.Parameters.AddWithValue("$pid", Environment.ProcessId);
        cmd.ExecuteNonQuery();
    }

    internal static IReadOnlyList<CatalogRow> Rows(string repo)
    {
        using var catalog = SqliteCatalog.OpenReadOnly(Path.Combine(repo, "catalog.db"));
        return catalog.List();
    }

    private static string[] Names(string directory) =>
        Directory.Exists(directory) ? [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!] : [];

    /// <summary>Every file of the repository's top level with its size and hash (the catalog and any side file).</summary>
    private static string Snapshot(string repo) =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(repo, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => File.Exists(p) ? $"{Path.GetRelativePath(repo, p)} {new FileInfo(p).Length} {CliKit.HashFile(p)}" : Path.GetRelativePath(repo, p)));
}
