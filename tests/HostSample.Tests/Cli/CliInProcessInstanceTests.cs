using System.Diagnostics;
using System.Text.Json.Nodes;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// <c>esebackup</c> on in-process instance targets, end to end through the host (plugin loaded from plugins/ese, SQLite
/// catalog, repository) against the esent.dll ABI fake: a real SRUM file set (logs 25–32, checkpoint 32) configured as
/// <c>EsePlugin:EsentInstances:FileSets</c>, the fake found through <c>EsePlugin:EsentInstances:NativeLibraryDirectory</c>.
/// </summary>
[Collection(NativeFakesCollection.Name)]
public sealed class CliInProcessInstanceTests : IDisposable
{
    private readonly CliHarness _cli;
    private readonly string _live;

    public CliInProcessInstanceTests()
    {
        FakeEsent.Reset();
        var temp = new TempDir();
        _live = temp.Combine("live");
        _cli = new CliHarness(new JsonObject
        {
            ["EsentInstances"] = new JsonObject
            {
                ["NativeLibraryDirectory"] = AppContext.BaseDirectory,
                ["FileSets"] = new JsonArray(new JsonObject { ["Directory"] = _live, ["BaseName"] = "SRU" }),
            },
            ["Engine"] = new JsonObject { ["LockDirectory"] = temp.Combine("locks") },
            ["StateDirectory"] = temp.Combine("state"),
        });
        _scratch = temp;
        Directory.CreateDirectory(_live);
        foreach (var file in Directory.EnumerateFiles(TestSupport.SharedTestData("ese", "srum-win10-clean-with-logs")))
        {
            var copy = Path.Combine(_live, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetAttributes(copy, FileAttributes.Normal);
        }
    }

    private readonly TempDir _scratch;

    private bool LiveLogExists(long generation) => File.Exists(Path.Combine(_live, $"SRU{generation:X5}.log"));

    private async Task<string> DiscoverOneAsync()
    {
        var run = await _cli.RunExpectingAsync(ExitCodes.Ok, "discover", "--kind", "inProcessInstance", "--json");
        var target = Assert.Single(run.Json.AsArray())!;
        Assert.Equal("inProcessInstance", target["kind"]!.GetValue<string>());
        Assert.Equal(Path.Combine(_live, "SRUDB.dat"), target["databases"]![0]!["path"]!.GetValue<string>());
        return target["id"]!.GetValue<string>();
    }

    [NativeFakeFact]
    public async Task Discover_backup_full_and_incremental_verify_and_restore_through_the_cli()
    {
        var id = await DiscoverOneAsync();

        // Full with the default strategy (jet-backup-instance): ESE truncates during the backup; the host's run completes it.
        var full = (await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", id, "--json")).Json;
        Assert.Equal("completed", full["state"]!.GetValue<string>());
        var manifest = full["manifest"]!;
        Assert.Equal("full", manifest["kind"]!.GetValue<string>());
        Assert.Equal("jet-backup-instance", manifest["producer"]!["strategy"]!.GetValue<string>());
        Assert.Equal(["SRUDB.dat", "SRUDB.pat", "SRU00020.log"], manifest["files"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()));
        Assert.Equal("duringBackup", manifest["truncation"]!["mode"]!.GetValue<string>());
        Assert.Equal("doneByEngine", full["truncation"]!["status"]!.GetValue<string>());
        Assert.Equal("ese", full["truncation"]!["performedBy"]!.GetValue<string>());
        Assert.False(LiveLogExists(25));
        Assert.Contains("JetTerm2", FakeEsent.CallLog());   // the run ended by terminating its private instance
        var fullId = full["setId"]!.GetValue<string>();

        var inc = (await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", id, "--kind", "incremental", "--json")).Json;
        Assert.Equal("completed", inc["state"]!.GetValue<string>());
        Assert.Equal(["SRU00021.log"], inc["manifest"]!["files"]!.AsArray().Select(f => f!["path"]!.GetValue<string>()));
        Assert.Equal(fullId, inc["manifest"]!["chain"]!["previousSetId"]!.GetValue<string>());
        var incId = inc["setId"]!.GetValue<string>();

        await _cli.RunExpectingAsync(ExitCodes.Ok, "verify-set", fullId);
        await _cli.RunExpectingAsync(ExitCodes.Ok, "verify-set", incId);
        // The same verdict again succeeds and shows the recorded report; the other verdict is refused (9).
        var completeAgain = await _cli.RunExpectingAsync(ExitCodes.Ok, "complete", fullId, "--succeeded");
        Assert.Contains("already completed", completeAgain.Error, StringComparison.Ordinal);
        var conflicting = await _cli.RunExpectingAsync(ExitCodes.AlreadyCompleted, "complete", fullId, "--failed");
        Assert.Contains("AlreadyCompleted", conflicting.Error, StringComparison.Ordinal);

        // Files only: the layout ESE's restore expects, and every file verifies.
        var files = _scratch.Combine("restore-files");
        await _cli.RunExpectingAsync(ExitCodes.Ok, "restore", incId, "--to", files);
        Assert.Equal(["SRU00020.log", "SRU00021.log", "SRUDB.dat", "SRUDB.pat"], Directory.EnumerateFiles(files).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        await _cli.RunExpectingAsync(ExitCodes.Ok, "verify", Path.Combine(files, "SRUDB.dat"), Path.Combine(files, "SRU00020.log"), Path.Combine(files, "SRU00021.log"));

        // Through ESE: JetRestoreInstance (the fake) leaves a clean database.
        var restored = _scratch.Combine("restore-ese");
        var run = await _cli.RunExpectingAsync(ExitCodes.Ok, "restore", incId, "--to", restored, "--ese-restore");
        Assert.Contains("through ESE", run.Out, StringComparison.Ordinal);
        Assert.Equal(1, FakeEsent.CallCount("JetRestoreInstanceW"));
        var inspected = (await _cli.RunExpectingAsync(ExitCodes.Ok, "inspect", Path.Combine(restored, "SRUDB.dat"), "--json")).Json;
        Assert.Equal("CleanShutdown", inspected["details"]!["state"]!.GetValue<string>());
    }

    [NativeFakeFact]
    public async Task A_streaming_set_completes_only_in_the_run_that_staged_it()
    {
        var id = await DiscoverOneAsync();

        // Staged and stored, not completed: the session ends with this run, as aborted, truncating nothing.
        var staged = await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", id, "--strategy", "jet-streaming", "--no-complete", "--json");
        Assert.Equal("stored", staged.Json["state"]!.GetValue<string>());
        Assert.Equal("onSuccessfulCompletion", staged.Json["manifest"]!["truncation"]!["mode"]!.GetValue<string>());
        Assert.Contains("SessionLost", staged.Error, StringComparison.Ordinal);
        Assert.Equal(1, FakeEsent.EndAbortCount());
        Assert.All(Enumerable.Range(25, 8), g => Assert.True(LiveLogExists(g)));

        // A later run cannot complete it: clear (SessionLost) and safe (nothing truncated).
        var setId = staged.Json["setId"]!.GetValue<string>();
        var complete = await _cli.RunExpectingAsync(ExitCodes.SessionLost, "complete", setId, "--succeeded");
        Assert.Contains("SessionLost", complete.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was truncated", complete.Error, StringComparison.Ordinal);
        Assert.Contains("Skipped", complete.Out, StringComparison.Ordinal);
        Assert.Equal(0, FakeEsent.CallCount("JetTruncateLogInstance"));
        Assert.All(Enumerable.Range(25, 8), g => Assert.True(LiveLogExists(g)));

        // Completed in the same run: the plugin truncates through ESE once the set is stored.
        var completed = (await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", id, "--strategy", "jet-streaming", "--json")).Json;
        Assert.Equal("completed", completed["state"]!.GetValue<string>());
        Assert.Equal("truncated", completed["truncation"]!["status"]!.GetValue<string>());
        Assert.Equal("plugin", completed["truncation"]!["performedBy"]!.GetValue<string>());
        // Generations 25..33: the aborted backup had rolled the log once already (32 archived, 33 current), this one rolled 33.
        Assert.Equal(Enumerable.Range(25, 9).Select(g => (long)g), completed["truncation"]!["removed"]!.AsArray().Select(r => r!["generation"]!.GetValue<long>()));
        Assert.All(Enumerable.Range(25, 9), g => Assert.False(LiveLogExists(g)));
        Assert.Equal(1, FakeEsent.CallCount("JetTruncateLogInstance"));
    }

    [NativeFakeFact]
    public async Task The_host_executable_finds_the_fake_copied_into_its_plugin_folder()
    {
        // The other way to reach the fake, run as a real child process of the built host (whose directory holds no
        // fake): esent.dll copied beside the plugin assembly, found by the runtime's own probing from the plugin's load
        // context, enabled by EsePlugin:EsentInstances:UseNativeLibraryOffWindows.
        var hostDirectory = Path.Combine(TestSupport.RepoRoot, "src", "HostSample", "bin", TestSupport.BuildConfiguration, "net10.0");
        Assert.False(File.Exists(Path.Combine(hostDirectory, "esent.dll")));
        var manifest = TestSupport.PluginCopy(_scratch);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "esent.dll"), Path.Combine(Path.GetDirectoryName(manifest)!, "esent.dll"));
        var config = _scratch.Combine("switch.json");
        File.WriteAllText(config, new JsonObject
        {
            ["EsePlugin"] = new JsonObject
            {
                ["EsentInstances"] = new JsonObject
                {
                    ["UseNativeLibraryOffWindows"] = true,
                    ["FileSets"] = new JsonArray(new JsonObject { ["Directory"] = _live }),
                },
                ["StateDirectory"] = _scratch.Combine("state"),
            },
        }.ToJsonString());

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _scratch.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { Path.Combine(hostDirectory, "EseBackupPlugin.HostSample.dll"), "discover", "--kind", "inProcessInstance", "--json", "--plugin", manifest, "--config", config, "--repository", _scratch.Combine("child-repo") })
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var error = child.StandardError.ReadToEndAsync();
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(child.ExitCode == ExitCodes.Ok, $"exit {child.ExitCode}: {await error}");

        var target = Assert.Single(JsonNode.Parse(await output)!.AsArray())!;
        Assert.Equal("inProcessInstance", target["kind"]!.GetValue<string>());
        Assert.Equal(Path.Combine(_live, "SRUDB.dat"), target["databases"]![0]!["path"]!.GetValue<string>());
    }

    public void Dispose()
    {
        FakeEsent.Reset();
        _cli.Dispose();
        _scratch.Dispose();
    }
}
