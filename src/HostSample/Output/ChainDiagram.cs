using System.Globalization;
using System.Net;
using System.Text;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.HostSample.Catalog;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>One set on the timeline.</summary>
/// <param name="SetId">The set.</param>
/// <param name="Kind">Full, incremental or copy.</param>
/// <param name="State">The host's state of the set.</param>
/// <param name="StartedAt">When the backup started.</param>
/// <param name="CompletedAt">When the host completed it.</param>
/// <param name="ChainId">The full it builds on.</param>
/// <param name="Low">Lowest log generation in the set (null when it holds no log).</param>
/// <param name="High">Highest log generation in the set.</param>
/// <param name="Truncated">Runs of generations its completion removed.</param>
/// <param name="TruncatedBy">Who removed them (plugin, ESE, VSS writer).</param>
internal sealed record ChainSet(
    string SetId, BackupKind Kind, HostSetState State, DateTimeOffset StartedAt, DateTimeOffset? CompletedAt, string? ChainId,
    long? Low, long? High, IReadOnlyList<(long Low, long High)> Truncated, string? TruncatedBy)
{
    /// <summary>Whether the set's bytes are stored and can be restored from.</summary>
    public bool Restorable => State is HostSetState.Completed or HostSetState.Stored;
}

/// <summary>
/// A target's backup chain as a picture: one lane per set in the order they ran, a bar over the log generations each
/// set holds (fulls, incrementals and copies in their own colours; sets that are not stored are dashed), under each bar
/// what its completion truncated, and, across all lanes, the gaps: generations between the first and the last one
/// stored that no stored set holds (a restore cannot reach a moment inside a gap). Plain SVG, no script, so it opens
/// in any browser; the HTML page adds a table of the same sets.
/// </summary>
internal sealed class ChainDiagram
{
    private const int Width = 1180;
    private const int LabelWidth = 330;
    private const int Right = 30;
    private const int Top = 70;
    private const int Lane = 46;

    private ChainDiagram(string targetId, string? targetName, IReadOnlyList<ChainSet> sets)
    {
        TargetId = targetId;
        TargetName = targetName;
        Sets = sets;
        var gens = sets.SelectMany(s => s.Low is { } l ? new[] { l, s.High!.Value } : []).Concat(sets.SelectMany(s => s.Truncated.SelectMany(t => new[] { t.Low, t.High }))).ToList();
        First = gens.Count > 0 ? gens.Min() : 1;
        Last = gens.Count > 0 ? gens.Max() : 1;
        Gaps = FindGaps(sets);
    }

    public string TargetId { get; }

    public string? TargetName { get; }

    public IReadOnlyList<ChainSet> Sets { get; }

    /// <summary>The lowest and highest generation drawn.</summary>
    public long First { get; }

    public long Last { get; }

    /// <summary>Runs of generations between the first and last stored one that no stored set holds.</summary>
    public IReadOnlyList<(long Low, long High)> Gaps { get; }

    /// <summary>Builds the diagram from a target's catalog rows (any order).</summary>
    public static ChainDiagram FromCatalog(string targetId, IEnumerable<CatalogRow> rows)
    {
        var list = rows.Where(r => r.TargetId == targetId).OrderBy(r => r.StartedAt).ThenBy(r => r.SetId, StringComparer.Ordinal).ToList();
        var sets = list.Select(r => new ChainSet(
            r.SetId, r.Kind, r.State, r.StartedAt, r.CompletedAt, r.ChainId,
            r.Manifest?.LogRange?.Low, r.Manifest?.LogRange?.High,
            Runs(r.Truncation?.Removed.Select(x => x.Generation) ?? []),
            r.Truncation is { Removed.Count: > 0 } t ? t.PerformedBy.ToString() : null)).ToList();
        return new ChainDiagram(targetId, list.LastOrDefault()?.TargetName, sets);
    }

    /// <summary>Consecutive runs of the given generations, ascending.</summary>
    public static IReadOnlyList<(long Low, long High)> Runs(IEnumerable<long> generations)
    {
        var runs = new List<(long, long)>();
        foreach (var g in generations.Distinct().Order())
        {
            if (runs.Count > 0 && runs[^1].Item2 == g - 1)
            {
                runs[^1] = (runs[^1].Item1, g);
            }
            else
            {
                runs.Add((g, g));
            }
        }

        return runs;
    }

