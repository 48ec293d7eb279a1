using System.CommandLine;
using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// <c>esebackup demo</c>: the whole product on a fresh clone with nothing else. Generates a synthetic ESE
/// file set (real formats, valid checksums), discovers it, runs a full backup, lets the "engine" write
/// more logs, runs an incremental, completes both (truncating logs), verifies both sets, restores the
/// chain and shows that the restored files match.
/// </summary>
internal static class DemoCommand
{
    private const string Marker = ".esebackup-demo";

    public static Command Demo(CliEnvironment env)
    {
        var dir = new Option<string>("--dir") { Description = "Work directory (created; replaced if it holds an earlier demo).", DefaultValueFactory = _ => "esebackup-demo" };
        var sizeMb = new Option<int>("--database-mb") { Description = "Size of the synthetic database in MiB.", DefaultValueFactory = _ => 64 };
        var pageSize = new Option<int>("--page-size") { Description = "Database page size in bytes (4096, 8192, 16384, 32768).", DefaultValueFactory = _ => 8192 };
        var json = CliApp.JsonOption();
        var cmd = new Command("demo", "Run the whole product end to end on a synthetic ESE file set (no data or Windows needed).") { dir, sizeMb, pageSize, json };
        CliApp.Handle(cmd, env, (parse, outer, ct) => RunAsync(
            env, outer, Path.GetFullPath(parse.GetValue(dir)!), new SampleTargetRequest(string.Empty) { DatabaseBytes = parse.GetValue(sizeMb) * 1024L * 1024, PageSize = parse.GetValue(pageSize), LogGenerations = 5 }, parse.GetValue(json), ct));
        return cmd;
    }

