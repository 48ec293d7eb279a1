using System.Text.Json;
using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// A completing process really killed (SIGKILL) between truncation and the catalog's record of it: the child stops at
/// the host's pause point there (after it truncated and journaled the report) and is killed. The plugin's journal must
/// still say what was removed, and the next <c>complete</c> must deliver exactly that report to the catalog.
/// </summary>
public sealed class CompletionKillTests
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_completion_killed_between_truncation_and_the_catalog_record_is_delivered_by_the_next_complete()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // SIGKILL semantics of Linux.
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

        // The child truncates, journals the report and stops at the host's pause point just before the catalog would
        // record it (a gate, not a race with the child's speed). Kill it there.
        var paused = new Dictionary<string, string>(env, StringComparer.Ordinal) { [HostTestHooks.Variable] = HostTestHooks.CompletionBeforeRecord };
        using (var p = HostProcess.Start(temp.Path, paused, "complete", setId, "--succeeded", "--repository", repo, "--json"))
        {
            Assert.True(await p.WaitForErrorLineAsync("esebackup-test-hook: paused at " + HostTestHooks.CompletionBeforeRecord, RunLimit), p.Snapshot().ToString());
            Assert.Equal("completed", JournalState(journal));
            Assert.False(JournalRecorded(journal));
            p.Kill();   // SIGKILL
            var killed = await p.WaitAsync(RunLimit);
            Assert.NotEqual(ExitCodes.Ok, killed.ExitCode);
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