    private static List<(long Low, long High)> FindGaps(IReadOnlyList<ChainSet> sets)
    {
        var stored = sets.Where(s => s.Restorable && s.Low is not null).ToList();
        if (stored.Count == 0)
        {
            return [];
        }

        var covered = new HashSet<long>();
        foreach (var s in stored)
        {
            for (var g = s.Low!.Value; g <= s.High!.Value; g++)
            {
                covered.Add(g);
            }
        }

        var missing = new List<long>();
        for (var g = covered.Min(); g <= covered.Max(); g++)
        {
            if (!covered.Contains(g))
            {
                missing.Add(g);
            }
        }

        return [.. Runs(missing)];
    }

    private int Height => Top + (Sets.Count * Lane) + 90;

    private double CellWidth => (Width - LabelWidth - Right) / (double)(Last - First + 1);

    private double X(long generation) => LabelWidth + ((generation - First) * CellWidth);

    /// <summary>The standalone SVG document.</summary>
    public string ToSvg()
    {
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chain\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"DejaVu Sans, Arial, sans-serif\" font-size=\"12\" data-target-id=\"{E(TargetId)}\">\n");
        s.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"#ffffff\"/>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"title\" x=\"16\" y=\"26\" font-size=\"16\" font-weight=\"bold\">Backup chain of {E(TargetName ?? TargetId)}</text>\n");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"46\" fill=\"#555\">{E(TargetId)} · log generations {First}–{Last} · {Sets.Count} set(s) · {Gaps.Count} gap(s)</text>\n");
        AppendAxis(s);
        AppendGaps(s);
        for (var i = 0; i < Sets.Count; i++)
        {
            AppendSet(s, Sets[i], Top + (i * Lane));
        }

        AppendLegend(s, Top + (Sets.Count * Lane) + 40);
        s.Append("</svg>\n");
        return s.ToString();
    }

    /// <summary>An HTML page: the picture and a table of the sets.</summary>
    public string ToHtml()
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.Append(CultureInfo.InvariantCulture, $"<title>Backup chain of {E(TargetName ?? TargetId)}</title>\n");
        h.Append("<style>body{font-family:'DejaVu Sans',Arial,sans-serif;margin:16px;color:#222}table{border-collapse:collapse;margin-top:16px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}</style>\n</head>\n<body>\n");
        h.Append(ToSvg());
        h.Append("<table class=\"sets\">\n<tr><th>set</th><th>kind</th><th>state</th><th>started (UTC)</th><th>completed (UTC)</th><th>log generations</th><th>truncated</th></tr>\n");
        foreach (var set in Sets)
        {
            h.Append(CultureInfo.InvariantCulture, $"<tr data-set-id=\"{E(set.SetId)}\"><td>{E(set.SetId)}</td><td>{set.Kind}</td><td>{set.State}</td><td>{Time(set.StartedAt)}</td><td>{(set.CompletedAt is { } c ? Time(c) : "-")}</td><td>{Range(set.Low, set.High)}</td><td>{E(Truncation(set))}</td></tr>\n");
        }

        h.Append("</table>\n");
        foreach (var gap in Gaps)
        {
            h.Append(CultureInfo.InvariantCulture, $"<p class=\"gap\">Gap: generations {gap.Low}–{gap.High} are in no stored set; a restore cannot reach a moment between them.</p>\n");
        }

        h.Append("</body>\n</html>\n");
        return h.ToString();
    }

    private void AppendAxis(StringBuilder s)
    {
        var span = Last - First + 1;
        var step = span <= 20 ? 1 : span <= 60 ? 5 : span <= 200 ? 10 : (long)Math.Pow(10, Math.Ceiling(Math.Log10(span / 20.0)));
        var bottom = Top + (Sets.Count * Lane);
        s.Append(CultureInfo.InvariantCulture, $"<g class=\"axis\"><text x=\"16\" y=\"{Top - 8}\" fill=\"#555\">set (oldest first)</text>\n");
        for (var g = First; g <= Last; g++)
        {
            if ((g - First) % step != 0 && g != Last)
            {
                continue;
            }

            var x = X(g) + (CellWidth / 2);
            s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x:0.#}\" y1=\"{Top - 4}\" x2=\"{x:0.#}\" y2=\"{bottom}\" stroke=\"#eee\"/><text class=\"tick\" x=\"{x:0.#}\" y=\"{Top - 8}\" text-anchor=\"middle\" fill=\"#555\">{g}</text>\n");
        }

        s.Append("</g>\n");
    }

    private void AppendGaps(StringBuilder s)
    {
        var bottom = Top + (Sets.Count * Lane);
        foreach (var (low, high) in Gaps)
        {
            var x = X(low);
            var w = X(high + 1) - x;
            s.Append(CultureInfo.InvariantCulture, $"<g class=\"gap\" data-low=\"{low}\" data-high=\"{high}\"><rect x=\"{x:0.#}\" y=\"{Top - 2}\" width=\"{w:0.#}\" height=\"{bottom - Top + 4}\" fill=\"#fdecea\" stroke=\"#d93025\" stroke-dasharray=\"4 3\"/>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + (w / 2):0.#}\" y=\"{bottom + 16}\" text-anchor=\"middle\" fill=\"#d93025\">gap {Range(low, high)}</text></g>\n");
        }
    }

    private void AppendSet(StringBuilder s, ChainSet set, int y)
    {
        var (fill, stroke) = set.Kind switch
        {
            BackupKind.Full => ("#1a73e8", "#0b4fa8"),
            BackupKind.Incremental => ("#34a853", "#1e7a38"),
            _ => ("#9aa0a6", "#5f6368"),
        };
        var dashed = set.Restorable ? string.Empty : " stroke-dasharray=\"5 3\" fill-opacity=\"0.25\"";
        s.Append(CultureInfo.InvariantCulture, $"<g class=\"set\" data-set-id=\"{E(set.SetId)}\" data-kind=\"{Kind(set.Kind)}\" data-state=\"{set.State.ToString().ToLowerInvariant()}\" data-low=\"{set.Low?.ToString(CultureInfo.InvariantCulture) ?? string.Empty}\" data-high=\"{set.High?.ToString(CultureInfo.InvariantCulture) ?? string.Empty}\">\n");
        s.Append(CultureInfo.InvariantCulture, $"<text class=\"label\" x=\"16\" y=\"{y + 15}\" font-weight=\"bold\">{Kind(set.Kind)} · {E(set.State.ToString().ToLowerInvariant())}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"16\" y=\"{y + 30}\" fill=\"#555\" font-size=\"11\">{E(set.SetId)} · {Time(set.StartedAt)}</text>\n");
        if (set.Low is { } low && set.High is { } high)
        {
            var x = X(low);
            var w = X(high + 1) - x;
            s.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{x:0.#}\" y=\"{y + 4}\" width=\"{w:0.#}\" height=\"18\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\"{dashed}/>");
            s.Append(CultureInfo.InvariantCulture, $"<text class=\"range\" x=\"{x + (w / 2):0.#}\" y=\"{y + 17}\" text-anchor=\"middle\" fill=\"{(set.Restorable ? "#fff" : "#333")}\" font-size=\"11\">{Range(low, high)}</text>\n");
        }

        foreach (var (tl, th) in set.Truncated)
        {
            var x = X(tl);
            var w = X(th + 1) - x;
            s.Append(CultureInfo.InvariantCulture, $"<g class=\"truncation\" data-low=\"{tl}\" data-high=\"{th}\"><rect x=\"{x:0.#}\" y=\"{y + 26}\" width=\"{w:0.#}\" height=\"7\" fill=\"#d93025\"/>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + w + 4:0.#}\" y=\"{y + 33}\" fill=\"#d93025\" font-size=\"10\">truncated {Range(tl, th)} by {E(set.TruncatedBy ?? "?")}</text></g>\n");
        }

        s.Append("</g>\n");
    }

    private static void AppendLegend(StringBuilder s, int y)
    {
        (string Label, string Fill, string Extra)[] items =
        [
            ("full", "#1a73e8", string.Empty), ("incremental", "#34a853", string.Empty), ("copy", "#9aa0a6", string.Empty),
            ("not stored (failed, abandoned, running)", "#1a73e8", " stroke=\"#0b4fa8\" stroke-dasharray=\"5 3\" fill-opacity=\"0.25\""),
            ("logs truncated at completion", "#d93025", string.Empty), ("gap: in no stored set", "#fdecea", " stroke=\"#d93025\" stroke-dasharray=\"4 3\""),
        ];
        var x = 16;
        s.Append("<g class=\"legend\">");
        foreach (var (label, fill, extra) in items)
        {
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{y}\" width=\"16\" height=\"12\" fill=\"{fill}\"{extra}/><text x=\"{x + 22}\" y=\"{y + 10}\" fill=\"#333\">{E(label)}</text>");
            x += 34 + (label.Length * 7);
        }

        s.Append("</g>\n");
    }

    private static string Truncation(ChainSet set) =>
        set.Truncated.Count == 0 ? "-" : string.Join(", ", set.Truncated.Select(t => Range(t.Low, t.High))) + " by " + set.TruncatedBy;

    private static string Kind(BackupKind kind) => kind.ToString().ToLowerInvariant();

    private static string Range(long? low, long? high) =>
        low is null || high is null ? "no logs" : low == high ? $"gen {low}" : $"gen {low}–{high}";

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
