using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>Verifies a checkpoint file: both 4096-byte copies, chosen like the database header, and the file type.</summary>
internal sealed class CheckpointFileScanner : FileScanner
{
    private static readonly HeaderCopyWording Wording = new(
        NeitherValid: "Neither checkpoint copy passes its checksum.",
        ShadowBadToo: "The second checkpoint copy fails its checksum too.",
        ShadowUsed: "The first checkpoint copy fails its checksum; the second is valid and was used.",
        ShadowBad: "The second checkpoint copy fails its checksum; the first is valid.",
        CopiesDiffer: "Both checkpoint copies are valid but differ (a write between them); the first was used.",
        EseError: (int)JetErr.JET_errCheckpointCorrupt,
        DifferEseError: null);

    private readonly byte[] _image;
    private int _filled;

    public CheckpointFileScanner(string displayPath, long declaredLength, FindingCollector findings)
        : base(displayPath, declaredLength, findings)
    {
        _image = new byte[(int)Math.Min(declaredLength, CheckpointHeader.FileSize)];
    }

    public override int UnitSize => CheckpointHeader.Size;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset) => _filled = CopyPrefix(units, offset, _image, _filled);

    public override void ProcessTail(ReadOnlySpan<byte> tail, long offset) => _filled = CopyPrefix(tail, offset, _image, _filled);

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes)
    {
        var selection = CheckpointSelection.Select(_image.AsSpan(0, _filled));
        if (_filled >= CheckpointHeader.Size)
        {
            // A shorter file is reported as truncated below.
            HeaderCopyChecks.Report(selection, CheckpointHeader.Size, Wording, DisplayPath, Findings, FindingSeverity.Corruption, FindingSeverity.Warning);
        }

        if (selection.UsedCopy != HeaderCopy.None && selection.Header!.FileType is not (0 or CheckpointHeader.CheckpointFileType))
        {
            Findings.Add(new Finding(FindingCodes.HeaderInvalid, FindingSeverity.Corruption, $"The checkpoint's file type is {selection.Header.FileType}, not 4.")
            {
                File = DisplayPath,
                Offset = DatabaseHeader.FileTypeOffset,
                Expected = "4",
                Actual = FindingCollector.Dec(selection.Header.FileType),
                EseError = (int)JetErr.JET_errCheckpointCorrupt,
            });
        }

        if (totalBytes < CheckpointHeader.FileSize)
        {
            Findings.Add(new Finding(FindingCodes.TruncatedFile, FindingSeverity.Corruption, $"The checkpoint is {totalBytes} bytes long; it should hold two 4096-byte copies.")
            {
                File = DisplayPath,
                Offset = totalBytes,
                Expected = FindingCollector.Dec(CheckpointHeader.FileSize),
                Actual = FindingCollector.Dec(totalBytes),
                EseError = (int)JetErr.JET_errCheckpointCorrupt,
            });
        }
        else if (totalBytes > CheckpointHeader.FileSize)
        {
            Findings.Add(new Finding(FindingCodes.ExtraBytes, FindingSeverity.Warning, $"The checkpoint is {totalBytes} bytes long; only the first 8192 bytes are a checkpoint.")
            {
                File = DisplayPath,
                Offset = CheckpointHeader.FileSize,
                Expected = FindingCollector.Dec(CheckpointHeader.FileSize),
                Actual = FindingCollector.Dec(totalBytes),
            });
        }

        return result with
        {
            Unit = VerificationUnit.None,
            Checkpoint = selection.UsedCopy != HeaderCopy.None ? selection.Header : null,
            HeaderCopyUsed = selection.UsedCopy,
        };
    }
}
