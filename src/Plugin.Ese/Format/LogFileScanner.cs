using System.Buffers.Binary;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Verifies a v8 (segment format) log in one pass. Two scans run side by side, as in ESE:
/// <list type="bullet">
/// <item>the backup-time check: every segment after the header must be all zero, valid for its own index, or a
/// shadow (valid for the previous index); anything else fails with JET_errLogReadVerifyFailure;</item>
/// <item>recovery's stricter end-of-log scan over the data segments (the last slot is reserved for a shadow):
/// stale segments from the file's previous life end the log, a valid segment after the end or with a later position
/// is corrupt, and the stored checksums of the good segments are XORed into the value the next generation's header
/// must carry.</item>
/// </list>
/// A single-bit error that ECC could correct is still reported (ESE's backup accepts and repairs it; a verifier
/// should say it is there).
/// </summary>
internal sealed class LogFileScanner : FileScanner
{
    private const int Segment = LogSegmentHeader.SegmentSize;

    private readonly LogFileName? _name;
    private readonly FindingSeverity _severity;
    private readonly LogFileHeader? _headHeader;
    private readonly bool _geometryTrusted;
    private readonly int _headerSegments;
    private readonly int _fileSegments;
    private readonly int _generation;
    private readonly bool _allowZeroTail;
    private readonly byte[] _headerBlock = new byte[LogFileHeader.Size];
    private int _headerFilled;
    private long _checked;
    private long _uninitialized;
    private long _corrupt;
    private int _good;
    private int _shadows;
    private bool _emptySeen;
    private bool _damaged;
    private ulong _accumulated;

    public LogFileScanner(
        string displayPath, long declaredLength, FindingCollector findings, LogFileName? name, LogFileHeader? headHeader, bool headHeaderValid, FindingSeverity severity)
        : base(displayPath, declaredLength, findings)
    {
        _name = name;
        _severity = severity;
        _headHeader = headHeader;
        _geometryTrusted = headHeaderValid && headHeader is not null && LogHeaderChecks.HasSegmentGeometry(headHeader);
        if (_geometryTrusted)
        {
            _headerSegments = headHeader!.HeaderSectors;
            _fileSegments = headHeader.FileSectors;
            _generation = headHeader.Generation;
            _allowZeroTail = headHeader.Version.AllowsZeroFilledTail;
        }
        else
        {
            // Without a trustworthy header, still check every segment's own checksum: the writer's layout is fixed.
            _headerSegments = 1;
            _fileSegments = (int)Math.Min(declaredLength / Segment, ushort.MaxValue);
            _allowZeroTail = true;
        }
    }

