using System.CommandLine;
using EseBackupPlugin.HostSample.Output;
using EseBackupPlugin.HostSample.Plugins;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary><c>esebackup plugins</c>: loads the plugin and lists what it is and can do.</summary>
internal static class PluginCommands
{
    public static Command Plugins(CliEnvironment env)
    {
        var json = CliApp.JsonOption();
        var bundle = new Option<string?>("--plugin-dir") { Description = "Check a plugin bundle folder instead (plugin.json, entry type, contract, references, no shared assembly shipped)." };
        var cmd = new Command("plugins", "Load the plugin named by plugin.json and show its identity and capabilities.") { json, bundle };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            if (parse.GetValue(bundle) is { } dir)
            {
                return await ValidateBundleAsync(env, dir, parse.GetValue(json));
            }

            var loaded = session.Plugin;
            var info = loaded.Plugin.Info;
            var listing = new PluginListing(
                loaded.Manifest.Path,
                loaded.Manifest.Id,
                loaded.Manifest.Version,
                loaded.Manifest.Contract.Id,
                [.. loaded.Manifest.Contract.Versions.Select(v => v.ToString())],
                loaded.ContractVersion.ToString(),
                [.. loaded.Manifest.ProcessModels.Select(m => m.Kind)],
                loaded.Manifest.ConfigurationSection,
                info);
            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, listing, HostJsonContext.Default.PluginListing);
                return ExitCodes.Ok;
            }

            var c = env.Console;
            c.MarkupLine($"[bold]{Markup.Escape(info.Id)}[/] {Markup.Escape(info.Version)} — {Markup.Escape(info.Description)}");
            c.MarkupLine($"plugin.json: {Markup.Escape(listing.ManifestPath)}");
            c.MarkupLine($"contract: {Markup.Escape(listing.ContractId)} {Markup.Escape(listing.NegotiatedContractVersion)} (plugin offers {Markup.Escape(string.Join(", ", listing.ContractVersions))})");
            var table = new Table().AddColumns("target kind", "available", "backup kinds", "truncation", "strategies");
            foreach (var k in info.Capabilities.TargetKinds)
            {
                table.AddRow(
                    k.Kind.ToString(),
                    k.Available ? "yes" : "no: " + Markup.Escape(k.UnavailableReason ?? string.Empty),
                    string.Join(", ", k.BackupKinds),
                    k.Truncation + (k.TruncatesDuringBackup ? " (during backup)" : " (on completion)"),
                    Markup.Escape(string.Join(", ", k.Strategies)));
            }

            c.Write(table);
            c.MarkupLine($"verify sets: {info.Capabilities.CanVerifySets}, restore: {info.Capabilities.CanRestore}, inspect files: {info.Capabilities.CanInspectFiles}");
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static async Task<int> ValidateBundleAsync(CliEnvironment env, string directory, bool json)
    {
        var report = BundleValidator.Validate(directory);
        if (json)
        {
            await JsonOut.WriteAsync(env, report, HostJsonContext.Default.BundleReport);
        }
        else
        {
            env.Console.MarkupLine($"plugin bundle {Markup.Escape(report.Directory)}");
            var table = new Table().AddColumns("check", "result", "detail");
            foreach (var c in report.Checks)
            {
                table.AddRow(c.Name, c.Passed ? "[green]ok[/]" : "[red]FAILED[/]", Markup.Escape(c.Detail));
            }

            env.Console.Write(table);
            env.Console.MarkupLine(report.Valid ? "The bundle is valid: a host can load it as it is." : "[red]The bundle is not valid.[/]");
        }

        return report.Valid ? ExitCodes.Ok : ExitCodes.PluginLoad;
    }
}
