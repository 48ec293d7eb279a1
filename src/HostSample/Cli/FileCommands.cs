using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary><c>esebackup inspect</c> and <c>esebackup verify</c>: the plugin's ESE file checks.</summary>
internal static class FileCommands
{
    public static Command Inspect(CliEnvironment env)
    {
        var file = new Argument<string>("FILE") { Description = "Any file: an ESE database, log, checkpoint, flush map, ... or not." };
        var json = CliApp.JsonOption();
        var cmd = new Command("inspect", "Show everything about one file (like esentutl /mh, /ml, /mk).") { file, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var result = await session.Plugin.Plugin.InspectFileAsync(Path.GetFullPath(parse.GetValue(file)!), ct);
            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, result, ContractJsonContext.Default.FileInspection);
            }
            else
            {
                env.Console.MarkupLine($"[bold]{Markup.Escape(result.Path)}[/]: {Markup.Escape(result.Kind)}");
                var table = new Table().AddColumns("field", "value").HideHeaders();
                foreach (var (name, value) in Flatten(result.Details, prefix: string.Empty))
                {
                    table.AddRow(Markup.Escape(name), Markup.Escape(value));
                }

                env.Console.Write(table);
                ResultView.PrintFindings(env, result.Findings);
            }

            if (result.Error is { } error)
            {
                return await CliApp.ReportAsync(env, error);
            }

            return result.Findings.Any(f => f.Severity == FindingSeverity.Corruption) ? ExitCodes.Corruption : ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command Verify(CliEnvironment env)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files or directories (walked recursively).", Arity = ArgumentArity.OneOrMore };
        var json = CliApp.JsonOption();
        var cmd = new Command("verify", "Verify every page, log segment and header of ESE files, and the log sequence of each directory.\nExit code 0 = all clean, 3 = corruption found, 1 = a path could not be read.") { paths, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var request = new VerifyFilesRequest([.. parse.GetValue(paths)!.Select(Path.GetFullPath)]);
            var asJson = parse.GetValue(json);
            var report = await ProgressView.RunAsync(env, asJson, "verify", p => session.Plugin.Plugin.VerifyFilesAsync(request, p, ct));
            if (asJson)
            {
                await JsonOut.WriteAsync(env, report, ContractJsonContext.Default.FileVerificationReport);
            }
            else
            {
                var table = new Table().AddColumns("file", "kind", "checked", "uninitialised", "result");
                foreach (var f in report.Files)
                {
                    var bad = f.Findings.Count(x => x.Severity == FindingSeverity.Corruption);
                    var state = f.Error is not null ? "[red]unreadable[/]" : bad > 0 ? $"[red]{bad} corrupt[/]" : "[green]clean[/]";
                    table.AddRow(Markup.Escape(f.Path), Markup.Escape(f.Kind), (f.Unit == "none" ? "-" : $"{f.UnitsChecked} {f.Unit}s"), f.UnitsUninitialized.ToString(System.Globalization.CultureInfo.InvariantCulture), state);
                }

                env.Console.Write(table);
                ResultView.PrintFindings(env, report.Files.SelectMany(f => f.Findings).Concat(report.CrossFileFindings).ToList());
                foreach (var e in report.Errors.Concat(report.Files.Where(f => f.Error is not null).Select(f => f.Error!)))
                {
                    env.Console.MarkupLine($"[red]error[/] {Markup.Escape(e.Code.Name)}: {Markup.Escape(e.Message)}");
                }
            }

            return report.HasCorruption ? ExitCodes.Corruption : report.HasErrors ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Turns nested details into "a.b.c = value" rows for people.</summary>
    private static IEnumerable<(string Name, string Value)> Flatten(JsonNode? node, string prefix)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    foreach (var row in Flatten(child, prefix.Length == 0 ? key : $"{prefix}.{key}"))
                    {
                        yield return row;
                    }
                }

                break;
            case JsonArray arr when arr.All(x => x is JsonValue):
                yield return (prefix, string.Join(", ", arr.Select(x => x?.ToJsonString() ?? "null")));
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    foreach (var row in Flatten(arr[i], $"{prefix}[{i}]"))
                    {
                        yield return row;
                    }
                }

                break;
            case JsonValue v:
                yield return (prefix, v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString());
                break;
            default:
                yield return (prefix, "null");
                break;
        }
    }
}