    public override int UnitSize => Segment;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset)
    {
        _headerFilled = CopyPrefix(units, offset, _headerBlock, _headerFilled);
        var count = units.Length / Segment;
        var first = offset / Segment;
        for (var k = 0; k < count; k++)
        {
            var index = first + k;
            var seg = units.Slice(k * Segment, Segment);
            if (index == 0 || index < _headerSegments || index >= _fileSegments)
            {
                continue;
            }

            VerifySegment(seg, (int)index);
        }
    }

    public override void ProcessTail(ReadOnlySpan<byte> tail, long offset) => _headerFilled = CopyPrefix(tail, offset, _headerBlock, _headerFilled);

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes)
    {
        var (header, valid) = LogHeaderChecks.CheckHeader(_headerBlock.AsSpan(0, _headerFilled), DisplayPath, _name, Findings, _severity);
        if (valid && _headHeader is not null && (header!.Generation != _headHeader.Generation || header.FileSectors != _headHeader.FileSectors))
        {
            Findings.Add(new Finding(
                FindingCodes.FileChangedDuringRead,
                _severity,
                "The log header read while streaming differs from the one read first: the file changed while it was read.")
            {
                File = DisplayPath,
                Offset = 0,
            });
        }

        if (valid && !LogHeaderChecks.HasSegmentGeometry(header!))
        {
            Findings.Add(new Finding(
                FindingCodes.HeaderInvalid,
                _severity,
                $"The log header declares an impossible segment layout ({header!.SectorSize}-byte sectors, {header.HeaderSectors} header and {header.FileSectors} file sectors); segments were checked assuming 4 KiB.")
            {
                File = DisplayPath,
                Offset = 8,
                EseError = (int)JetErr.JET_errLogFileCorrupt,
            });
        }

        var expected = (long)_fileSegments * Segment;
        if (_headerFilled < LogFileHeader.Size)
        {
            expected = Math.Max(expected, LogFileHeader.Size);
        }

        LogHeaderChecks.CheckLength(expected, totalBytes, DisplayPath, _generation, Findings, _severity);
        var complete = _geometryTrusted && valid && !_damaged && totalBytes >= expected;
        return result with
        {
            Unit = VerificationUnit.Segment,
            UnitsChecked = _checked,
            UnitsUninitialized = _uninitialized,
            UnitsCorrupt = _corrupt,
            Log = header,
            LogHeaderValid = valid,
            AccumulatedSegmentChecksum = complete ? _accumulated : null,
            GoodSegments = _good,
            ShadowSegments = _shadows,
        };
    }

    private void VerifySegment(ReadOnlySpan<byte> seg, int index)
    {
        var strict = _geometryTrusted && index <= _fileSegments - 2;
        if (!seg.ContainsAnyExcept((byte)0))
        {
            CountUnwritten(strict);
            return;
        }

        _checked++;
        var stored = BinaryPrimitives.ReadUInt64LittleEndian(seg);
        var own = XeChecksum.Compute(seg, (uint)index, headerBlock: true);
        if (own == stored)
        {
            var sector = LogSegmentHeader.Read(seg).Position.Sector;
            if (sector != index)
            {
                // Writers always stamp a segment with its own index, old stale data included. Valid for this index
                // but naming another means damage (one flipped bit in the stored checksum of an odd-indexed shadow
                // turns it into exactly this).
                ReportPosition(index, $"Log segment {index} passes its checksum but names segment {sector}.", new LogPosition(0, (ushort)index, _generation).ToString(), LogSegmentHeader.Read(seg).Position.ToString());
                return;
            }

            if (strict)
            {
                ScanValidSegment(seg, index, stored);
            }

            return;
        }

        // A shadow is a copy of the previous segment: valid for the previous index and naming that index. (A
        // segment that names its own index cannot be a shadow: one flipped bit in the stored checksum of an odd
        // segment would otherwise pass as one.)
        if (index > _headerSegments
            && LogSegmentHeader.Read(seg).Position.Sector == index - 1
            && XeChecksum.Compute(seg, (uint)(index - 1), headerBlock: true) == stored)
        {
            // A partially filled segment is written twice, at its index and the next; the next full write replaces it.
            _shadows++;
            if (strict)
            {
                _emptySeen = true;
            }

            return;
        }

        ReportCorruptSegment(index, stored, own);
    }

    /// <summary>An all-zero segment: never written, so not checksummed; inside the written part it means damage unless zero tails are allowed.</summary>
    private void CountUnwritten(bool strict)
    {
        _uninitialized++;
        if (strict)
        {
            if (_allowZeroTail)
            {
                _emptySeen = true;
            }
            else
            {
                _damaged = true;
            }
        }
    }

    private void ReportCorruptSegment(int index, ulong stored, ulong own)
    {
        _corrupt++;
        _damaged = true;
        var diagnosis = XeChecksum.Diagnose(stored, own, Segment, (uint)index, XeChecksum.FormatFlagBit);
        var ecc = diagnosis.IsCorrectable
            ? $"; ECC: single-bit error at bit {diagnosis.BitOffset} (byte {diagnosis.BitOffset / 8}, bit {diagnosis.BitOffset % 8})"
            : string.Empty;
        Findings.Add(new Finding(
            FindingCodes.LogSegmentChecksumMismatch,
            _severity,
            $"Log segment {index} fails its checksum{ecc}.")
        {
            File = DisplayPath,
            Sector = index,
            Offset = (long)index * Segment,
            Generation = _geometryTrusted ? _generation : null,
            Expected = FindingCollector.Hex(stored),
            Actual = FindingCollector.Hex(own),
            CorrectableBit = diagnosis.IsCorrectable ? diagnosis.BitOffset : null,
            EseError = (int)JetErr.JET_errLogReadVerifyFailure,
        });
    }

    private void ScanValidSegment(ReadOnlySpan<byte> seg, int index, ulong stored)
    {
        var position = LogSegmentHeader.Read(seg).Position;
        var expected = new LogPosition(0, (ushort)index, _generation);
        if (position < expected)
        {
            // Left over from the file's previous life (reserve or recycled log): the log ended before it.
            _emptySeen = true;
            return;
        }

        if (position > expected)
        {
            ReportPosition(index, $"Log segment {index} is intact but names position {position}, later than its place {expected}.", expected.ToString(), position.ToString());
            return;
        }

        if (_emptySeen)
        {
            _corrupt++;
            _damaged = true;
            Findings.Add(new Finding(
                FindingCodes.LogSegmentAfterEnd,
                _severity,
                $"Log segment {index} is valid but follows the end of the written log (a hole in the log).")
            {
                File = DisplayPath,
                Sector = index,
                Offset = (long)index * Segment,
                Generation = _generation,
                EseError = (int)JetErr.JET_errLogFileCorrupt,
            });
            return;
        }

        _good++;
        _accumulated ^= stored;
    }

    private void ReportPosition(int index, string message, string expected, string actual)
    {
        _corrupt++;
        _damaged = true;
        Findings.Add(new Finding(FindingCodes.LogSegmentPositionMismatch, _severity, message)
        {
            File = DisplayPath,
            Sector = index,
            Offset = (long)index * Segment,
            Generation = _geometryTrusted ? _generation : null,
            Expected = expected,
            Actual = actual,
            EseError = (int)JetErr.JET_errLogFileCorrupt,
        });
    }
}
