using System.Formats.Tar;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Every <c>esebackup</c> command with the plugin in <c>esebackup-worker</c> (<c>--process-model out-of-process</c> or
/// <c>Host:ProcessModel</c>): the real CLI, the real worker process, the real SQLite catalog. Stream mode included: the tar
/// travels over the host's own local endpoint, never inside the JSON-RPC messages.
/// </summary>
public sealed partial class OutOfProcessCommandTests : IDisposable
{
    private const string WorkerStarted = "esebackup-worker";

    private readonly TempDir _temp = new();
    private readonly string _config;
    private readonly string _repo;
    private readonly string _source;

    public OutOfProcessCommandTests()
    {
        _repo = _temp.Combine("repo");
        _source = _temp.Combine("source");
        _config = CliKit.WriteConfig(_temp);
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Runs a command out of process (verbose, so the log shows the worker), expecting an exit code.</summary>
    private async Task<CliRun> RunAsync(int exitCode, params string[] args)
    {
        var run = await CliKit.RunAsync([.. args, "--process-model", "out-of-process", "--verbose", "--repository", _repo, "--config", _config]);
        Assert.True(run.ExitCode == exitCode, $"esebackup {string.Join(' ', args)}: expected exit {exitCode}\n{run}");
        return run;
    }

    /// <summary>Runs a command that needs the plugin: it must have been served by a worker process.</summary>
    private async Task<CliRun> RunInWorkerAsync(int exitCode, params string[] args)
    {
        var run = await RunAsync(exitCode, args);
        Assert.True(run.Error.Contains(WorkerStarted, StringComparison.Ordinal), $"esebackup {string.Join(' ', args)} did not run the worker:\n{run}");
        return run;
    }

    [Fact]
    public async Task Every_command_works_out_of_process()
    {
        await SamplePlugin.CreateAsync(_source, databaseBytes: 4L << 20, generations: 5, seed: 11);
        var database = Path.Combine(_source, "database1.edb");

        Assert.Contains("esebackup.ese", (await RunInWorkerAsync(ExitCodes.Ok, "plugins", "--json")).Out, StringComparison.Ordinal);
        Assert.Equal("database", (await RunInWorkerAsync(ExitCodes.Ok, "inspect", database, "--json")).Json["kind"]!.GetValue<string>());
        await RunInWorkerAsync(ExitCodes.Ok, "verify", _source);
        var id = Assert.Single((await RunInWorkerAsync(ExitCodes.Ok, "discover", "--path", _source, "--json")).Json.AsArray())!["id"]!.GetValue<string>();

        // Full, completed in the same run; then an incremental staged and completed by later runs.
        var full = (await RunInWorkerAsync(ExitCodes.Ok, "backup", id, "--json")).Json;
        Assert.Equal("completed", full["state"]!.GetValue<string>());
        var databaseOfTheFull = CliKit.HashFile(database);
        await SamplePlugin.AdvanceAsync(_source, 2);
        var inc = (await RunInWorkerAsync(ExitCodes.Ok, "backup", id, "--kind", "incremental", "--no-complete", "--json")).Json;
        Assert.Equal("stored", inc["state"]!.GetValue<string>());
        var incId = inc["setId"]!.GetValue<string>();
        Assert.Equal(full["setId"]!.GetValue<string>(), inc["manifest"]!["chain"]!["previousSetId"]!.GetValue<string>());
        var completed = (await RunInWorkerAsync(ExitCodes.Ok, "complete", incId, "--succeeded", "--json")).Json;
        Assert.NotNull(completed["truncation"]);
        // Answered from the recorded outcome (the host's catalog), in either process model.
        Assert.Contains("already completed", (await RunAsync(ExitCodes.Ok, "complete", incId, "--succeeded")).Error, StringComparison.Ordinal);
        await RunAsync(ExitCodes.AlreadyCompleted, "complete", incId, "--failed");

        // Abandon: logs kept, the target released (the next backup is not busy).
        var copyId = (await RunInWorkerAsync(ExitCodes.Ok, "backup", id, "--kind", "copy", "--no-complete", "--print-set-id")).Out.Trim();
        var logsBefore = CliKit.HashTree(_source);
        await RunInWorkerAsync(ExitCodes.Ok, "abandon", copyId);
        Assert.Equal(logsBefore, CliKit.HashTree(_source));

        // The stored chain verifies and restores through the worker.
        await RunInWorkerAsync(ExitCodes.Ok, "verify-set", incId);
        var restored = _temp.Combine("restored");
        await RunInWorkerAsync(ExitCodes.Ok, "restore", incId, "--to", restored);
        Assert.Equal(databaseOfTheFull, CliKit.HashFile(Path.Combine(restored, "database1.edb")));
        await RunInWorkerAsync(ExitCodes.Ok, "verify", restored);

        // --out DIR: staged outside the repository, pending; verify-set and restore --from take it without the catalog.
        var outDir = _temp.Combine("out");
        var exportedId = (await RunInWorkerAsync(ExitCodes.Ok, "backup", id, "--kind", "copy", "--out", outDir, "--print-set-id")).Out.Trim();
        var exported = Path.Combine(outDir, exportedId);
        Assert.True(File.Exists(Path.Combine(exported, "manifest.json")));
        await RunInWorkerAsync(ExitCodes.Ok, "verify-set", "--from", exported);
        await RunInWorkerAsync(ExitCodes.Ok, "restore", "--from", exported, "--to", _temp.Combine("restored-from"));
        Assert.Equal(CliKit.HashFile(database), CliKit.HashFile(_temp.Combine("restored-from", "database1.edb")));
        await RunAsync(ExitCodes.Ok, "catalog", "import", outDir);

        // Hook mode: pre stages and remembers, post completes from the job's status.
        var preId = (await RunInWorkerAsync(ExitCodes.Ok, "hook", "pre", _source, "--level", "incremental", "--print-set-id")).Out.Trim();
        await RunInWorkerAsync(ExitCodes.Ok, "hook", "post", _source, "--status", "success");
        var shown = (await RunAsync(ExitCodes.Ok, "catalog", "show", preId, "--json")).Json;
        Assert.Equal("completed", shown["state"]!.GetValue<string>());

        // The catalog commands read the host's own catalog.
        var list = (await RunAsync(ExitCodes.Ok, "catalog", "list", "--json")).Json.AsArray();
        Assert.Contains(list, r => r!["setId"]!.GetValue<string>() == copyId && r["state"]!.GetValue<string>() == "failed");
        var svg = _temp.Combine("chain.svg");
        await RunAsync(ExitCodes.Ok, "catalog", "chain", id, "--svg", svg);
        Assert.Contains("<svg", await File.ReadAllTextAsync(svg), StringComparison.Ordinal);

        // Prune: the abandoned set and the never-completed export go; the completed chain stays.
        var pruned = (await RunInWorkerAsync(ExitCodes.Ok, "prune", "--pending-older-than", "0", "--json")).Json["sets"]!.AsArray()
            .Select(s => s!["setId"]!.GetValue<string>()).ToList();
        Assert.Contains(copyId, pruned);
        Assert.Contains(exportedId, pruned);
        Assert.DoesNotContain(incId, pruned);
        await RunAsync(ExitCodes.Ok, "catalog", "show", incId);
    }

    [Fact]
    public async Task The_process_model_comes_from_the_configuration_and_the_command_line_overrides_it()
    {
        var config = CliKit.WriteConfig(_temp, json => json["Host"] = new JsonObject { ["ProcessModel"] = "out-of-process" });
        var configured = await CliKit.RunAsync("plugins", "--verbose", "--repository", _repo, "--config", config);
        Assert.True(configured.ExitCode == ExitCodes.Ok, configured.ToString());
        Assert.Contains(WorkerStarted, configured.Error, StringComparison.Ordinal);

        var overridden = await CliKit.RunAsync("plugins", "--verbose", "--process-model", "in-process", "--repository", _repo, "--config", config);
        Assert.True(overridden.ExitCode == ExitCodes.Ok, overridden.ToString());
        Assert.DoesNotContain(WorkerStarted, overridden.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stream_mode_works_out_of_process_and_the_set_never_crosses_the_json_rpc_pipe()
    {
        await SamplePlugin.CreateAsync(_source, databaseBytes: 16L << 20, generations: 4, seed: 12);
        var before = CliKit.HashTree(_source);

        var sink = new MemoryStream();
        var run = await CliKit.RunWithStreamsAsync(() => sink, null, "backup", _source, "--out", "-", "--process-model", "out-of-process", "--verbose", "--repository", _repo, "--config", _config);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Empty(run.Out);
        var bytes = sink.ToArray();
        var names = await TarNamesAsync(bytes);
        Assert.Equal("manifest.json", names[^1]);
        Assert.Contains("database1.edb", names);
        Assert.True(bytes.AsSpan(bytes.Length - 1024).IndexOfAnyExcept((byte)0) < 0, "the stream ends with the end-of-archive blocks");

        // Only control messages went over the protocol pipe: a few kilobytes for a 16 MiB set.
        var traffic = ProtocolTraffic().Match(run.Error);
        Assert.True(traffic.Success, run.Error);
        var protocolBytes = long.Parse(traffic.Groups[1].Value, CultureInfo.InvariantCulture) + long.Parse(traffic.Groups[2].Value, CultureInfo.InvariantCulture);
        Assert.True(protocolBytes < bytes.Length / 100, $"{protocolBytes} protocol bytes for a {bytes.Length}-byte stream");

        // The stream restores byte-identical; the set is pending until a later run completes it.
        var restored = _temp.Combine("restored");
        var restore = await CliKit.RunWithStreamsAsync(null, () => new MemoryStream(bytes), "restore", "--from", "-", "--to", restored, "--process-model", "out-of-process", "--repository", _repo, "--config", _config);
        Assert.True(restore.ExitCode == ExitCodes.Ok, restore.ToString());
        Assert.Equal(before["database1.edb"], CliKit.HashFile(Path.Combine(restored, "database1.edb")));
        var setId = (await RunAsync(ExitCodes.Ok, "catalog", "list", "--json")).Json[0]!["setId"]!.GetValue<string>();
        await RunInWorkerAsync(ExitCodes.Ok, "complete", setId, "--succeeded");

        // Hook mode streams too (a bpipe reader), and post completes it.
        var hookSink = new MemoryStream();
        var pre = await CliKit.RunWithStreamsAsync(() => hookSink, null, "hook", "pre", _source, "--kind", "auto", "--out", "-", "--process-model", "out-of-process", "--repository", _repo, "--config", _config);
        Assert.True(pre.ExitCode == ExitCodes.Ok, pre.ToString());
        Assert.Equal("manifest.json", (await TarNamesAsync(hookSink.ToArray()))[^1]);
        await RunInWorkerAsync(ExitCodes.Ok, "hook", "post", _source, "--status", "success");
    }

    [Fact]
    public async Task A_stream_cut_out_of_process_fails_leaves_an_invalid_tar_truncates_nothing_and_no_lock()
    {
        await SamplePlugin.CreateAsync(_source, databaseBytes: 4L << 20, generations: 4, seed: 13);
        var before = CliKit.HashTree(_source);
        foreach (var cut in new long[] { 0, 100_000, 3_000_000 })
        {
            var sink = new StreamModeTests.CuttingStream(cut);
            var run = await CliKit.RunWithStreamsAsync(() => sink, null, "backup", _source, "--kind", "full", "--out", "-", "--process-model", "out-of-process", "--repository", _repo, "--config", _config);
            Assert.True(run.ExitCode == ExitCodes.Failed, $"cut at {cut}: {run}");
            Assert.Contains("Broken pipe", run.Error, StringComparison.Ordinal);
            var received = sink.Received;
            Assert.True(received.Length <= cut);
            Assert.False(
                received.Length >= 1024 && received.AsSpan(received.Length - 1024).IndexOfAnyExcept((byte)0) < 0,
                $"cut at {cut}: the stream must not end with end-of-archive blocks");
            Assert.Equal(before, CliKit.HashTree(_source));
        }

        var states = (await RunAsync(ExitCodes.Ok, "catalog", "list", "--json")).Json.AsArray().Select(r => r!["state"]!.GetValue<string>()).ToList();
        Assert.Equal(3, states.Count(s => s == "failed"));

        // Not locked: the next backup of the target runs.
        await RunInWorkerAsync(ExitCodes.Ok, "backup", _source, "--kind", "full", "--out", _temp.Combine("staged"));
    }

    private static async Task<List<string>> TarNamesAsync(byte[] bytes)
    {
        var names = new List<string>();
        await using var reader = new TarReader(new MemoryStream(bytes));
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            Assert.Equal(TarEntryFormat.Pax, entry.Format);
            names.Add(entry.Name);
        }

        return names;
    }

    [GeneratedRegex(@"(\d+) bytes of protocol messages received, (\d+) sent")]
    private static partial Regex ProtocolTraffic();
}
