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
        CliApp.Handle(cmd, env, async (parse, outer, ct) =>
        {
            var work = Path.GetFullPath(parse.GetValue(dir)!);
            PrepareWorkDirectory(work);
            var asJson = parse.GetValue(json);
            var c = env.Console;
            void Say(string markup)
            {
                if (!asJson)
                {
                    c.MarkupLine(markup);
                }
            }

            // The demo keeps its own repository and catalog inside the work directory.
            await using var session = new CliSession(
                outer.Options with { PluginManifest = outer.Settings.PluginManifest, Repository = Path.Combine(work, "repository") }, env.Error);
            var plugin = session.Plugin.Plugin;
            if (plugin is not ISampleTargetProvider samples)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.PlatformNotSupported, $"Plugin '{plugin.Info.Id}' cannot generate sample targets."));
            }

            var source = Path.Combine(work, "source");
            Say($"[bold]1. Generate[/] a synthetic ESE file set in {Markup.Escape(source)}");
            var sample = await samples.CreateSampleTargetAsync(
                new SampleTargetRequest(source) { DatabaseBytes = parse.GetValue(sizeMb) * 1024L * 1024, PageSize = parse.GetValue(pageSize), LogGenerations = 5 }, ct);
            Say($"   {sample.Databases.Count} database(s), logs {sample.Logs}, checkpoint at generation {sample.CheckpointGeneration}, {sample.TotalBytes / (1024 * 1024)} MiB");

            Say("[bold]2. Discover[/]");
            var targets = await HostWorkflow.DiscoverAsync(session, new DiscoveryRequest { Paths = [source], Kinds = [TargetKind.FileSet] }, ct);
            if (targets.Count != 1)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.TargetNotFound, $"Expected one target in '{source}', found {targets.Count}."));
            }

            var target = targets[0];
            Say($"   target {Markup.Escape(target.Id)}: {Markup.Escape(target.DisplayName)}, logs {Markup.Escape(string.Join(", ", target.Logs?.Present.Select(r => r.ToString()) ?? []))}");

            Say("[bold]3. Full backup[/] (stage + verify + hash, store, complete → truncate)");
            var full = await ProgressView.RunAsync(env, asJson, "full backup", p => HostWorkflow.BackupAsync(session, target.Id, BackupKind.Full, null, [source], complete: true, p, ct));
            if (full.Error is { } fe)
            {
                return await CliApp.ReportAsync(env, fe);
            }

            if (!asJson)
            {
                ResultView.Manifest(env, full.Manifest!, full.SetPath);
                ResultView.Truncation(env, full.Truncation);
            }

            Say("[bold]4. The database engine writes on[/]: 3 more log generations");
            var advanced = await samples.AdvanceSampleTargetAsync(source, 3, ct);
            Say($"   logs now {advanced.Logs}, checkpoint at {advanced.CheckpointGeneration}");

            Say("[bold]5. Incremental backup[/] (new logs only)");
            var incr = await ProgressView.RunAsync(env, asJson, "incremental backup", p => HostWorkflow.BackupAsync(session, target.Id, BackupKind.Incremental, null, [source], complete: true, p, ct));
            if (incr.Error is { } ie)
            {
                return await CliApp.ReportAsync(env, ie);
            }

            if (!asJson)
            {
                ResultView.Manifest(env, incr.Manifest!, incr.SetPath);
                ResultView.Truncation(env, incr.Truncation);
            }

            Say("[bold]6. Verify[/] both stored sets");
            var verifyFull = await plugin.VerifySetAsync(new VerifySetRequest(full.SetPath!), null, ct);
            var verifyIncr = await plugin.VerifySetAsync(new VerifySetRequest(incr.SetPath!), null, ct);
            Say($"   full: {(verifyFull.IsClean ? "[green]clean[/]" : "[red]damaged[/]")}, incremental: {(verifyIncr.IsClean ? "[green]clean[/]" : "[red]damaged[/]")}");

            var restoreDir = Path.Combine(work, "restore");
            Say($"[bold]7. Restore[/] the chain (full + incremental) into {Markup.Escape(restoreDir)}");
            var restore = await ProgressView.RunAsync(env, asJson, "restore", p => plugin.RestoreAsync(new RestoreRequest([full.SetPath!, incr.SetPath!], restoreDir), p, ct));
            if (restore.Error is { } re)
            {
                return await CliApp.ReportAsync(env, re);
            }

            Say("[bold]8. Compare[/] restored files with the backup manifests and re-verify them as ESE files");
            var match = await CompareAsync(env, asJson, restore, [full.Manifest!, incr.Manifest!], restoreDir, ct);
            var check = await plugin.VerifyFilesAsync(new VerifyFilesRequest([restoreDir]), null, ct);
            Say($"   ESE verification of the restored directory: {(check.HasCorruption || check.HasErrors ? "[red]failed[/]" : "[green]clean, log sequence contiguous[/]")}");
            match &= !check.HasCorruption && !check.HasErrors && verifyFull.IsClean && verifyIncr.IsClean;

            if (asJson)
            {
                await JsonOut.WriteAsync(env, new DemoOutput(work, sample, target.Id, full, advanced, incr, verifyIncr, restore, match), HostJsonContext.Default.DemoOutput);
            }
            else
            {
                c.MarkupLine(match ? "[green bold]Demo complete: the restored files match the backups.[/]" : "[red bold]Demo found a mismatch.[/]");
                c.MarkupLine($"Explore it: esebackup catalog list --repository {Markup.Escape(Path.Combine(work, "repository"))}");
            }

            return match ? ExitCodes.Ok : ExitCodes.Corruption;
        });
        return cmd;
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
}
