namespace EseBackupPlugin.Worker.Tests.Server;

/// <summary>The worker's protocol rules, spoken in raw frames to the real executable.</summary>
public sealed class ProtocolTests
{
    [Fact]
    public async Task A_call_before_initialize_is_a_protocol_error_then_initialize_works()
    {
        await using var worker = new RawWorker();
        var early = await worker.CallAsync("""{"jsonrpc":"2.0","id":7,"method":"discover","params":{}}""");
        Assert.Equal(7, (int)early["id"]!);
        Assert.Equal(-32002, (int)early["error"]!["code"]!);

        var init = await worker.CallAsync(RawWorker.Initialize);
        Assert.Equal("1.1", (string)init["result"]!["contractVersion"]!);
        Assert.Equal("esebackup.ese", (string)init["result"]!["plugin"]!["id"]!);

        var again = await worker.CallAsync(RawWorker.Initialize.Replace("\"id\":1", "\"id\":2", StringComparison.Ordinal));
        Assert.Equal(-32600, (int)again["error"]!["code"]!);
    }

    [Fact]
    public async Task Initialize_without_a_common_contract_major_is_refused_with_the_supported_versions()
    {
        await using var worker = new RawWorker();
        var refused = await worker.CallAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"hostName":"t","hostVersion":"1","contractVersions":["2.0"]}}""");
        Assert.Equal(-32010, (int)refused["error"]!["code"]!);
        Assert.Equal("1.1", (string)refused["error"]!["data"]!["supported"]![0]!);

        // Still uninitialized: a compatible initialize now succeeds.
        var init = await worker.CallAsync(RawWorker.Initialize.Replace("\"id\":1", "\"id\":2", StringComparison.Ordinal));
        Assert.NotNull(init["result"]);
    }

    [Fact]
    public async Task Unknown_methods_bad_params_and_bad_json_are_protocol_errors_and_the_worker_keeps_serving()
    {
        await using var worker = new RawWorker();
        await worker.CallAsync(RawWorker.Initialize);

        var unknown = await worker.CallAsync("""{"jsonrpc":"2.0","id":2,"method":"frobnicate","params":{}}""");
        Assert.Equal(-32601, (int)unknown["error"]!["code"]!);

        var badParams = await worker.CallAsync("""{"jsonrpc":"2.0","id":3,"method":"backup","params":{"kind":"full"}}""");
        Assert.Equal(-32602, (int)badParams["error"]!["code"]!);

        var notJson = await worker.CallAsync("{ not json");
        Assert.Equal(-32700, (int)notJson["error"]!["code"]!);

        var batch = await worker.CallAsync("""[{"jsonrpc":"2.0","id":4,"method":"inspect","params":{"path":"/"}}]""");
        Assert.Equal(-32600, (int)batch["error"]!["code"]!);

        // Errors of the operation itself are data: a result with a PluginError, not a JSON-RPC error.
        var missing = await worker.CallAsync("""{"jsonrpc":"2.0","id":"s-5","method":"verifySet","params":{"setDirectory":"/no/such/set"}}""");
        Assert.Equal("s-5", (string)missing["id"]!);
        Assert.Null(missing["error"]);
        Assert.NotNull(missing["result"]!["error"]!["code"]!["name"]);
    }

    [Fact]
    public async Task Shutdown_answers_null_refuses_later_calls_and_the_worker_exits_zero()
    {
        await using var worker = new RawWorker();
        await worker.CallAsync(RawWorker.Initialize);
        await worker.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"shutdown","params":{}}""");
        await worker.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"inspect","params":{"path":"/"}}""");
        var answers = new[] { await worker.ReceiveAsync(), await worker.ReceiveAsync() }.ToDictionary(m => (int)m["id"]!);
        Assert.True(answers[2].ContainsKey("result"));
        Assert.Null(answers[2]["result"]);
        Assert.Equal(-32011, (int)answers[3]["error"]!["code"]!);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await worker.Process.WaitForExitAsync(timeout.Token);
        Assert.Equal(0, worker.Process.ExitCode);
    }

    [Fact]
    public async Task Version_names_the_command_and_the_contract()
    {
        var psi = new System.Diagnostics.ProcessStartInfo(TestSupport.WorkerExecutable, "--version") { RedirectStandardOutput = true };
        foreach (var (k, v) in TestSupport.DotnetRootEnvironment())
        {
            psi.Environment[k] = v;
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.Equal(0, p.ExitCode);
        Assert.StartsWith("esebackup-worker ", text, StringComparison.Ordinal);
        Assert.Contains("contract 1.1", text, StringComparison.Ordinal);
    }
}
