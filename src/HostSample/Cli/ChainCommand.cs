using System.CommandLine;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// <c>esebackup catalog chain TARGET [--svg FILE] [--html FILE]</c>: a target's backup chain as a picture (see
/// <see cref="ChainDiagram"/>), for an operator asking "can I restore to Tuesday?". Without a file option the
/// chain is listed as text. Reads the catalog only.
/// </summary>
internal static class ChainCommand
{
    public static Command Chain(CliEnvironment env)
    {
        var target = new Argument<string>("TARGET") { Description = "A target id (or a unique prefix of one) from the catalog." };
        var svg = new Option<string?>("--svg") { Description = "Write the picture as an SVG file." };
        var html = new Option<string?>("--html") { Description = "Write an HTML page: the picture and a table of the sets." };
        var cmd = new Command("chain", "Draw a target's backup chain: fulls, incrementals and copies over log generations, what each completion truncated, and the gaps.") { target, svg, html };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var wanted = parse.GetValue(target)!;
            var rows = session.Catalog.List();
            var ids = rows.Select(r => r.TargetId).Distinct(StringComparer.Ordinal).ToList();
            var matches = ids.Contains(wanted, StringComparer.Ordinal) ? [wanted] : ids.Where(i => i.StartsWith(wanted, StringComparison.Ordinal)).ToList();
            if (matches.Count != 1)
            {
                var why = matches.Count == 0 ? "no set of such a target is in the catalog" : "it matches several targets: " + string.Join(", ", matches);
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.TargetNotFound, $"Target '{wanted}': {why} (catalog '{session.Catalog.DatabasePath}')."));
            }

            var diagram = ChainDiagram.FromCatalog(matches[0], rows);
            if (parse.GetValue(svg) is { } svgPath)
            {
                await File.WriteAllTextAsync(Path.GetFullPath(svgPath), diagram.ToSvg(), ct);
                await env.Error.WriteLineAsync($"wrote {Path.GetFullPath(svgPath)}");
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                await File.WriteAllTextAsync(Path.GetFullPath(htmlPath), diagram.ToHtml(), ct);
                await env.Error.WriteLineAsync($"wrote {Path.GetFullPath(htmlPath)}");
            }

            await env.Out.WriteLineAsync($"{diagram.TargetName ?? diagram.TargetId}: {diagram.Sets.Count} set(s), log generations {diagram.First}-{diagram.Last}");
            foreach (var set in diagram.Sets)
            {
                var logs = set.Low is null ? "no logs" : $"gen {set.Low}-{set.High}";
                var truncated = set.Truncated.Count == 0 ? string.Empty : $", truncated {string.Join(", ", set.Truncated.Select(t => $"{t.Low}-{t.High}"))} by {set.TruncatedBy}";
                await env.Out.WriteLineAsync($"  {set.SetId}  {set.Kind,-11} {set.State,-9} {logs}{truncated}");
            }

            foreach (var (low, high) in diagram.Gaps)
            {
                await env.Out.WriteLineAsync($"  gap: generations {low}-{high} are in no stored set");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }
}
