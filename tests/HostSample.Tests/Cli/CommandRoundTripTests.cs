using System.Text.Json;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// The sample host's commands end to end on real files: <c>verify</c> exit codes; <c>backup</c> → <c>complete</c> →
/// <c>verify-set</c> → <c>restore</c> → <c>catalog list|show</c> with <c>--json</c>, every document read back and
/// checked against the disk and the other commands; <c>demo --json</c>.
/// </summary>
public class CommandRoundTripTests
{
    [Fact]
    public async Task Verify_exits_0_when_clean_3_on_corruption_and_1_when_a_path_cannot_be_read()
    {
        using var temp = new TempDir();
        var source = temp.Combine("source");
        var sample = await SamplePlugin.CreateAsync(source, databaseBytes: 2L << 20, seed: 40);

        var clean = await CliKit.RunAsync("verify", source, "--json");
        Assert.True(clean.ExitCode == ExitCodes.Ok, clean.ToString());
        var report = JsonSerializer.Deserialize(clean.Out, ContractJsonContext.Default.FileVerificationReport)!;
        Assert.False(report.HasCorruption);
        Assert.False(report.HasErrors);
        Assert.Equal(Directory.EnumerateFiles(source).Count(), report.Files.Count);

        // One flipped bit in a data page of the database.
        var damaged = sample.Databases[0];
        var bytes = await File.ReadAllBytesAsync(damaged);
        var offset = Enumerable.Range(2, (bytes.Length / 8192) - 2).Select(p => p * 8192).First(o => bytes.AsSpan(o, 8192).ContainsAnyExcept((byte)0)) + 1000;
        bytes[offset] ^= 0x10;
        await File.WriteAllBytesAsync(damaged, bytes);
        var corrupt = await CliKit.RunAsync("verify", source, "--json");
        Assert.True(corrupt.ExitCode == ExitCodes.Corruption, corrupt.ToString());
        var finding = Assert.Single(JsonSerializer.Deserialize(corrupt.Out, ContractJsonContext.Default.FileVerificationReport)!.Files.SelectMany(f => f.Findings), f => f.Severity == Abstractions.Files.FindingSeverity.Corruption);
        Assert.Equal(damaged, finding.File);
        Assert.Equal((offset / 8192) - 1, finding.Page);

        // The human form says the same.
        var people = await CliKit.RunAsync("verify", damaged);
        Assert.Equal(ExitCodes.Corruption, people.ExitCode);
        Assert.Contains("PageChecksumMismatch", people.Out, StringComparison.Ordinal);

        var missing = await CliKit.RunAsync("verify", temp.Combine("no-such-dir"), "--json");
        Assert.True(missing.ExitCode == ExitCodes.Failed, missing.ToString());
        Assert.NotEmpty(JsonSerializer.Deserialize(missing.Out, ContractJsonContext.Default.FileVerificationReport)!.Errors);
    }

    [Fact]
    public async Task Backup_complete_verify_restore_and_catalog_round_trip_as_json()
    {
        using var temp = new TempDir();
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, databaseBytes: 3L << 20, databases: 2, generations: 4, seed: 41);
        var repo = temp.Combine("repo");
        string[] common = ["--repository", repo, "--config", CliKit.WriteConfig(temp)];

