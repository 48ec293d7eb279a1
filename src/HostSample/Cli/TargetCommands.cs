using System.CommandLine;
using System.Globalization;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary><c>esebackup discover</c>: lists the targets the plugin finds.</summary>
internal static class TargetCommands
{
    public static Option<string[]> PathOption() => new("--path") { Description = "A directory to scan for ESE file sets (repeatable); adds to the configured roots.", AllowMultipleArgumentsPerToken = false };

    public static Command Discover(CliEnvironment env)
    {
        var paths = PathOption();
        var kinds = new Option<TargetKind[]>("--kind") { Description = "Only these target kinds (fileSet, inProcessInstance, vssWriter)." };
        var depth = new Option<int?>("--max-depth") { Description = "Directory levels to scan below each path." };
        var json = CliApp.JsonOption();
        var cmd = new Command("discover", "Find ESE targets: file sets in directories, in-process instances and VSS writers (Windows).") { paths, kinds, depth, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var request = new DiscoveryRequest
            {
                Paths = [.. (parse.GetValue(paths) ?? []).Select(Path.GetFullPath)],
                Kinds = parse.GetValue(kinds) ?? [],
                MaxDepth = parse.GetValue(depth),
            };
            var targets = await HostWorkflow.DiscoverAsync(session, request, ct);
            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, targets, ContractJsonContext.Default.ListBackupTarget);
                return ExitCodes.Ok;
            }

            if (targets.Count == 0)
            {
                env.Console.MarkupLine("No ESE targets found. Point [bold]--path[/] at a directory holding databases and logs, or set EsePlugin:FileSet:Roots.");
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("id", "kind", "name", "databases", "logs", "backups", "last backup");
            foreach (var t in targets)
            {
                var logs = t.Logs is null ? "-" : string.Join(", ", t.Logs.Present.Select(r => r.ToString())) + (t.Logs.Missing.Count > 0 ? $" (missing {string.Join(", ", t.Logs.Missing)})" : string.Empty) + (t.Logs.CircularLogging ? " circular" : string.Empty);
                var dbs = string.Join("\n", t.Databases.Select(d => $"{Path.GetFileName(d.Path)} {d.State} {d.PageSize / 1024}K" + (d.RequiredLogRange is { } r ? $" needs {r}" : string.Empty)));
                var last = t.LastBackup is { } lb ? $"{lb.Kind} {lb.CompletedAt?.ToString("u", CultureInfo.InvariantCulture)} {lb.SetId}" : "-";
                // The location tells apart two copies of one log stream, whose ids differ only in a location hash.
                var name = t.Location is { } where && where != t.DisplayName ? $"{t.DisplayName}\n{where}" : t.DisplayName;
                table.AddRow(Markup.Escape(t.Id), t.Kind.ToString(), Markup.Escape(name), Markup.Escape(dbs), Markup.Escape(logs), string.Join(",", t.SupportedBackupKinds), Markup.Escape(last));
            }

            env.Console.Write(table);
            foreach (var w in targets.SelectMany(t => t.Warnings.Select(w => (t, w))))
            {
                env.Console.MarkupLine($"[yellow]warning[/] {Markup.Escape(w.t.Id)}: {Markup.Escape(w.w.Message)}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
