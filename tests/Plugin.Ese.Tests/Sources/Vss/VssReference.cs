using System.Globalization;
using System.Text.RegularExpressions;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>
/// Reads the tables of shared/reference/vss-requester.md at test time, so the interop is pinned to the
/// reference itself rather than to a second hand-typed copy of it.
/// </summary>
internal static partial class VssReference
{
    private static readonly Lazy<string> Text = new(() => File.ReadAllText(Path.Combine(TestData.SharedRoot, "reference", "vss-requester.md")));

    /// <summary>One vtable row: slot, method, parameter types in order (SDK spelling, e.g. <c>VSS_ID *</c>).</summary>
    internal sealed record Slot(int Number, string Method, IReadOnlyList<string> ParameterTypes);

    /// <summary>The rows of a §10 table (IUnknown's 0–2 included as QueryInterface, AddRef, Release).</summary>
    public static IReadOnlyList<Slot> Vtable(string heading)
    {
        var section = Section(heading);
        var slots = new List<Slot>
        {
            new(0, "QueryInterface", ["REFIID", "void **"]),
            new(1, "AddRef", []),
            new(2, "Release", []),
        };
        foreach (Match m in SlotRow().Matches(section))
        {
            var parameters = m.Groups["params"].Value.Trim();
            slots.Add(new Slot(
                int.Parse(m.Groups["slot"].Value, CultureInfo.InvariantCulture),
                m.Groups["method"].Value.Trim(),
                parameters == "(none)" ? [] : parameters.Split(';').Select(ParameterType).ToArray()));
        }

        Assert.True(slots.Count > 3, "no slot rows under " + heading);
        return slots;
    }

    /// <summary>The values of an enumeration of §7, by SDK name.</summary>
    public static IReadOnlyDictionary<string, long> Enum(string name)
    {
        var row = Text.Value.Split('\n').Single(l => l.StartsWith("| " + name + " |", StringComparison.Ordinal));
        var values = row.Split('|', StringSplitOptions.RemoveEmptyEntries)[1];
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in values.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = part.Split('=', StringSplitOptions.TrimEntries);
            result[kv[0]] = Number(kv[1]);
        }

        return result;
    }

    /// <summary>The HRESULT table of §8, name to value.</summary>
    public static IReadOnlyDictionary<string, int> HResults()
    {
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (Match m in HResultRow().Matches(Section("## 8. HRESULTs")))
        {
            result[m.Groups["name"].Value] = unchecked((int)(uint)Number(m.Groups["value"].Value));
        }

        return result;
    }

    /// <summary>The VSS_SNAPSHOT_PROP table of §11.1: field name to offset.</summary>
    public static IReadOnlyDictionary<string, int> SnapshotPropOffsets()
    {
        var section = Section("### 11.1 Native structures");
        var table = section[section.IndexOf("`VSS_SNAPSHOT_PROP`", StringComparison.Ordinal)..section.IndexOf("`VSS_OBJECT_PROP`", StringComparison.Ordinal)];
        return OffsetRow().Matches(table).ToDictionary(m => m.Groups["field"].Value, m => int.Parse(m.Groups["offset"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>The §12 table of ESE-based writers: reported writer name (backticks removed) to writer id, for rows that give one.</summary>
    public static IReadOnlyDictionary<string, Guid> EseWriterIds() =>
        WriterRow().Matches(Section("## 12. ESE-based writers")).ToDictionary(m => m.Groups["name"].Value, m => Guid.Parse(m.Groups["id"].Value), StringComparer.Ordinal);

    /// <summary>A sentence of the reference, to pin stated sizes.</summary>
    public static bool Says(string text) => Text.Value.Contains(text, StringComparison.Ordinal);

    private static string Section(string heading)
    {
        var text = Text.Value;
        var start = text.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, "the reference has no section " + heading);
        var next = text.IndexOf("\n#", start + heading.Length, StringComparison.Ordinal);
        return next < 0 ? text[start..] : text[start..next];
    }

    private static string ParameterType(string parameter)
    {
        var tokens = parameter.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var name = tokens[^1];
        var stars = name.Length - name.TrimStart('*').Length;
        return string.Join(' ', tokens[..^1]) + (stars > 0 ? " " + new string('*', stars) : "");
    }

    private static long Number(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\|\s*(?<slot>\d+)\s*\|\s*[^|]+?\s*\|\s*(?<method>[^|]+?)\s*\|\s*(?<params>[^|]+?)\s*\|", RegexOptions.Multiline)]
    private static partial Regex SlotRow();

    [GeneratedRegex(@"^\|\s*`(?<name>(VSS|E|RPC)_[A-Z_]+)`\s*\|\s*(?<value>0x[0-9A-Fa-f]{8})\s*\|", RegexOptions.Multiline)]
    private static partial Regex HResultRow();

    [GeneratedRegex(@"^\|\s*`(?<name>[^`]+)`[^|]*\|\s*(?<id>[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})", RegexOptions.Multiline)]
    private static partial Regex WriterRow();

    [GeneratedRegex(@"^\|\s*(?<offset>\d+)\s*\|\s*(?<field>m_\w+)\s*\|", RegexOptions.Multiline)]
    private static partial Regex OffsetRow();
}
