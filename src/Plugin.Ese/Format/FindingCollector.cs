using System.Globalization;
using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Collects the findings of one file. A badly damaged multi-gigabyte file could produce millions of them, so only
/// the first <see cref="Limit"/> are kept; the rest are counted and summarised in one last finding.
/// </summary>
internal sealed class FindingCollector
{
    /// <summary>Findings kept per file.</summary>
    public const int Limit = 1000;

    private readonly List<Finding> _findings = [];
    private long _dropped;
    private long _droppedCorruption;

    /// <summary>True once any corruption was added (listed or only counted).</summary>
    public bool HasCorruption { get; private set; }

    /// <summary>Adds a finding (or counts it once the limit is reached).</summary>
    public void Add(Finding finding)
    {
        HasCorruption |= finding.Severity == FindingSeverity.Corruption;
        if (_findings.Count < Limit)
        {
            _findings.Add(finding);
            return;
        }

        _dropped++;
        if (finding.Severity == FindingSeverity.Corruption)
        {
            _droppedCorruption++;
        }
    }

    /// <summary>The findings, with a summary when some were dropped.</summary>
    public IReadOnlyList<Finding> ToList(string? file)
    {
        if (_dropped == 0)
        {
            return [.. _findings];
        }

        var summary = new Finding(
            FindingCodes.FindingsLimitReached,
            _droppedCorruption > 0 ? FindingSeverity.Corruption : FindingSeverity.Warning,
            string.Create(CultureInfo.InvariantCulture, $"{_dropped} further findings ({_droppedCorruption} of them corruption) were counted but not listed."))
        {
            File = file,
        };
        return [.. _findings, summary];
    }

    /// <summary>Hex text of a 32-bit value for <see cref="Finding.Expected"/> and <see cref="Finding.Actual"/>.</summary>
    public static string Hex(uint value) => "0x" + value.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>Hex text of a 64-bit value.</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("X16", CultureInfo.InvariantCulture);

    /// <summary>Invariant decimal text.</summary>
    public static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);
}
