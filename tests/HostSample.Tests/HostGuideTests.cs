using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests;

/// <summary>
/// docs/host-guide.md cannot drift from the code: its error-code table is generated from <see cref="ErrorCodes.All"/>
/// (with each code's documentation), its exit-code table from the host's own help text, and every test it names
/// exists. After a deliberate change, run the tests with ACCEPT_HOST_GUIDE=1 to regenerate the tables.
/// </summary>
public partial class HostGuideTests
{
    private static string GuidePath => Path.Combine(TestSupport.RepoRoot, "docs", "host-guide.md");

    [Fact]
    public void The_error_code_table_is_generated_from_ErrorCodes_All()
    {
        var docs = XDocument.Load(Path.Combine(AppContext.BaseDirectory, "EseBackupPlugin.Abstractions.xml"));
        var table = new StringBuilder("| code | ESE | category | transient | meaning |\n|---|---|---|---|---|\n");
        foreach (var code in ErrorCodes.All.Values.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            var summary = docs.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == $"P:EseBackupPlugin.Abstractions.Errors.ErrorCodes.{code.Name}")?.Element("summary");
            Assert.True(summary is not null, $"ErrorCodes.{code.Name} has no documentation");
            var meaning = Regex.Replace(string.Concat(summary!.Nodes().Select(Text)), @"\s+", " ").Trim().Replace("|", "\\|", StringComparison.Ordinal);
            var ese = code.EseError is { } n ? $"`{code.EseName}` {n.ToString(CultureInfo.InvariantCulture)}" : "-";
            table.Append(CultureInfo.InvariantCulture, $"| `{code.Name}` | {ese} | {code.Category} | {(code.IsTransient ? "yes: retry later" : "no")} | {meaning} |\n");
        }

        AssertSection("error-codes", table.ToString());
    }

    [Fact]
    public void The_exit_code_table_is_generated_from_the_host()
    {
        var table = new StringBuilder("| exit code | meaning |\n|---|---|\n");
        foreach (Match m in ExitLine().Matches(ExitCodes.Help))
        {
            table.Append(CultureInfo.InvariantCulture, $"| {m.Groups[1].Value} | {m.Groups[2].Value.Trim().Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        Assert.Contains("| 0 |", table.ToString(), StringComparison.Ordinal);
        AssertSection("exit-codes", table.ToString());
    }

    [Fact]
    public void Every_test_the_guide_names_exists()
    {
        var sources = Directory.EnumerateFiles(Path.Combine(TestSupport.RepoRoot, "tests"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        var named = TestReference().Matches(File.ReadAllText(GuidePath)).Select(m => (Class: m.Groups[1].Value, Method: m.Groups[2].Value)).Distinct().ToList();
        Assert.True(named.Count > 20, "the guide should name the tests behind its rules");
        var missing = named.Where(t => !sources.Any(s => s.Contains($"class {t.Class}", StringComparison.Ordinal) && s.Contains($" {t.Method}(", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, "the host guide names tests that do not exist: " + string.Join(", ", missing.Select(t => $"{t.Class}.{t.Method}")));
    }

    private static void AssertSection(string name, string generated)
    {
        var begin = $"<!-- {name}:begin -->\n";
        var end = $"<!-- {name}:end -->";
        var text = File.ReadAllText(GuidePath).ReplaceLineEndings("\n");
        var start = text.IndexOf(begin, StringComparison.Ordinal);
        var stop = text.IndexOf(end, StringComparison.Ordinal);
        Assert.True(start >= 0 && stop > start, $"docs/host-guide.md lacks the {name} markers");
        var current = text[(start + begin.Length)..stop];
        if (Environment.GetEnvironmentVariable("ACCEPT_HOST_GUIDE") == "1" && current != generated)
        {
            File.WriteAllText(GuidePath, text[..(start + begin.Length)] + generated + text[stop..]);
            current = generated;
        }

        Assert.True(current == generated, $"the {name} table of docs/host-guide.md is out of date; run the tests with ACCEPT_HOST_GUIDE=1");
    }

    private static string Text(XNode node) => node switch
    {
        XText t => t.Value,
        XElement { Name.LocalName: "see" } e => ((string?)e.Attribute("langword")) ?? ShortName((string?)e.Attribute("cref")),
        XElement e => string.Concat(e.Nodes().Select(Text)),
        _ => string.Empty,
    };

    private static string ShortName(string? cref) => cref is null ? string.Empty : cref[(cref.LastIndexOf('.') + 1)..];

    [GeneratedRegex(@"^\s+(\d+)\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex ExitLine();

    [GeneratedRegex(@"`([A-Z][A-Za-z0-9]+Tests)\.([A-Za-z0-9_]+)`")]
    private static partial Regex TestReference();
}
