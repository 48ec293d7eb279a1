using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Verifies a database: the two header copies (chosen as ESE does), every data page (uninitialised pages counted,
/// not checksummed) and, when the last page is one, the streaming-backup trailer.
/// </summary>
internal sealed class DatabaseFileScanner : FileScanner
{
    private readonly int _pageSize;
    private readonly bool _pageSizeKnown;
    private readonly bool _temporary;
    private readonly long _lastPageIndex;
    private readonly byte[] _prefix;
    private readonly FindingSeverity _severity = FindingSeverity.Corruption;
    private int _prefixFilled;
    private DatabaseHeaderSelection? _selection;
    private long _checked;
    private long _uninitialized;
    private long _corrupt;
    private long _notVerified;
    private long _legacy;
    private long _xe;
    private BackupTrailer? _trailer;

    /// <param name="displayPath">The file as named by the caller.</param>
    /// <param name="declaredLength">File length.</param>
    /// <param name="findings">Finding sink.</param>
    /// <param name="headSelection">The header selection over the file's first bytes, made when the kind was identified.</param>
    public DatabaseFileScanner(string displayPath, long declaredLength, FindingCollector findings, DatabaseHeaderSelection headSelection)
        : base(displayPath, declaredLength, findings)
    {
        _pageSizeKnown = headSelection.PageSize is { } ps && DatabaseHeader.IsSupportedPageSize(ps);
        _pageSize = _pageSizeKnown ? headSelection.PageSize!.Value : 4096;
        _temporary = headSelection.IsValid && headSelection.Header!.IsTemporaryDatabase;
        _lastPageIndex = declaredLength % _pageSize == 0 ? (declaredLength / _pageSize) - 1 : -1;
        _prefix = new byte[(int)Math.Min(declaredLength, DatabaseHeaderSelection.MaxPrefixNeeded)];
    }

    public override int UnitSize => _pageSize;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset)
    {
        CapturePrefix(units, offset);
        if (!_pageSizeKnown)
        {
            return;
        }

        var pages = units.Length / _pageSize;
        var firstIndex = offset / _pageSize;
        for (var k = 0; k < pages; k++)
        {
            var index = firstIndex + k;
            if (index < 2)
            {
                continue;
            }

            VerifyPage(units.Slice(k * _pageSize, _pageSize), index);
        }
    }

    public override void ProcessTail(ReadOnlySpan<byte> tail, long offset) => CapturePrefix(tail, offset);

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes)
    {
        var selection = _selection ?? CheckHeader();
        if (totalBytes < 2L * _pageSize)
        {
            Findings.Add(new Finding(
                FindingCodes.TruncatedFile,
                _severity,
                $"The database is {totalBytes} bytes long, too short for its two {_pageSize}-byte header pages.")
            {
                File = DisplayPath,
                Expected = FindingCollector.Dec(2L * _pageSize),
                Actual = FindingCollector.Dec(totalBytes),
                EseError = (int)JetErr.JET_errDatabaseCorrupted,
            });
        }
        else if (totalBytes % _pageSize != 0)
        {
            Findings.Add(new Finding(
                FindingCodes.TruncatedFile,
                _severity,
                $"The database does not end on a page boundary: {totalBytes % _pageSize} bytes of a last {_pageSize}-byte page are missing or extra.")
            {
                File = DisplayPath,
                Offset = totalBytes - (totalBytes % _pageSize),
                Expected = FindingCollector.Dec(totalBytes - (totalBytes % _pageSize) + _pageSize),
                Actual = FindingCollector.Dec(totalBytes),
                EseError = (int)JetErr.JET_errDatabaseCorrupted,
            });
        }

        if (_temporary)
        {
            Findings.Add(new Finding(
                FindingCodes.TemporaryDatabasePagesNotVerified,
                FindingSeverity.Info,
                $"ESE's temporary database (state JustCreated, no log stream): its pages are written without checksums and never read back after a restart, so {_notVerified} pages were copied unverified; the header was verified.")
            {
                File = DisplayPath,
            });
        }

        return result with
        {
            Unit = VerificationUnit.Page,
            UnitsChecked = _checked,
            UnitsUninitialized = _uninitialized,
            UnitsCorrupt = _corrupt,
            UnitsNotVerified = _notVerified,
            Database = selection.Header,
            HeaderCopyUsed = selection.UsedCopy,
            PageSize = _pageSizeKnown ? _pageSize : null,
            LegacyChecksumPages = _legacy,
            XeChecksumPages = _xe,
            Trailer = _trailer,
        };
    }

    private void CapturePrefix(ReadOnlySpan<byte> data, long offset)
    {
        if (_prefixFilled >= _prefix.Length || offset > _prefixFilled)
        {
            return;
        }

        _prefixFilled = CopyPrefix(data, offset, _prefix, _prefixFilled);
        if (_prefixFilled == _prefix.Length)
        {
            _selection = CheckHeader();
        }
    }

    // Header findings come from the bytes actually streamed (the ones being hashed and copied).
    private DatabaseHeaderSelection CheckHeader()
    {
        var streamed = _prefix.AsSpan(0, _prefixFilled);
        var selection = DatabaseHeaderSelection.Select(streamed, DeclaredLength);
        if (selection.IsValid && _pageSizeKnown && selection.PageSize != _pageSize)
        {
            Findings.Add(new Finding(
                FindingCodes.FileChangedDuringRead,
                _severity,
                $"The header read while streaming names {selection.PageSize}-byte pages, the one read first {_pageSize}-byte pages: the file changed while it was read.")
            {
                File = DisplayPath,
                Offset = 0,
            });
        }

        DatabaseHeaderChecks.Report(selection, DisplayPath, Findings, _severity);
        if (!_pageSizeKnown && selection.UsedCopy == HeaderCopy.None)
        {
            Findings.Add(new Finding(
                FindingCodes.HeaderInvalid,
                _severity,
                "The page size cannot be determined from a damaged header, so no page was verified.")
            {
                File = DisplayPath,
                Offset = DatabaseHeader.PageSizeOffset,
            });
        }

        return selection;
    }

    private void VerifyPage(ReadOnlySpan<byte> page, long index)
    {
        var pgno = (uint)(index - 1);
        if (_temporary)
        {
            if (page.ContainsAnyExcept((byte)0))
            {
                _notVerified++;
            }
            else
            {
                _uninitialized++;
            }

            return;
        }

        var check = PageChecksum.Verify(page, pgno);
        if (check.Status == PageCheckStatus.Uninitialized)
        {
            _uninitialized++;
            return;
        }

        // ESE's own file checker: the last page of a streamed backup copy is a trailer when dwords 1, 2, 3 and 6
        // are zero, and is verified with the XOR checksum instead.
        if (!check.IsGood && index == _lastPageIndex && BackupTrailer.TryRead(page, pgno, out var trailer))
        {
            _trailer = trailer;
            DatabaseHeaderChecks.CheckTrailer(trailer, _selection, index, _pageSize, DisplayPath, Findings, _severity);
            return;
        }

        _checked++;
        if (check.Kind == PageChecksumKind.Xe)
        {
            _xe++;
        }
        else
        {
            _legacy++;
        }

        if (check.IsGood)
        {
            return;
        }

        _corrupt++;
        ReportCorruptPage(check, pgno, index * _pageSize);
    }

    private void ReportCorruptPage(in PageCheck check, uint pgno, long offset)
    {
        if (check.Status == PageCheckStatus.PageNumberMismatch)
        {
            Findings.Add(new Finding(
                FindingCodes.PageNumberMismatch,
                _severity,
                $"Page {pgno} holds data written for page {check.BelongsToPage} (or its stored checksum is damaged).")
            {
                File = DisplayPath,
                Page = pgno,
                Offset = offset,
                Expected = FindingCollector.Dec(pgno),
                Actual = FindingCollector.Dec(check.BelongsToPage ?? 0),
                EseError = (int)JetErr.JET_errReadPgnoVerifyFailure,
            });
            return;
        }

        var where = check.FailedBlockCount > 0 && PageHeader.IsLargePage(_pageSize)
            ? $" (block {check.FailedBlock}{(check.FailedBlockCount > 1 ? $" and {check.FailedBlockCount - 1} more" : string.Empty)})"
            : string.Empty;
        var ecc = check.CorrectableBit is { } bit ? $"; ECC: single-bit error at bit {bit} (byte {bit / 8}, bit {bit % 8})" : string.Empty;
        var kind = check.Kind == PageChecksumKind.Xe ? "XE" : "XOR";
        Findings.Add(new Finding(
            FindingCodes.PageChecksumMismatch,
            _severity,
            $"Page {pgno} fails its {kind} checksum{where}{ecc}.")
        {
            File = DisplayPath,
            Page = pgno,
            Offset = offset,
            Expected = check.Kind == PageChecksumKind.Xe ? FindingCollector.Hex(check.Stored) : FindingCollector.Hex((uint)check.Stored),
            Actual = check.Kind == PageChecksumKind.Xe ? FindingCollector.Hex(check.Computed) : FindingCollector.Hex((uint)check.Computed),
            CorrectableBit = check.CorrectableBit,
            EseError = (int)JetErr.JET_errReadVerifyFailure,
        });
    }
}
