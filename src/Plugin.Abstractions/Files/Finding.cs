using System.Text.Json.Serialization;

namespace EseBackupPlugin.Abstractions.Files;

/// <summary>How serious a finding is.</summary>
public enum FindingSeverity
{
    /// <summary>Worth knowing, nothing wrong (e.g. a zeroed reserve log).</summary>
    [JsonStringEnumMemberName("info")]
    Info,

    /// <summary>Unusual but not corrupt (e.g. a stale temporary log).</summary>
    [JsonStringEnumMemberName("warning")]
    Warning,

    /// <summary>Data is damaged or inconsistent: checksum, signature, sequence or hash failure.</summary>
    [JsonStringEnumMemberName("corruption")]
    Corruption,
}

/// <summary>
/// A verification finding: a damaged page is data, not an exception. Names the file and, where it
/// applies, page, offset, generation, the expected and actual values, and whether ECC could fix it.
/// </summary>
/// <param name="Code">Stable name, e.g. <c>PageChecksumMismatch</c>, <c>HeaderChecksumMismatch</c>, <c>LogSegmentChecksumMismatch</c>, <c>LogGenerationGap</c>.</param>
/// <param name="Severity">How serious.</param>
/// <param name="Message">One sentence for an operator.</param>
public sealed record Finding(string Code, FindingSeverity Severity, string Message)
{
    /// <summary>The file concerned.</summary>
    public string? File { get; init; }

    /// <summary>Database page number.</summary>
    public long? Page { get; init; }

    /// <summary>Log sector or segment index.</summary>
    public long? Sector { get; init; }

    /// <summary>Byte offset in the file.</summary>
    public long? Offset { get; init; }

    /// <summary>Log generation.</summary>
    public long? Generation { get; init; }

    /// <summary>Expected value (stored checksum, hash, generation), as text.</summary>
    public string? Expected { get; init; }

    /// <summary>Actual value (computed checksum, hash, generation), as text.</summary>
    public string? Actual { get; init; }

    /// <summary>For ECC checksums: the bit (offset in bits from the start of the page or block) a single-bit error sits at.</summary>
    public long? CorrectableBit { get; init; }

    /// <summary>The ESE error this finding corresponds to, e.g. -1018.</summary>
    public int? EseError { get; init; }
}
