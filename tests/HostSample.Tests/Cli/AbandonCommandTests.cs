using System.Text.Json;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary><c>esebackup abandon SET-ID</c>: a staged set is ended without success, every log kept, the target free.</summary>
public sealed class AbandonCommandTests
{
    [Fact]
    public async Task Abandon_keeps_every_log_frees_the_target_and_only_failure_remains()
    {
        using var temp = new TempDir();
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, generations: 5, seed: 17);
        var logs = Directory.EnumerateFiles(source, "*.log").Order(StringComparer.Ordinal).ToList();
        string[] common = ["--repository", temp.Combine("repo"), "--config", CliKit.WriteConfig(temp)];

        var staged = await CliKit.RunAsync(["backup", source, "--no-complete", "--json", .. common]);
        Assert.True(staged.ExitCode == ExitCodes.Ok, staged.ToString());
        var setId = JsonSerializer.Deserialize(staged.Out, HostJsonContext.Default.BackupOutput)!.SetId;

        var abandoned = await CliKit.RunAsync(["abandon", setId, "--json", .. common]);
        Assert.True(abandoned.ExitCode == ExitCodes.Ok, abandoned.ToString());
        var report = JsonSerializer.Deserialize(abandoned.Out, ContractJsonContext.Default.CompletionResult)!.Truncation!;
        Assert.Equal((TruncationStatus.Skipped, false), (report.Status, report.HostSucceeded));
        Assert.Equal(logs, Directory.EnumerateFiles(source, "*.log").Order(StringComparer.Ordinal));

        // Again: the recorded outcome. Success afterwards is refused; the catalog files the set as failed.
        var again = await CliKit.RunAsync(["abandon", setId, .. common]);
        Assert.True(again.ExitCode == ExitCodes.Ok, again.ToString());
        var success = await CliKit.RunAsync(["complete", setId, "--succeeded", .. common]);
        Assert.Equal(ExitCodes.AlreadyCompleted, success.ExitCode);
        Assert.Equal(logs, Directory.EnumerateFiles(source, "*.log").Order(StringComparer.Ordinal));
        var show = await CliKit.RunAsync(["catalog", "show", setId, "--json", .. common]);
        Assert.Contains("\"failed\"", show.Out, StringComparison.Ordinal);

        // The target is free: the next backup runs.
        var next = await CliKit.RunAsync(["backup", source, "--json", .. common]);
        Assert.True(next.ExitCode == ExitCodes.Ok, next.ToString());

        var unknown = await CliKit.RunAsync(["abandon", "20261203T000000Z-nosuchse", .. common]);
        Assert.Equal(ExitCodes.NotFound, unknown.ExitCode);
    }
}
