using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>Turns a <see cref="DatabaseHeaderSelection"/> into findings (shared by verification and inspection).</summary>
internal static class DatabaseHeaderChecks
{
    /// <summary>Adds the findings the header copies deserve.</summary>
    public static void Report(DatabaseHeaderSelection selection, string path, FindingCollector findings, FindingSeverity severity)
    {
        var size = selection.PageSize ?? 4096;
        switch (selection.UsedCopy)
        {
            case HeaderCopy.None:
                findings.Add(new Finding(
                    FindingCodes.HeaderChecksumMismatch,
                    severity,
                    "Neither database header copy passes its checksum: the header is corrupt.")
                {
                    File = path,
                    Offset = 0,
                    Expected = FindingCollector.Hex(selection.PrimaryStored),
                    Actual = FindingCollector.Hex(selection.PrimaryComputed),
                    EseError = EseErrors.ReadVerifyFailure,
                });
                if (selection.ShadowPresent)
                {
                    AddShadow(selection, size, "The shadow database header fails its checksum too.", path, findings, severity);
                }

                break;
            case HeaderCopy.Shadow:
                findings.Add(new Finding(
                    FindingCodes.HeaderChecksumMismatch,
                    severity,
                    "The primary database header fails its checksum; the shadow copy is valid and was used.")
                {
                    File = path,
                    Offset = 0,
                    Expected = FindingCollector.Hex(selection.PrimaryStored),
                    Actual = FindingCollector.Hex(selection.PrimaryComputed),
                    EseError = EseErrors.ReadVerifyFailure,
                });
                break;
            case HeaderCopy.Primary when !selection.ShadowValid && selection.ShadowPresent:
                AddShadow(selection, size, "The shadow database header fails its checksum; the primary is valid.", path, findings, severity);
                break;
            case HeaderCopy.Primary when selection.ShadowValid && !selection.CopiesIdentical:
                findings.Add(new Finding(
                    FindingCodes.ShadowHeaderMismatch,
                    severity,
                    "Both database header copies pass their checksums but differ; the primary was used.")
                {
                    File = path,
                    Offset = size,
                    EseError = EseErrors.ReadVerifyFailure,
                });
                break;
        }

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
                EseError = EseErrors.DatabaseCorrupted,
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
                EseError = EseErrors.DatabaseCorrupted,
            });
        }
    }

    private static void AddShadow(DatabaseHeaderSelection selection, int size, string message, string path, FindingCollector findings, FindingSeverity severity) =>
        findings.Add(new Finding(FindingCodes.ShadowHeaderMismatch, severity, message)
        {
            File = path,
            Offset = size,
            Expected = FindingCollector.Hex(selection.ShadowStored),
            Actual = FindingCollector.Hex(selection.ShadowComputed),
            EseError = EseErrors.ReadVerifyFailure,
        });
}
