using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Output;
using EseBackupPlugin.HostSample.Repository;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary><c>esebackup catalog list|show|import|chain</c>.</summary>
internal static class CatalogCommands
{
    public static Command Catalog(CliEnvironment env)
    {
        var cmd = new Command("catalog", "Show the host's backup catalog.");
        cmd.Subcommands.Add(List(env));
        cmd.Subcommands.Add(Show(env));
        cmd.Subcommands.Add(Import(env));
        cmd.Subcommands.Add(ChainCommand.Chain(env));
        return cmd;
    }

    private static Command List(CliEnvironment env)
    {
        var target = new Option<string?>("--target") { Description = "Only this target id." };
        var json = CliApp.JsonOption();
        var cmd = new Command("list", "List backup sets, newest first.") { target, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            // Read-only: listing records nothing (runs of processes that died are settled by the next backup).
            var rows = session.ReadOnlyCatalog.List(parse.GetValue(target));
            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, rows.Select(r => ToOutput(r, withDocuments: false)).ToList(), HostJsonContext.Default.ListCatalogRowOutput);
                return ExitCodes.Ok;
            }

            var table = new Table().AddColumns("set", "target", "kind", "state", "chain", "logs", "started", "truncated");
            foreach (var r in rows)
            {
                table.AddRow(
                    Markup.Escape(r.SetId),
                    Markup.Escape(r.TargetName ?? r.TargetId),
                    r.Kind.ToString(),
                    r.State.ToString(),
                    Markup.Escape(r.ChainId is null ? "-" : $"{r.ChainId[..Math.Min(8, r.ChainId.Length)]}… #{r.Sequence}"),
                    Markup.Escape(r.Manifest?.LogRange?.ToString() ?? "-"),
                    r.StartedAt.ToString("u", CultureInfo.InvariantCulture),
                    r.Truncation is { } t ? $"{t.Status} {t.Removed.Count}" : "-");
            }

            env.Console.Write(table);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Show(CliEnvironment env)
    {
        var set = new Argument<string>("SET-ID");
        var json = CliApp.JsonOption();
        var cmd = new Command("show", "Show one set: its manifest and truncation report.") { set, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var row = session.ReadOnlyCatalog.Find(parse.GetValue(set)!);
            if (row is null)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"No set '{parse.GetValue(set)}' in catalog '{session.ReadOnlyCatalog.DatabasePath}'."));
            }

            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, ToOutput(row, withDocuments: true), HostJsonContext.Default.CatalogRowOutput);
                return ExitCodes.Ok;
            }

            env.Console.MarkupLine($"state [bold]{row.State}[/]{(row.Error is { } e ? " — " + Markup.Escape(e) : string.Empty)}");
            if (row.Manifest is not null)
            {
                ResultView.Manifest(env, row.Manifest, row.SetPath);
            }

            ResultView.Truncation(env, row.Truncation);
            return ExitCodes.Ok;
        });
        return cmd;
    }

    private static Command Import(CliEnvironment env)
    {
        var dir = new Argument<string>("DIR") { Description = "A set directory, or a directory holding sets (e.g. restored by restic or borg)." };
        var json = CliApp.JsonOption();
        var cmd = new Command("import", "Record existing sets in the catalog (stored and restorable; they join no chain, since whether they were completed is not in their manifests).") { dir, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            using var sources = await SetSources.LoadAsync([parse.GetValue(dir)!], env.OpenBinaryIn, Path.GetTempPath(), ct);
            if (sources.Error is { } error)
            {
                return await CliApp.ReportAsync(env, error);
            }

            var imported = new List<string>();
            var known = new List<string>();
            foreach (var set in sources.Sets)
            {
                (session.Catalog.Import(set.Manifest, set.Directory) ? imported : known).Add(set.Manifest.SetId);
            }

            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, new ImportOutput(imported, known), HostJsonContext.Default.ImportOutput);
            }
            else
            {
                env.Console.MarkupLine($"imported {imported.Count} set(s){(known.Count > 0 ? $"; {known.Count} already in the catalog" : string.Empty)}");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>One enum casing in every JSON output: the contract's (camelCase).</summary>
    public static string Camel(string name) => JsonNamingPolicy.CamelCase.ConvertName(name);

    private static CatalogRowOutput ToOutput(CatalogRow r, bool withDocuments) => new(
        r.SetId, r.TargetId, r.TargetName, Camel(r.Kind.ToString()), Camel(r.State.ToString()), r.ChainId, r.PreviousSetId, r.Sequence,
        r.StartedAt, r.StagedAt, r.StoredAt, r.CompletedAt, r.SetPath, r.Error,
        withDocuments ? r.Manifest : null,
        r.Truncation,
        r.ExternalRef);
}
