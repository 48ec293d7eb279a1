using System.Diagnostics;
using System.Text.Json.Nodes;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// <c>esebackup catalog chain TARGET --svg/--html</c> on a real chain made through the CLI (full, incremental,
/// copy, a new full after the database wrote on, and an incremental the host failed), rendered in headless Chromium
/// (Debian's <c>chromium</c>, installed by .ci/run): a script in the page measures what the browser laid out, and the
/// test checks every set's bar, every truncation and the gap against the catalog. With UPDATE_DOCS_SCREENSHOT=1 it
/// also writes docs/chain.png, the README's picture.
/// </summary>
public class ChainCommandTests
{
    /// <summary>Debian's chromium (CI); CHROMIUM_PATH or Chrome's usual place elsewhere (the Windows workflow's runners).</summary>
    private static readonly string Chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") is { Length: > 0 } configured ? configured
        : OperatingSystem.IsWindows() ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ProgramFiles), "Google", "Chrome", "Application", "chrome.exe")
        : "/usr/bin/chromium";

    [Fact]
    public async Task The_chain_picture_shows_every_set_truncation_and_gap_in_a_browser()
    {
        Assert.True(File.Exists(Chromium), "headless Chromium is needed (.ci/run installs Debian's chromium): " + Chromium);
        using var temp = new TempDir();
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, databaseBytes: 2L << 20, generations: 5, seed: 71);
        string[] common = ["--repository", temp.Combine("repo"), "--config", CliKit.WriteConfig(temp)];

        var full = await BackupAsync(source, "full", common);
        await SamplePlugin.AdvanceAsync(source, 3);
        var incremental = await BackupAsync(source, "incremental", common);
        var copy = await BackupAsync(source, "copy", common);
        await SamplePlugin.AdvanceAsync(source, 4);
        var full2 = await BackupAsync(source, "full", common);
        await SamplePlugin.AdvanceAsync(source, 2);
        var failed = await BackupAsync(source, "incremental", common, "--no-complete");
        Assert.Equal(0, (await CliKit.RunAsync(["complete", failed.SetId, "--failed", .. common])).ExitCode);

        var targetId = full.Manifest!["target"]!["id"]!.GetValue<string>();
        var svg = temp.Combine("chain.svg");
        var html = temp.Combine("chain.html");
        var run = await CliKit.RunAsync(["catalog", "chain", targetId[..12], "--svg", svg, "--html", html, .. common]);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());

        // What the picture must show, from the manifests and truncation reports the CLI printed.
        (string Id, string Kind, string State, long Low, long High)[] expected =
        [
            Expect(full, "full", "completed"), Expect(incremental, "incremental", "completed"), Expect(copy, "copy", "completed"),
            Expect(full2, "full", "completed"), Expect(failed, "incremental", "failed"),
        ];
        var stored = expected.Where(e => e.State == "completed").SelectMany(e => Enumerable.Range((int)e.Low, (int)(e.High - e.Low + 1))).ToHashSet();
        var gaps = ChainDiagram.Runs(Enumerable.Range(stored.Min(), stored.Max() - stored.Min() + 1).Where(g => !stored.Contains(g)).Select(g => (long)g));
        Assert.NotEmpty(gaps); // the second full starts after the database wrote on: the generations between are in no set
        var truncated = incremental.Truncation!["removed"]!.AsArray().Select(r => r!["generation"]!.GetValue<long>()).ToList();
        Assert.NotEmpty(truncated);

        var layout = await MeasureInChromiumAsync(html, temp);
        var bars = layout["sets"]!.AsArray();
        Assert.Equal(expected.Select(e => e.Id), bars.Select(b => b!["id"]!.GetValue<string>()));
        for (var i = 0; i < expected.Length; i++)
        {
            var bar = bars[i]!;
            Assert.Equal(expected[i].Kind, bar["kind"]!.GetValue<string>());
            Assert.Equal(expected[i].State, bar["state"]!.GetValue<string>());
            Assert.Equal((expected[i].Low, expected[i].High), (bar["low"]!.GetValue<long>(), bar["high"]!.GetValue<long>()));
            Assert.True(bar["width"]!.GetValue<double>() > 5, $"set {expected[i].Id} has no visible bar");
            Assert.True(bar["labelWidth"]!.GetValue<double>() > 20, $"set {expected[i].Id} has no visible label");
        }

        // Bars sit over their generations: the same generation is at the same x in every lane.
        var perGeneration = bars.Select(b => (b!["width"]!.GetValue<double>() / (b["high"]!.GetValue<long>() - b["low"]!.GetValue<long>() + 1), b["x"]!.GetValue<double>() - ((b["low"]!.GetValue<long>() - expected.Min(e => e.Low)) * (b["width"]!.GetValue<double>() / (b["high"]!.GetValue<long>() - b["low"]!.GetValue<long>() + 1))))).ToList();
        // (SVG coordinates are written to a tenth of a pixel.)
        Assert.All(perGeneration, p => Assert.InRange(Math.Abs(perGeneration[0].Item1 - p.Item1), 0, 0.5));
        Assert.All(perGeneration, p => Assert.InRange(Math.Abs(perGeneration[0].Item2 - p.Item2), 0, 0.5));

        var cuts = layout["truncations"]!.AsArray();
        Assert.Equal(ChainDiagram.Runs(truncated).Select(r => (incremental.SetId, r.Low, r.High)), cuts.Select(c => (c!["set"]!.GetValue<string>(), c["low"]!.GetValue<long>(), c["high"]!.GetValue<long>())).Where(c => c.Item1 == incremental.SetId));
        Assert.All(cuts, c => Assert.True(c!["width"]!.GetValue<double>() > 2));

        var shownGaps = layout["gaps"]!.AsArray();
        Assert.Equal(gaps, shownGaps.Select(g => (g!["low"]!.GetValue<long>(), g["high"]!.GetValue<long>())));
        Assert.All(shownGaps, g => Assert.True(g!["width"]!.GetValue<double>() > 5 && g["height"]!.GetValue<double>() > 40));
        Assert.Equal(expected.Length, layout["tableRows"]!.GetValue<int>());

        // The SVG file on its own is well-formed XML with the same elements.
        var doc = System.Xml.Linq.XDocument.Load(svg);
        Assert.Equal(expected.Length, doc.Descendants().Count(e => (string?)e.Attribute("class") == "set"));

        if (Environment.GetEnvironmentVariable("UPDATE_DOCS_SCREENSHOT") == "1")
        {
            await RunChromiumAsync(temp, "--window-size=1200,560", "--screenshot=" + Path.Combine(TestSupport.RepoRoot, "docs", "chain.png"), new Uri(html).AbsoluteUri);
        }
    }

    private static (string, string, string, long, long) Expect(BackupOutputJson b, string kind, string state) =>
        (b.SetId, kind, state, b.Manifest!["logRange"]!["low"]!.GetValue<long>(), b.Manifest["logRange"]!["high"]!.GetValue<long>());

    private static async Task<BackupOutputJson> BackupAsync(string source, string kind, string[] common, params string[] extra)
    {
        var run = await CliKit.RunAsync(["backup", source, "--kind", kind, "--json", .. extra, .. common]);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var node = JsonNode.Parse(run.Out)!;
        return new BackupOutputJson(node["setId"]!.GetValue<string>(), node["manifest"], node["truncation"]);
    }

    /// <summary>Opens the page in headless Chromium with a script that reports the laid-out boxes, and reads them back.</summary>
    private static async Task<JsonNode> MeasureInChromiumAsync(string html, TempDir temp)
    {
        const string probe = """
            <script>
            const box = e => e.getBoundingClientRect();
            const num = (e, a) => Number(e.getAttribute(a));
            const out = {
              sets: [...document.querySelectorAll('svg g.set')].map(g => {
                const bar = g.querySelector('rect.bar'), label = g.querySelector('text.label');
                return { id: g.dataset.setId, kind: g.dataset.kind, state: g.dataset.state, low: num(g, 'data-low'), high: num(g, 'data-high'),
                         x: bar ? box(bar).x : -1, width: bar ? box(bar).width : 0, labelWidth: label.getComputedTextLength() };
              }),
              truncations: [...document.querySelectorAll('svg g.truncation')].map(g => ({ set: g.closest('g.set').dataset.setId,
                low: num(g, 'data-low'), high: num(g, 'data-high'), width: box(g.querySelector('rect')).width })),
              gaps: [...document.querySelectorAll('svg g.gap')].map(g => ({ low: num(g, 'data-low'), high: num(g, 'data-high'),
                width: box(g.querySelector('rect')).width, height: box(g.querySelector('rect')).height })),
              tableRows: document.querySelectorAll('table.sets tr[data-set-id]').length,
            };
            const pre = document.createElement('pre'); pre.id = 'layout'; pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
            </script>
            """;
        var probed = temp.Combine("probe.html");
        await File.WriteAllTextAsync(probed, (await File.ReadAllTextAsync(html)).Replace("</body>", probe + "</body>", StringComparison.Ordinal));
        var dom = await RunChromiumAsync(temp, "--dump-dom", new Uri(probed).AbsoluteUri);
        var start = dom.IndexOf("<pre id=\"layout\">", StringComparison.Ordinal);
        Assert.True(start >= 0, "Chromium did not run the layout probe:\n" + dom[..Math.Min(dom.Length, 2000)]);
        start += "<pre id=\"layout\">".Length;
        var json = System.Net.WebUtility.HtmlDecode(dom[start..dom.IndexOf("</pre>", start, StringComparison.Ordinal)]);
        return JsonNode.Parse(json)!;
    }

    private static async Task<string> RunChromiumAsync(TempDir temp, params string[] args)
    {
        var info = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + temp.Combine("chromium-profile-" + Guid.NewGuid().ToString("N")[..8]), .. args])
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return output;
    }

    private sealed record BackupOutputJson(string SetId, JsonNode? Manifest, JsonNode? Truncation);
}
