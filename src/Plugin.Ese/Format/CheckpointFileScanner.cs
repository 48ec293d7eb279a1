using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>Verifies a checkpoint file: both 4096-byte copies, chosen like the database header, and the file type.</summary>
internal sealed class CheckpointFileScanner : FileScanner
{
    private readonly byte[] _image;
    private int _filled;

    public CheckpointFileScanner(string displayPath, long declaredLength, FindingCollector findings)
        : base(displayPath, declaredLength, findings)
    {
        _image = new byte[(int)Math.Min(declaredLength, CheckpointHeader.FileSize)];
    }

    public override int UnitSize => CheckpointHeader.Size;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset) => Capture(units, offset);

    public override void ProcessTail(ReadOnlySpan<byte> tail, long offset) => Capture(tail, offset);

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes)
    {
        var selection = CheckpointSelection.Select(_image.AsSpan(0, _filled));
        switch (selection.UsedCopy)
        {
            case HeaderCopy.None when _filled >= CheckpointHeader.Size:
                Add(FindingCodes.HeaderChecksumMismatch, "Neither checkpoint copy passes its checksum.", 0, selection.PrimaryStored, selection.PrimaryComputed);
                if (selection.ShadowPresent)
                {
                    Add(FindingCodes.ShadowHeaderMismatch, "The second checkpoint copy fails its checksum too.", CheckpointHeader.Size, selection.ShadowStored, selection.ShadowComputed);
                }

                break;
            case HeaderCopy.Shadow:
                Add(FindingCodes.HeaderChecksumMismatch, "The first checkpoint copy fails its checksum; the second is valid and was used.", 0, selection.PrimaryStored, selection.PrimaryComputed);
                break;
            case HeaderCopy.Primary when selection.ShadowPresent && !selection.ShadowValid:
                Add(FindingCodes.ShadowHeaderMismatch, "The second checkpoint copy fails its checksum; the first is valid.", CheckpointHeader.Size, selection.ShadowStored, selection.ShadowComputed);
                break;
            case HeaderCopy.Primary when selection.ShadowValid && !selection.CopiesIdentical:
                Findings.Add(new Finding(FindingCodes.ShadowHeaderMismatch, FindingSeverity.Warning, "Both checkpoint copies are valid but differ (a write between them); the first was used.")
                {
                    File = DisplayPath,
                    Offset = CheckpointHeader.Size,
                });
                break;
        }

        if (selection.UsedCopy != HeaderCopy.None && selection.Header!.FileType is not (0 or CheckpointHeader.CheckpointFileType))
        {
            Findings.Add(new Finding(FindingCodes.HeaderInvalid, FindingSeverity.Corruption, $"The checkpoint's file type is {selection.Header.FileType}, not 4.")
            {
                File = DisplayPath,
                Offset = DatabaseHeader.FileTypeOffset,
                Expected = "4",
                Actual = FindingCollector.Dec(selection.Header.FileType),
                EseError = EseErrors.CheckpointCorrupt,
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
                EseError = EseErrors.CheckpointCorrupt,
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
            LogName = LogFileName.TryParse(Path.GetFileName(DisplayPath)),
        };
    }

    private void Capture(ReadOnlySpan<byte> data, long offset)
    {
        if (offset >= _image.Length)
        {
            return;
        }

        var n = (int)Math.Min(data.Length, _image.Length - offset);
        data[..n].CopyTo(_image.AsSpan((int)offset));
        _filled = Math.Max(_filled, (int)offset + n);
    }

    private void Add(string code, string message, long offset, uint stored, uint computed) =>
        Findings.Add(new Finding(code, FindingSeverity.Corruption, message)
        {
            File = DisplayPath,
            Offset = offset,
            Expected = FindingCollector.Hex(stored),
            Actual = FindingCollector.Hex(computed),
            EseError = EseErrors.CheckpointCorrupt,
        });
}
