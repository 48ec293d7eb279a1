using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>Checks every log format shares: header checksum, file type, geometry, name generation, length.</summary>
internal static class LogHeaderChecks
{
    /// <summary>
    /// Checks the streamed 4096-byte header block and returns it parsed (damaged headers are parsed as they are).
    /// </summary>
    public static (LogFileHeader? Header, bool Valid) CheckHeader(
        ReadOnlySpan<byte> block, string path, LogFileName? name, FindingCollector findings, FindingSeverity severity)
    {
        if (block.Length < LogFileHeader.Size)
        {
            // Reported as truncation by the caller.
            return (null, false);
        }

        var header = LogFileHeader.Read(block);
        var stored = XorChecksum.ReadStored(block);
        var computed = XorChecksum.Compute(block[..LogFileHeader.Size]);
        if (stored != computed)
        {
            // The damaged header's own generation field may be the flipped bit: name the generation the file name says.
            findings.Add(new Finding(FindingCodes.LogHeaderChecksumMismatch, severity, "The log file header fails its checksum.")
            {
                File = path,
                Offset = 0,
                Sector = 0,
                Generation = name?.Generation,
                Expected = FindingCollector.Hex(stored),
                Actual = FindingCollector.Hex(computed),
                EseError = (int)JetErr.JET_errLogReadVerifyFailure,
            });
            return (header, false);
        }

        if (header.FileType is not (0 or LogFileHeader.LogFileType))
        {
            findings.Add(new Finding(FindingCodes.HeaderInvalid, severity, $"The log header's file type is {header.FileType}, not 3 (log).")
            {
                File = path,
                Offset = DatabaseHeader.FileTypeOffset,
                Expected = "3",
                Actual = FindingCollector.Dec(header.FileType),
                EseError = (int)JetErr.JET_errLogFileCorrupt,
            });
        }

        if (name is { Kind: LogFileNameKind.Archived, Generation: { } nameGeneration } && nameGeneration != header.Generation)
        {
            findings.Add(new Finding(
                FindingCodes.LogGenerationMismatch,
                severity,
                $"The file name says generation {nameGeneration} but the header holds generation {header.Generation}.")
            {
                File = path,
                Generation = header.Generation,
                Expected = FindingCollector.Dec(nameGeneration),
                Actual = FindingCollector.Dec(header.Generation),
                EseError = (int)JetErr.JET_errLogGenerationMismatch,
            });
        }

        return (header, true);
    }

    /// <summary>True when the header's geometry is one a v8 writer produces.</summary>
    public static bool HasSegmentGeometry(LogFileHeader h) =>
        h.SectorSize == LogSegmentHeader.SegmentSize && h.HeaderSectors >= 1 && h.FileSectors > h.HeaderSectors + 1;

    /// <summary>True when the header's geometry is one a v7 writer produces.</summary>
    public static bool HasLegacyGeometry(LogFileHeader h) =>
        h.SectorSize is 512 or 1024 or 2048 or 4096
        && h.HeaderSectors >= 1
        && (long)h.HeaderSectors * h.SectorSize >= LogFileHeader.Size
        && h.FileSectors > h.HeaderSectors;

    /// <summary>Reports a file shorter or longer than the header declares.</summary>
    public static void CheckLength(long expected, long actual, string path, int generation, FindingCollector findings, FindingSeverity severity)
    {
        if (actual < expected)
        {
            findings.Add(new Finding(
                FindingCodes.TruncatedFile,
                severity,
                $"The log is {actual} bytes long but its header declares {expected}.")
            {
                File = path,
                Offset = actual,
                Generation = generation,
                Expected = FindingCollector.Dec(expected),
                Actual = FindingCollector.Dec(actual),
                EseError = (int)JetErr.JET_errLogReadVerifyFailure,
            });
        }
        else if (actual > expected)
        {
            findings.Add(new Finding(
                FindingCodes.ExtraBytes,
                FindingSeverity.Warning,
                $"The log is {actual} bytes long but its header declares {expected}; the extra bytes were not verified.")
            {
                File = path,
                Offset = expected,
                Generation = generation,
                Expected = FindingCollector.Dec(expected),
                Actual = FindingCollector.Dec(actual),
            });
        }
    }
}
