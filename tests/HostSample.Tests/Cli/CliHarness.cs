using System.Text.Json.Nodes;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>What one <c>esebackup</c> invocation printed and returned.</summary>
/// <param name="ExitCode">The exit code.</param>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
internal sealed record CliRun(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output parsed as JSON (for <c>--json</c> runs).</summary>
    public JsonNode Json => JsonNode.Parse(Out) ?? throw new InvalidOperationException("No JSON on standard output: " + Error);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

/// <summary>
/// Runs the <c>esebackup</c> command line in this process, the way the executable does (<see cref="CliApp.RunAsync"/>),
/// against a scratch repository and a configuration file holding the plugin's section. Every invocation loads the
/// plugin from plugins/ese into its own load context and disposes it at the end, like a separate host process would.
/// </summary>
internal sealed class CliHarness : IDisposable
{
    public CliHarness(JsonObject pluginSection)
    {
        Temp = new TempDir();
        Repository = Temp.Combine("repo");
        ConfigFile = Temp.Combine("config.json");
        File.WriteAllText(ConfigFile, new JsonObject { ["EsePlugin"] = pluginSection }.ToJsonString());
    }

    public TempDir Temp { get; }

    public string Repository { get; }

    public string ConfigFile { get; }

    public async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApp.RunAsync([.. args, "--repository", Repository, "--config", ConfigFile], new CliEnvironment(output, error, interactive: false));
        return new CliRun(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs and asserts the exit code, showing everything the command printed when it differs.</summary>
    public async Task<CliRun> RunExpectingAsync(int exitCode, params string[] args)
    {
        var run = await RunAsync(args);
        Assert.True(run.ExitCode == exitCode, $"esebackup {string.Join(' ', args)}: expected exit {exitCode}\n{run}");
        return run;
    }

    public void Dispose() => Temp.Dispose();
}

/// <summary>The native fakes keep process-wide state: the tests that drive them run one after the other.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeFakesCollection
{
    public const string Name = "native ABI fakes";
}

/// <summary>A [Fact] that runs only where the ABI fakes are built (off Windows).</summary>
public sealed class NativeFakeFactAttribute : FactAttribute
{
    public NativeFakeFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Runs against the native ABI fakes (esent.dll, vssapi.dll), which are only built off Windows.";
        }
    }
}
