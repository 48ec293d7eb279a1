using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Verifies a legacy (v7) log: the header, then the chain of LRCHECKSUM records that starts right after it. Each
/// record checksums the bytes behind and in front of it and points at the next; ESE's backup-time check walks exactly
/// this chain. The records' ranges can reach back across earlier sectors, so the file (at most
/// <c>csecLGFile * cbSec</c> bytes, a few MiB in practice) is buffered whole.
/// </summary>
internal sealed class LegacyLogFileScanner : FileScanner
{
    /// <summary>Largest buffer: the most a 16-bit sector count of 4 KiB sectors can declare.</summary>
    public const long MaxBufferedLength = (long)ushort.MaxValue * 4096;

    private readonly LogFileName? _name;
    private readonly FindingSeverity _severity;
    private readonly long _limit;
    private byte[] _data;
    private int _filled;
    private long _records;
    private long _corrupt;

    public LegacyLogFileScanner(
        string displayPath, long declaredLength, FindingCollector findings, LogFileName? name, LogFileHeader? headHeader, bool headHeaderValid, FindingSeverity severity)
        : base(displayPath, declaredLength, findings)
    {
        _name = name;
        _severity = severity;
        // With a bad header the chain is never walked (only the header is reported): buffer no more than the header.
        var limit = headHeaderValid && headHeader is not null && LogHeaderChecks.HasLegacyGeometry(headHeader)
            ? headHeader.DeclaredFileLength
            : !headHeaderValid ? LogFileHeader.Size : declaredLength;
        _limit = Math.Min(Math.Min(declaredLength, limit), MaxBufferedLength);

        // Grown as bytes arrive, so a wrong announced length cannot make it allocate more than was read.
        _data = new byte[Math.Min(_limit, 1 << 20)];
    }

    public override int UnitSize => 512;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset) => Buffer(units, offset);

    public override void ProcessTail(ReadOnlySpan<byte> tail, long offset) => Buffer(tail, offset);

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes)
    {
        var data = _data.AsSpan(0, _filled);
        var (header, valid) = LogHeaderChecks.CheckHeader(data, DisplayPath, _name, Findings, _severity);
        if (valid && !LogHeaderChecks.HasLegacyGeometry(header!))
        {
            Findings.Add(new Finding(
                FindingCodes.HeaderInvalid,
                _severity,
                $"The log header declares an impossible layout ({header!.SectorSize}-byte sectors, {header.HeaderSectors} header and {header.FileSectors} file sectors).")
            {
                File = DisplayPath,
                Offset = 8,
                EseError = (int)JetErr.JET_errLogFileCorrupt,
            });
            valid = false;
        }

        if (header is not null && valid)
        {
            LogHeaderChecks.CheckLength(header.DeclaredFileLength, totalBytes, DisplayPath, header.Generation, Findings, _severity);
            WalkChain(data, header);
        }
        else if (header is null)
        {
            LogHeaderChecks.CheckLength(LogFileHeader.Size, totalBytes, DisplayPath, 0, Findings, _severity);
        }

        return result with
        {
            Unit = VerificationUnit.Record,
            UnitsChecked = _records,
            UnitsCorrupt = _corrupt,
            Log = header,
            LogHeaderValid = valid,
        };
    }

    private void Buffer(ReadOnlySpan<byte> data, long offset)
    {
        if (offset >= _limit)
        {
            return;
        }

        var end = Math.Min(offset + data.Length, _limit);
        if (end > _data.Length)
        {
            Array.Resize(ref _data, (int)Math.Min(_limit, Math.Max(end, 2L * _data.Length)));
        }

        _filled = CopyPrefix(data, offset, _data, _filled);
    }

    private void WalkChain(ReadOnlySpan<byte> data, LogFileHeader header)
    {
        long pos = (long)header.HeaderSectors * header.SectorSize;
        var generation = header.Generation;

        // Every step moves forward by at least the record size, so the walk ends.
        while (true)
        {
            if (pos + LogChecksumRecord.Size > data.Length)
            {
                Broken(pos, header, $"The checksum record chain runs past the end of the data at offset {pos}.");
                return;
            }

            var rec = LogChecksumRecord.Read(data[(int)pos..]);
            if (rec.RecordType != LogChecksumRecord.Type)
            {
                Broken(pos, header, $"Expected a checksum record (type 42) at offset {pos}, found type {rec.RecordType}.");
                return;
            }

            var backStart = pos - rec.BackwardBytes;
            var forwardStart = pos + LogChecksumRecord.Size;
            var forwardEnd = forwardStart + rec.ForwardBytes;
            if (backStart < 0 || forwardEnd > data.Length)
            {
                Broken(pos, header, $"The checksum record at offset {pos} covers bytes outside the file.");
                return;
            }

            var computed = rec.ComputeChecksum(
                data[(int)backStart..(int)pos], data[(int)forwardStart..(int)forwardEnd], generation);
            _records++;
            if (computed != rec.Checksum)
            {
                _corrupt++;
                Findings.Add(new Finding(
                    FindingCodes.LogRecordChecksumMismatch,
                    _severity,
                    $"The checksum record at offset {pos} (sector {pos / header.SectorSize}) does not match the {rec.BackwardBytes + rec.ForwardBytes} bytes it covers.")
                {
                    File = DisplayPath,
                    Offset = pos,
                    Sector = pos / header.SectorSize,
                    Generation = generation,
                    Expected = FindingCollector.Hex(rec.Checksum),
                    Actual = FindingCollector.Hex(computed),
                    EseError = (int)JetErr.JET_errLogReadVerifyFailure,
                });
                return;
            }

            if (rec.NextOffset == 0)
            {
                return;
            }

            pos = forwardStart + rec.NextOffset;
        }
    }

    private void Broken(long pos, LogFileHeader header, string message)
    {
        _corrupt++;
        Findings.Add(new Finding(FindingCodes.LogRecordChainBroken, _severity, message)
        {
            File = DisplayPath,
            Offset = pos,
            Sector = pos / header.SectorSize,
            Generation = header.Generation,
            EseError = (int)JetErr.JET_errLogReadVerifyFailure,
        });
    }
}
