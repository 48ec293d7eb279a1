using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// A completing process really killed (SIGKILL) between truncation and the catalog's record of it: the catalog is
/// held locked by the test, so the child truncates, journals the report and then waits for the catalog; it is killed
/// there. The plugin's journal must still say what was removed, and the next <c>complete</c> must deliver exactly that
/// report to the catalog.
/// </summary>
public sealed class CompletionKillTests
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_completion_killed_between_truncation_and_the_catalog_record_is_delivered_by_the_next_complete()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // SIGSTOP/SIGCONT/SIGKILL numbers and semantics of Linux.
        }

        using var temp = new TempDir();
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, generations: 6, seed: 5);
        var repo = temp.Combine("repo");
        var state = temp.Combine("state");
        var env = CliKit.ChildEnvironment(temp);
        env["ESEBACKUP_EsePlugin__StateDirectory"] = state;
        var before = Directory.EnumerateFiles(source, "*.log").ToHashSet(StringComparer.Ordinal);

        // Phase one in its own process; the set is stored, not completed.
        CliRun staged;
        using (var p = HostProcess.Start(temp.Path, env, "backup", source, "--no-complete", "--repository", repo, "--json"))
        {
            staged = await p.WaitAsync(RunLimit);
        }

        Assert.True(staged.ExitCode == ExitCodes.Ok, staged.ToString());
        var setId = JsonSerializer.Deserialize(staged.Out, HostJsonContext.Default.BackupOutput)!.SetId;
        var journal = Path.Combine(state, "sets", setId + ".json");
        Assert.Equal("staged", JournalState(journal));

        // Stop the child the moment its journal leaves "staged" (past opening the catalog, about to truncate), hold the
        // catalog, let it run on: it truncates, journals the report, then waits for the catalog. Kill it there.
        using (var p = HostProcess.Start(temp.Path, env, "complete", setId, "--succeeded", "--repository", repo, "--json"))
        {
            var clock = Stopwatch.StartNew();
            while (JournalState(journal) is null or "staged" && !p.HasExited && clock.Elapsed < RunLimit)
            {
                Thread.SpinWait(50);
            }

            Assert.Equal(0, Signal(p.Id, SigStop));
            using var hold = new SqliteConnection($"Data Source={Path.Combine(repo, "catalog.db")};Pooling=false;Default Timeout=1");
            hold.Open();
            using (var begin = hold.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE;";
                begin.ExecuteNonQuery();   // fails (and fails the test) only if the child had already reached the catalog
            }

            Assert.NotEqual("completed", JournalState(journal) is "completed" && JournalRecorded(journal) ? "completed" : null);
            Assert.Equal(0, Signal(p.Id, SigCont));
            while (JournalState(journal) != "completed" && !p.HasExited && clock.Elapsed < RunLimit)
            {
                await Task.Delay(5);
            }

            Assert.False(p.HasExited, "the completing process ended before it could be killed: " + await p.WaitAsync(RunLimit));
            p.Kill();   // SIGKILL
            var killed = await p.WaitAsync(RunLimit);
            Assert.NotEqual(ExitCodes.Ok, killed.ExitCode);
            using var rollback = hold.CreateCommand();
            rollback.CommandText = "ROLLBACK;";
            rollback.ExecuteNonQuery();
        }

        // The journal holds the truth: what left the disk, with its reasons; the catalog never heard of it.
        var recorded = JsonNode.Parse(await File.ReadAllTextAsync(journal))!["report"]!;
        var removed = recorded["removed"]!.AsArray().Select(r => r!["path"]!.GetValue<string>()).ToList();
        Assert.NotEmpty(removed);
        Assert.All(removed, r => Assert.False(File.Exists(r), r));
        Assert.Equal(before.Except(removed).Order(StringComparer.Ordinal), Directory.EnumerateFiles(source, "*.log").Where(before.Contains).Order(StringComparer.Ordinal));
        var show = await CliKit.RunAsync("catalog", "show", setId, "--repository", repo, "--json");
        Assert.Contains("\"stored\"", show.Out, StringComparison.Ordinal);

        // The next complete (same verdict) delivers the recorded report, and the catalog files the set as completed.
        CliRun again;
        using (var p = HostProcess.Start(temp.Path, env, "complete", setId, "--succeeded", "--repository", repo, "--json"))
        {
            again = await p.WaitAsync(RunLimit);
        }

        Assert.True(again.ExitCode == ExitCodes.Ok, again.ToString());
        var delivered = JsonSerializer.Deserialize(again.Out, ContractJsonContext.Default.CompletionResult)!.Truncation!;
        Assert.Equal(removed, delivered.Removed.Select(r => r.Path));
        Assert.Equal(TruncationStatus.Truncated, delivered.Status);
        var after = await CliKit.RunAsync("catalog", "show", setId, "--repository", repo, "--json");
        Assert.Contains("\"completed\"", after.Out, StringComparison.Ordinal);
        Assert.Equal("completed", JournalState(journal));
        Assert.True(JsonNode.Parse(await File.ReadAllTextAsync(journal))!["catalogRecorded"]!.GetValue<bool>());
    }

    private const int SigStop = 19;
    private const int SigCont = 18;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);

    private static bool JournalRecorded(string path) =>
        JsonNode.Parse(File.ReadAllText(path))?["catalogRecorded"]?.GetValue<bool>() == true;

    private static string? JournalState(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))?["state"]?.GetValue<string>() : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null; // being replaced right now
        }
    }
}