    /// <summary>Steps 1 and 2 (generate, discover), then the backups and the checks.</summary>
    private static async Task<int> RunAsync(CliEnvironment env, CliSession outer, string work, SampleTargetRequest sampleShape, bool asJson, CancellationToken ct)
    {
        PrepareWorkDirectory(work);
        var say = new Narrator(env, asJson);

        // The demo keeps its own repository and catalog inside the work directory.
        await using var session = new CliSession(
            outer.Options with { PluginManifest = outer.Settings.PluginManifest, Repository = Path.Combine(work, "repository") }, env.Error);
        var plugin = session.Plugin.Plugin;
        if (plugin is not ISampleTargetProvider samples)
        {
            return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.PlatformNotSupported, $"Plugin '{plugin.Info.Id}' cannot generate sample targets."));
        }

        var source = Path.Combine(work, "source");
        say.Line($"[bold]1. Generate[/] a synthetic ESE file set in {Markup.Escape(source)}");
        var sample = await samples.CreateSampleTargetAsync(sampleShape with { Directory = source }, ct);
        say.Line($"   {sample.Databases.Count} database(s), logs {sample.Logs}, checkpoint at generation {sample.CheckpointGeneration}, {sample.TotalBytes / (1024 * 1024)} MiB");

        say.Line("[bold]2. Discover[/]");
        var targets = await HostWorkflow.DiscoverAsync(session, new DiscoveryRequest { Paths = [source], Kinds = [TargetKind.FileSet] }, ct);
        if (targets.Count != 1)
        {
            return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.TargetNotFound, $"Expected one target in '{source}', found {targets.Count}."));
        }

        var target = targets[0];
        say.Line($"   target {Markup.Escape(target.Id)}: {Markup.Escape(target.DisplayName)}, logs {Markup.Escape(string.Join(", ", target.Logs?.Present.Select(r => r.ToString()) ?? []))}");

        var backups = await BackUpAsync(env, session, samples, target.Id, source, say, ct);
        return backups.Error is { } error
            ? await CliApp.ReportAsync(env, error)
            : await CheckAsync(env, session, work, sample, target.Id, backups, say, ct);
    }

    /// <summary>Steps 3 to 5: a full backup, more logs, an incremental; both completed.</summary>
    private static async Task<DemoBackups> BackUpAsync(CliEnvironment env, CliSession session, ISampleTargetProvider samples, string targetId, string source, Narrator say, CancellationToken ct)
    {
        say.Line("[bold]3. Full backup[/] (stage + verify + hash, store, complete → truncate)");
        var full = await ProgressView.RunAsync(env, say.AsJson, "full backup", p => HostWorkflow.BackupAsync(session, targetId, BackupKind.Full, null, [source], complete: true, p, ct));
        if (full.Error is { } fe)
        {
            return new DemoBackups(null, null, null, fe);
        }

        say.Show(full);
        say.Line("[bold]4. The database engine writes on[/]: 3 more log generations");
        var advanced = await samples.AdvanceSampleTargetAsync(source, 3, ct);
        say.Line($"   logs now {advanced.Logs}, checkpoint at {advanced.CheckpointGeneration}");

        say.Line("[bold]5. Incremental backup[/] (new logs only)");
        var incr = await ProgressView.RunAsync(env, say.AsJson, "incremental backup", p => HostWorkflow.BackupAsync(session, targetId, BackupKind.Incremental, null, [source], complete: true, p, ct));
        if (incr.Error is { } ie)
        {
            return new DemoBackups(null, null, null, ie);
        }

        say.Show(incr);
        return new DemoBackups(full, advanced, incr, null);
    }

    /// <summary>Steps 6 to 8: verify both sets, restore the chain, compare; then the summary.</summary>
    private static async Task<int> CheckAsync(
        CliEnvironment env, CliSession session, string work, SampleTarget sample, string targetId, DemoBackups backups, Narrator say, CancellationToken ct)
    {
        var plugin = session.Plugin.Plugin;
        var (full, incr) = (backups.Full!, backups.Incremental!);
        say.Line("[bold]6. Verify[/] both stored sets");
        var verifyFull = await plugin.VerifySetAsync(new VerifySetRequest(full.SetPath!), null, ct);
        var verifyIncr = await plugin.VerifySetAsync(new VerifySetRequest(incr.SetPath!), null, ct);
        say.Line($"   full: {(verifyFull.IsClean ? "[green]clean[/]" : "[red]damaged[/]")}, incremental: {(verifyIncr.IsClean ? "[green]clean[/]" : "[red]damaged[/]")}");

        var restoreDir = Path.Combine(work, "restore");
        say.Line($"[bold]7. Restore[/] the chain (full + incremental) into {Markup.Escape(restoreDir)}");
        var restore = await ProgressView.RunAsync(env, say.AsJson, "restore", p => plugin.RestoreAsync(new RestoreRequest([full.SetPath!, incr.SetPath!], restoreDir), p, ct));
        if (restore.Error is { } re)
        {
            return await CliApp.ReportAsync(env, re);
        }

        say.Line("[bold]8. Compare[/] restored files with the backup manifests and re-verify them as ESE files");
        var match = await CompareAsync(env, say.AsJson, restore, [full.Manifest!, incr.Manifest!], restoreDir, ct);
        var check = await plugin.VerifyFilesAsync(new VerifyFilesRequest([restoreDir]), null, ct);
        say.Line($"   ESE verification of the restored directory: {(check.HasCorruption || check.HasErrors ? "[red]failed[/]" : "[green]clean, log sequence contiguous[/]")}");
        match &= !check.HasCorruption && !check.HasErrors && verifyFull.IsClean && verifyIncr.IsClean;

        if (say.AsJson)
        {
            await JsonOut.WriteAsync(env, new DemoOutput(work, sample, targetId, full, backups.Advanced!, incr, verifyIncr, restore, match), HostJsonContext.Default.DemoOutput);
        }
        else
        {
            env.Console.MarkupLine(match ? "[green bold]Demo complete: the restored files match the backups.[/]" : "[red bold]Demo found a mismatch.[/]");
            env.Console.MarkupLine($"Explore it: esebackup catalog list --repository {Markup.Escape(Path.Combine(work, "repository"))}");
        }

        return match ? ExitCodes.Ok : ExitCodes.Corruption;
    }

    private static void PrepareWorkDirectory(string work)
    {
        if (Directory.Exists(work) && Directory.EnumerateFileSystemEntries(work).Any())
        {
            if (!File.Exists(Path.Combine(work, Marker)))
            {
                throw new IOException($"Demo directory '{work}' exists and was not made by a demo; choose another with --dir.");
            }

            Directory.Delete(work, recursive: true);
        }

        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, Marker), "Made by 'esebackup demo'; the next demo run replaces this directory.\n");
    }

    /// <summary>Hashes every restored file and compares it with the newest manifest entry of the same name.</summary>
    private static async Task<bool> CompareAsync(CliEnvironment env, bool asJson, RestoreResult restore, IReadOnlyList<Abstractions.Manifest.BackupManifest> chain, string restoreDir, CancellationToken ct)
    {
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in chain)
        {
            foreach (var f in m.Files)
            {
                expected[Path.GetFileName(f.Path)] = f.Sha256;
            }
        }

        var table = new Table().AddColumns("restored file", "sha-256", "matches backup");
        var all = restore.Files.Count > 0;
        foreach (var f in restore.Files)
        {
            await using var stream = File.OpenRead(Path.Combine(restoreDir, f.Path));
            var hash = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct));
            var ok = expected.TryGetValue(Path.GetFileName(f.Path), out var want) && want == hash;
            all &= ok;
            table.AddRow(Markup.Escape(f.Path), hash[..16] + "…", ok ? "[green]yes[/]" : "[red]no[/]");
        }

        if (!asJson)
        {
            env.Console.Write(table);
        }

        return all;
    }

    /// <summary>The demo's two backups and the log generations written between them, or why they stopped.</summary>
    private sealed record DemoBackups(BackupOutput? Full, SampleTarget? Advanced, BackupOutput? Incremental, PluginError? Error);

    /// <summary>Tells people what each step did; a <c>--json</c> run prints only its one document.</summary>
    private sealed class Narrator(CliEnvironment env, bool asJson)
    {
        public bool AsJson => asJson;

        public void Line(string markup)
        {
            if (!asJson)
            {
                env.Console.MarkupLine(markup);
            }
        }

        public void Show(BackupOutput backup)
        {
            if (!asJson)
            {
                ResultView.Manifest(env, backup.Manifest!, backup.SetPath);
                ResultView.Truncation(env, backup.Truncation);
            }
        }
    }
}
