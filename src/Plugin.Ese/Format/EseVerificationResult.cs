using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Everything one pass over a file found: the kind, unit counters, findings, and the parsed headers a backup
/// engine records in its manifest.
/// </summary>
internal sealed record EseVerificationResult
{
    /// <summary>The path the caller named the file by.</summary>
    public required string DisplayPath { get; init; }

    /// <summary>What the file is.</summary>
    public required EseFileKind Kind { get; init; }

    /// <summary>Why the file was given that kind.</summary>
    public string KindReason { get; init; } = string.Empty;

    /// <summary>What <see cref="UnitsChecked"/> counts.</summary>
    public VerificationUnit Unit { get; init; }

    /// <summary>Units whose checksum was computed (valid or not).</summary>
    public long UnitsChecked { get; init; }

    /// <summary>Units never written (all zero), not checksummed, as ESE does.</summary>
    public long UnitsUninitialized { get; init; }

    /// <summary>Units that failed verification.</summary>
    public long UnitsCorrupt { get; init; }

    /// <summary>Units that carry no checksum to verify (pages of ESE's temporary database).</summary>
    public long UnitsNotVerified { get; init; }

    /// <summary>Bytes processed.</summary>
    public long Bytes { get; init; }

    /// <summary>What is wrong (empty for a clean file).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>Databases: the header copy in use (or the primary as read when neither is valid).</summary>
    public DatabaseHeader? Database { get; init; }

    /// <summary>Databases: which header copy was used.</summary>
    public HeaderCopy HeaderCopyUsed { get; init; }

    /// <summary>Databases: the page size the file was verified with.</summary>
    public int? PageSize { get; init; }

    /// <summary>Databases: pages with the legacy XOR checksum.</summary>
    public long LegacyChecksumPages { get; init; }

    /// <summary>Databases: pages with the XE checksum.</summary>
    public long XeChecksumPages { get; init; }

    /// <summary>Databases: the streaming-backup trailer page, when the last page is one.</summary>
    public BackupTrailer? Trailer { get; init; }

    /// <summary>
    /// Databases: the log generations needed to make this file consistent. A streaming-backup image needs the logs
    /// from its backup start (<c>bkinfoFullCur.genLow</c>) to the trailer's <c>genHigh</c>, whatever the header
    /// captured at backup start said; any other file needs the header's <see cref="DatabaseHeader.RequiredLogRange"/>.
    /// </summary>
    public (int Low, int High)? RequiredLogRange
    {
        get
        {
            if (Database is not { } h)
            {
                return null;
            }

            if (Trailer is { } trailer && h.FullBackupCurrent.GenerationLow is > 0 and <= int.MaxValue)
            {
                var low = (int)h.FullBackupCurrent.GenerationLow;
                return (low, (int)Math.Clamp(trailer.Backup.GenerationHigh, (uint)low, int.MaxValue));
            }

            return h.RequiredLogRange;
        }
    }

    /// <summary>Logs: the header (also for damaged headers, read as is).</summary>
    public LogFileHeader? Log { get; init; }

    /// <summary>Logs: true when the header checksum matched.</summary>
    public bool LogHeaderValid { get; init; }

    /// <summary>Log-stream files: what the name says.</summary>
    public LogFileName? LogName { get; init; }

    /// <summary>
    /// v8 logs: XOR of the stored checksums of every good segment (the value the next generation's header must
    /// carry), or <see langword="null"/> when damage made it unknowable.
    /// </summary>
    public ulong? AccumulatedSegmentChecksum { get; init; }

    /// <summary>v8 logs: data segments holding this generation's records.</summary>
    public int GoodSegments { get; init; }

    /// <summary>v8 logs: shadow copies seen.</summary>
    public int ShadowSegments { get; init; }

    /// <summary>Checkpoints: the copy in use.</summary>
    public CheckpointHeader? Checkpoint { get; init; }

    /// <summary>Flush maps: the header.</summary>
    public FlushMapHeader? FlushMap { get; init; }

    /// <summary>True when any finding is corruption.</summary>
    public bool HasCorruption => Findings.Any(f => f.Severity == FindingSeverity.Corruption);

    /// <summary>The log generation this file holds (from the header), when it is a log.</summary>
    public int? Generation => Log?.Generation;
}
