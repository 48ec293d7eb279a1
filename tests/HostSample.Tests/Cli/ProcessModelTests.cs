using System.Text.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>The host runs the plugin either way: <c>--process-model out-of-process</c> drives the worker through the same commands.</summary>
public sealed class ProcessModelTests
{
    [Fact]
    public async Task Demo_runs_out_of_process_through_the_worker()
    {
        using var temp = new TempDir();
        var run = await CliKit.RunAsync("demo", "--dir", temp.Combine("demo"), "--database-mb", "8", "--json", "--process-model", "out-of-process", "--repository", temp.Combine("repo"));

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var demo = JsonSerializer.Deserialize(run.Out, HostJsonContext.Default.DemoOutput)!;
        Assert.True(demo.RestoredFilesMatch);
        Assert.True(demo.Verification.IsClean);
        Assert.Equal(("completed", "completed"), (demo.Full.State, demo.Incremental.State));
        Assert.Equal(new ChainInfo(demo.Full.SetId, demo.Full.SetId, 1), demo.Incremental.Manifest!.Chain);
    }

    [Fact]
    public async Task Plugins_and_inspect_work_out_of_process_and_an_unknown_model_is_refused()
    {
        var plugins = await CliKit.RunAsync("plugins", "--json", "--process-model", "out-of-process");
        Assert.True(plugins.ExitCode == ExitCodes.Ok, plugins.ToString());
        Assert.Contains("esebackup.ese", plugins.Out, StringComparison.Ordinal);

        var bad = await CliKit.RunAsync("plugins", "--process-model", "sideways");
        Assert.Equal(ExitCodes.PluginLoad, bad.ExitCode);
        Assert.Contains("sideways", bad.Error, StringComparison.Ordinal);
    }
}
