using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Turns a <see cref="DatabaseHeaderSelection"/> (and a streaming-backup trailer) into findings, shared by
/// verification and inspection.
/// </summary>
internal static class DatabaseHeaderChecks
{
    private static readonly HeaderCopyWording Wording = new(
        NeitherValid: "Neither database header copy passes its checksum: the header is corrupt.",
        ShadowBadToo: "The shadow database header fails its checksum too.",
        ShadowUsed: "The primary database header fails its checksum; the shadow copy is valid and was used.",
        ShadowBad: "The shadow database header fails its checksum; the primary is valid.",
        CopiesDiffer: "Both database header copies pass their checksums but differ; the primary was used.",
        EseError: (int)JetErr.JET_errReadVerifyFailure,
        DifferEseError: (int)JetErr.JET_errReadVerifyFailure);

    /// <summary>Adds the findings the header copies deserve.</summary>
    public static void Report(DatabaseHeaderSelection selection, string path, FindingCollector findings, FindingSeverity severity)
    {
        HeaderCopyChecks.Report(selection, selection.PageSize ?? 4096, Wording, path, findings, severity, severity);

        if (!selection.IsValid || selection.Header is not { } h)
        {
            return;
        }

        if (!h.HasValidMagic)
        {
            findings.Add(new Finding(FindingCodes.HeaderInvalid, severity, "The database header does not carry the magic 0x89ABCDEF.")
            {
                File = path,
                Offset = DatabaseHeader.MagicOffset,
                Expected = FindingCollector.Hex(DatabaseHeader.Magic),
                Actual = FindingCollector.Hex(h.MagicValue),
                EseError = (int)JetErr.JET_errDatabaseCorrupted,
            });
        }

        // Old engines may leave the file type 0; anything else than a database type is wrong.
        if (h.FileType is not (0 or DatabaseHeader.DatabaseFileType or DatabaseHeader.TemporaryDatabaseFileType))
        {
            findings.Add(new Finding(FindingCodes.HeaderInvalid, severity, $"The database header's file type is {h.FileType}, not 1 (database).")
            {
                File = path,
                Offset = DatabaseHeader.FileTypeOffset,
                Expected = "1",
                Actual = FindingCollector.Dec(h.FileType),
                EseError = (int)JetErr.JET_errDatabaseCorrupted,
            });
        }
    }

    /// <summary>
    /// Adds a finding when a streaming-backup trailer does not belong to the header: another database or log stream,
    /// another backup (mark), or no last generation. Nothing is checked against an invalid header.
    /// </summary>
    /// <param name="trailer">The trailer read from the last page.</param>
    /// <param name="selection">The header selection (none yet, or invalid: no check).</param>
    /// <param name="index">The trailer's index in the file, in pages (its offset is <c>index * pageSize</c>).</param>
    /// <param name="pageSize">The page size.</param>
    /// <param name="path">The file, for findings.</param>
    /// <param name="findings">Finding sink.</param>
    /// <param name="severity">Severity of a mismatch.</param>
    public static void CheckTrailer(
        BackupTrailer trailer, DatabaseHeaderSelection? selection, long index, int pageSize, string path, FindingCollector findings, FindingSeverity severity)
    {
        var header = selection?.Header;
        if (header is null || selection is not { IsValid: true })
        {
            return;
        }

        if (trailer.DatabaseSignature != header.DatabaseSignature || trailer.LogSignature != header.LogSignature)
        {
            findings.Add(new Finding(
                FindingCodes.BackupTrailerMismatch,
                severity,
                "The streaming-backup trailer page names another database or log stream than the header.")
            {
                File = path,
                Page = index - 1,
                Offset = index * pageSize,
                Expected = header.DatabaseSignature + " / " + header.LogSignature,
                Actual = trailer.DatabaseSignature + " / " + trailer.LogSignature,
                EseError = (int)JetErr.JET_errDatabaseCorrupted,
            });
        }
        else if (trailer.Backup.Mark != header.FullBackupCurrent.Mark || trailer.Backup.GenerationHigh == 0)
        {
            // Restore accepts a trailer only for the backup the header records (same marker) and with a log range.
            findings.Add(new Finding(
                FindingCodes.BackupTrailerMismatch,
                severity,
                trailer.Backup.GenerationHigh == 0
                    ? "The streaming-backup trailer page names no last log generation (genHigh 0)."
                    : "The streaming-backup trailer page belongs to another backup than the one the header records (backup marks differ).")
            {
                File = path,
                Page = index - 1,
                Offset = index * pageSize,
                Expected = "mark " + header.FullBackupCurrent.Mark + ", genHigh > 0",
                Actual = "mark " + trailer.Backup.Mark + ", genHigh " + trailer.Backup.GenerationHigh,
                EseError = (int)JetErr.JET_errDatabaseCorrupted,
            });
        }
    }
}
