using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Verifies a flush map's header block. The map is optional bookkeeping that ESE rebuilds when it is lost and is
/// never part of a backup set, so its data pages are not checked.
/// </summary>
internal sealed class FlushMapFileScanner : FileScanner
{
    private readonly byte[] _header = new byte[FlushMapHeader.Size];
    private int _filled;

    public FlushMapFileScanner(string displayPath, long declaredLength, FindingCollector findings)
        : base(displayPath, declaredLength, findings)
    {
    }

    public override int UnitSize => FlushMapHeader.Size;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset) => _filled = CopyPrefix(units, offset, _header, _filled);

    public override void ProcessTail(ReadOnlySpan<byte> tail, long offset) => _filled = CopyPrefix(tail, offset, _header, _filled);

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes)
    {
        if (_filled < FlushMapHeader.Size)
        {
            Findings.Add(new Finding(FindingCodes.TruncatedFile, FindingSeverity.Corruption, $"The flush map is {totalBytes} bytes long, shorter than its 4096-byte header.")
            {
                File = DisplayPath,
                Expected = FindingCollector.Dec(FlushMapHeader.Size),
                Actual = FindingCollector.Dec(totalBytes),
            });
            return result with { Unit = VerificationUnit.None };
        }

        var stored = XorChecksum.ReadStored(_header);
        var computed = XorChecksum.Compute(_header);
        if (stored != computed)
        {
            Findings.Add(new Finding(FindingCodes.HeaderChecksumMismatch, FindingSeverity.Corruption, "The flush map header fails its checksum (ESE rebuilds a lost flush map; it is not needed for restore).")
            {
                File = DisplayPath,
                Offset = 0,
                Expected = FindingCollector.Hex(stored),
                Actual = FindingCollector.Hex(computed),
            });
        }

        return result with { Unit = VerificationUnit.None, FlushMap = FlushMapHeader.Read(_header) };
    }
}