        // Phase one only: stored, not completed.
        var staged = await CliKit.RunAsync(["backup", source, "--no-complete", "--json", .. common]);
        Assert.True(staged.ExitCode == ExitCodes.Ok, staged.ToString());
        var full = JsonSerializer.Deserialize(staged.Out, HostJsonContext.Default.BackupOutput)!;
        Assert.Equal("stored", full.State);
        Assert.Null(full.Error);
        Assert.Equal(Path.Combine(repo, "sets", full.SetId), full.SetPath);
        Assert.Equal(full.SetId, full.Manifest!.SetId);
        // The manifest printed is the manifest stored, field for field.
        var stored = ManifestJson.Deserialize(await File.ReadAllBytesAsync(Path.Combine(full.SetPath!, BackupManifest.FileName)), full.SetPath!);
        Assert.Equal(ManifestJson.Serialize(stored), ManifestJson.Serialize(full.Manifest));
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(repo, "staging")));
        Assert.Equal("stored", (await ShowAsync(full.SetId, common)).State);

        // Phase two.
        var completed = await CliKit.RunAsync(["complete", full.SetId, "--succeeded", "--json", .. common]);
        Assert.True(completed.ExitCode == ExitCodes.Ok, completed.ToString());
        var completion = JsonSerializer.Deserialize(completed.Out, ContractJsonContext.Default.CompletionResult)!;
        Assert.Null(completion.Error);
        // ESE's rule: the logs older than the full's first log are unnecessary to its chain and go, each saying why.
        Assert.Equal((full.SetId, true, TruncationStatus.Truncated), (completion.Truncation!.SetId, completion.Truncation.HostSucceeded, completion.Truncation.Status));
        Assert.All(completion.Truncation.Removed, r => Assert.Equal(LogRemovalReason.OlderThanChain, r.Reason));
        Assert.All(completion.Truncation.Removed, r => Assert.True(r.Generation < full.Manifest.LogRange!.Low));
        Assert.All(completion.Truncation.Removed, r => Assert.False(File.Exists(r.Path), r.Path));
        var fullRow = await ShowAsync(full.SetId, common);
        Assert.Equal("completed", fullRow.State);
        Assert.Equal(JsonSerializer.Serialize(completion.Truncation, ContractJsonContext.Default.TruncationReport), JsonSerializer.Serialize(fullRow.Truncation, ContractJsonContext.Default.TruncationReport));
        var again = await CliKit.RunAsync(["complete", full.SetId, "--failed", .. common]);
        Assert.Equal(ExitCodes.AlreadyCompleted, again.ExitCode);
        Assert.Contains("AlreadyCompleted", again.Error, StringComparison.Ordinal);
        Assert.Equal("completed", (await ShowAsync(full.SetId, common)).State);
        // The same verdict twice succeeds and prints the recorded report.
        var same = await CliKit.RunAsync(["complete", full.SetId, "--succeeded", "--json", .. common]);
        Assert.True(same.ExitCode == ExitCodes.Ok, same.ToString());
        var repeated = JsonSerializer.Deserialize(same.Out, ContractJsonContext.Default.CompletionResult)!;
        Assert.Equal(JsonSerializer.Serialize(completion.Truncation, ContractJsonContext.Default.TruncationReport), JsonSerializer.Serialize(repeated.Truncation, ContractJsonContext.Default.TruncationReport));

        // The engine writes on; an incremental is stored and completed in one go, and truncates.
        await SamplePlugin.AdvanceAsync(source, 3);
        var incrementalRun = await CliKit.RunAsync(["backup", full.Manifest.Target.Id, "--kind", "incremental", "--path", source, "--json", .. common]);
        Assert.True(incrementalRun.ExitCode == ExitCodes.Ok, incrementalRun.ToString());
        var incremental = JsonSerializer.Deserialize(incrementalRun.Out, HostJsonContext.Default.BackupOutput)!;
        Assert.Equal("completed", incremental.State);
        Assert.Equal(new ChainInfo(full.SetId, full.SetId, 1), incremental.Manifest!.Chain);
        Assert.Equal(TruncationStatus.Truncated, incremental.Truncation!.Status);
        Assert.NotEmpty(incremental.Truncation.Removed);
        Assert.All(incremental.Truncation.Removed, r => Assert.False(File.Exists(r.Path), r.Path));

        // Set verification by id and by directory.
        foreach (var set in new[] { incremental.SetId, incremental.SetPath!, full.SetId })
        {
            var verified = await CliKit.RunAsync(["verify-set", set, "--json", .. common]);
            Assert.True(verified.ExitCode == ExitCodes.Ok, verified.ToString());
            var result = JsonSerializer.Deserialize(verified.Out, ContractJsonContext.Default.VerifySetResult)!;
            Assert.True(result.IsClean);
            Assert.Equal(set == full.SetId ? full.SetId : incremental.SetId, result.Manifest!.SetId);
        }

        // Restore the chain up to the incremental; the files are what the JSON says.
        var destination = temp.Combine("restore");
        var restoreRun = await CliKit.RunAsync(["restore", incremental.SetId, "--to", destination, "--json", .. common]);
        Assert.True(restoreRun.ExitCode == ExitCodes.Ok, restoreRun.ToString());
        var restore = JsonSerializer.Deserialize(restoreRun.Out, ContractJsonContext.Default.RestoreResult)!;
        Assert.True(restore.Succeeded);
        Assert.Equal(new GenerationRange(full.Manifest.LogRange!.Low, incremental.Manifest.LogRange!.High), restore.LogRange);
        Assert.Equal(restore.Files.Select(f => f.Path).Order(StringComparer.Ordinal), CliKit.HashTree(destination).Keys);
        Assert.All(restore.Files, f => Assert.Equal(f.Sha256, CliKit.HashFile(Path.Combine(destination, f.Path))));
        Assert.Equal(2, restore.Files.Count(f => f.Role == FileRole.Database && f.FromSetId == full.SetId));
        Assert.DoesNotContain(restore.Files, f => f.Role == FileRole.Checkpoint);

        var occupied = await CliKit.RunAsync(["restore", incremental.SetId, "--to", destination, .. common]);
        Assert.Equal(ExitCodes.Failed, occupied.ExitCode);
        Assert.Contains("DestinationNotEmpty", occupied.Error, StringComparison.Ordinal);
        var forced = await CliKit.RunAsync(["restore", incremental.SetId, "--to", destination, "--force", "--include-checkpoint", "--json", .. common]);
        Assert.True(forced.ExitCode == ExitCodes.Ok, forced.ToString());
        Assert.Single(JsonSerializer.Deserialize(forced.Out, ContractJsonContext.Default.RestoreResult)!.Files, f => f.Role == FileRole.Checkpoint);

        // The catalog, as a list and one set at a time.
        var listRun = await CliKit.RunAsync(["catalog", "list", "--json", .. common]);
        Assert.True(listRun.ExitCode == ExitCodes.Ok, listRun.ToString());
        var rows = JsonSerializer.Deserialize(listRun.Out, HostJsonContext.Default.ListCatalogRowOutput)!;
        Assert.Equal([incremental.SetId, full.SetId], rows.Select(r => r.SetId));
        Assert.All(rows, r => Assert.Equal("completed", r.State));
        Assert.All(rows, r => Assert.Null(r.Manifest));
        Assert.Equal((full.SetId, full.SetId, 1), (rows[0].ChainId, rows[0].PreviousSetId, rows[0].Sequence));
        Assert.Equal(incremental.SetPath, rows[0].SetPath);
        var byTarget = await CliKit.RunAsync(["catalog", "list", "--target", full.Manifest.Target.Id, "--json", .. common]);
        Assert.Equal(2, JsonSerializer.Deserialize(byTarget.Out, HostJsonContext.Default.ListCatalogRowOutput)!.Count);
        var shown = await ShowAsync(incremental.SetId, common);
        Assert.Equal(ManifestJson.Serialize(incremental.Manifest), ManifestJson.Serialize(shown.Manifest!));
        Assert.Equal(incremental.Truncation.Removed, shown.Truncation!.Removed);
        var unknown = await CliKit.RunAsync(["catalog", "show", "no-such-set", "--json", .. common]);
        Assert.Equal(ExitCodes.NotFound, unknown.ExitCode);
        Assert.Contains("SetNotFound", unknown.Error, StringComparison.Ordinal);

        // A damaged stored set: verify-set says so with exit code 3.
        var victim = Path.Combine(incremental.SetPath!, incremental.Manifest.Files[0].Path);
        var bytes = await File.ReadAllBytesAsync(victim);
        bytes[^10] ^= 0xFF;
        await File.WriteAllBytesAsync(victim, bytes);
        var damaged = await CliKit.RunAsync(["verify-set", incremental.SetId, "--json", .. common]);
        Assert.True(damaged.ExitCode == ExitCodes.Corruption, damaged.ToString());
        Assert.False(JsonSerializer.Deserialize(damaged.Out, ContractJsonContext.Default.VerifySetResult)!.IsClean);
    }

    private static async Task<CatalogRowOutput> ShowAsync(string setId, string[] common)
    {
        var run = await CliKit.RunAsync(["catalog", "show", setId, "--json", .. common]);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        return JsonSerializer.Deserialize(run.Out, HostJsonContext.Default.CatalogRowOutput)!;
    }

    [Fact]
    public async Task Demo_json_succeeds_and_the_restored_files_match()
    {
        using var temp = new TempDir();
        var run = await CliKit.RunAsync("demo", "--dir", temp.Combine("demo"), "--database-mb", "8", "--page-size", "16384", "--json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var demo = JsonSerializer.Deserialize(run.Out, HostJsonContext.Default.DemoOutput)!;
        Assert.True(demo.RestoredFilesMatch);
        Assert.True(demo.Verification.IsClean);
        Assert.True(demo.Restore.Succeeded);
        Assert.Equal(("completed", "completed"), (demo.Full.State, demo.Incremental.State));
        Assert.Equal(new ChainInfo(demo.Full.SetId, demo.Full.SetId, 1), demo.Incremental.Manifest!.Chain);
    }
}
