using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>Which checksum a database page carries.</summary>
internal enum PageChecksumKind
{
    /// <summary>Legacy: XOR checksum in bytes 0-3, page number in bytes 4-7 (databases before format 0x620,0x0B).</summary>
    LegacyXor,

    /// <summary>XE: XOR + ECC, one per page (small pages) or per quarter (large pages).</summary>
    Xe,
}

/// <summary>Outcome of checking one page.</summary>
internal enum PageCheckStatus
{
    /// <summary>The checksum (and page number) match.</summary>
    Valid,

    /// <summary>Every byte is zero: never written. ESE does not checksum such pages.</summary>
    Uninitialized,

    /// <summary>A checksum does not match the data.</summary>
    ChecksumMismatch,

    /// <summary>The data is intact but belongs to another page number.</summary>
    PageNumberMismatch,
}

/// <summary>The result of checking one page.</summary>
/// <param name="Status">Outcome.</param>
/// <param name="Kind">Checksum format the page declared.</param>
/// <param name="FailedBlock">First block whose checksum failed (0 on small pages), or -1.</param>
/// <param name="FailedBlockCount">How many blocks failed.</param>
/// <param name="Stored">Checksum stored for <see cref="FailedBlock"/>.</param>
/// <param name="Computed">Checksum computed for <see cref="FailedBlock"/>.</param>
/// <param name="CorrectableBit">When one flipped bit explains the damage: its offset in bits from the start of the page.</param>
/// <param name="BelongsToPage">When the data belongs to another page: that page's number.</param>
/// <param name="StoredPageNumber">The page number written in the page (legacy and large pages), if any.</param>
internal readonly record struct PageCheck(
    PageCheckStatus Status,
    PageChecksumKind Kind,
    int FailedBlock,
    int FailedBlockCount,
    ulong Stored,
    ulong Computed,
    long? CorrectableBit,
    uint? BelongsToPage,
    uint? StoredPageNumber)
{
    /// <summary>True when the page is fine (valid or never written).</summary>
    public bool IsGood => Status is PageCheckStatus.Valid or PageCheckStatus.Uninitialized;
}

/// <summary>Verifies and stamps database page checksums (both formats, small and large pages).</summary>
internal static class PageChecksum
{
    /// <summary>Block size of 16 KiB pages (four 4 KiB blocks).</summary>
    public const int Block16K = 4096;

    /// <summary>Block size of 32 KiB pages (four 8 KiB blocks).</summary>
    public const int Block32K = 8192;

    /// <summary>
    /// Which format a page declares: large pages are always XE; small pages say so with flag 0x2000. The flag can be
    /// hit by corruption too, which is why ECC never proposes to flip it.
    /// </summary>
    public static PageChecksumKind KindOf(ReadOnlySpan<byte> page) =>
        PageHeader.IsLargePage(page.Length) || (PageHeader.ReadFlags(page) & PageFlags.NewChecksumFormat) != 0
            ? PageChecksumKind.Xe
            : PageChecksumKind.LegacyXor;

    /// <summary>Block size used on a page of this size.</summary>
    public static int BlockSize(int pageSize) => pageSize switch
    {
        <= PageHeader.LargestSmallPage => pageSize,
        <= 16384 => Block16K,
        _ => Block32K,
    };

    /// <summary>Checks a page read from the file at the place of page <paramref name="pageNumber"/>.</summary>
    /// <param name="page">The page (2, 4, 8, 16 or 32 KiB).</param>
    /// <param name="pageNumber">The page number its position implies (file offset / page size - 1).</param>
    public static PageCheck Verify(ReadOnlySpan<byte> page, uint pageNumber)
    {
        if (!page.ContainsAnyExcept((byte)0))
        {
            return new PageCheck(PageCheckStatus.Uninitialized, KindOf(page), -1, 0, 0, 0, null, null, null);
        }

        return KindOf(page) == PageChecksumKind.LegacyXor ? VerifyLegacy(page, pageNumber) : VerifyXe(page, pageNumber);
    }

    /// <summary>Computes and stores the page's checksum(s) for page number <paramref name="pageNumber"/>.</summary>
    /// <remarks>For XE the caller sets <see cref="PageFlags.NewChecksumFormat"/> (and, on large pages, the page number) first.</remarks>
    public static void Stamp(Span<byte> page, uint pageNumber, PageChecksumKind kind)
    {
        if (kind == PageChecksumKind.LegacyXor && !PageHeader.IsLargePage(page.Length))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(page[4..], pageNumber);
            XorChecksum.Stamp(page);
            return;
        }

        var blockSize = BlockSize(page.Length);
        if (PageHeader.IsLargePage(page.Length))
        {
            // Blocks 1-3 first: their checksums live inside block 0, which block 0's checksum then covers.
            for (var b = 1; b < 4; b++)
            {
                var sum = XeChecksum.Compute(page.Slice(b * blockSize, blockSize), pageNumber, headerBlock: false);
                BinaryPrimitives.WriteUInt64LittleEndian(page[(PageHeader.BlockChecksumsOffset + ((b - 1) * 8))..], sum);
            }
        }

        BinaryPrimitives.WriteUInt64LittleEndian(page, XeChecksum.Compute(page[..blockSize], pageNumber, headerBlock: true));
    }

    private static PageCheck VerifyLegacy(ReadOnlySpan<byte> page, uint pageNumber)
    {
        var stored = XorChecksum.ReadStored(page);
        var computed = XorChecksum.Compute(page);
        var storedPgno = BinaryPrimitives.ReadUInt32LittleEndian(page[4..]);
        if (stored != computed)
        {
            return new PageCheck(PageCheckStatus.ChecksumMismatch, PageChecksumKind.LegacyXor, 0, 1, stored, computed, null, null, storedPgno);
        }

        return storedPgno != pageNumber
            ? new PageCheck(PageCheckStatus.PageNumberMismatch, PageChecksumKind.LegacyXor, -1, 0, stored, computed, null, storedPgno, storedPgno)
            : new PageCheck(PageCheckStatus.Valid, PageChecksumKind.LegacyXor, -1, 0, stored, computed, null, null, storedPgno);
    }

    private static PageCheck VerifyXe(ReadOnlySpan<byte> page, uint pageNumber)
    {
        var blockSize = BlockSize(page.Length);
        var blocks = page.Length / blockSize;
        var failed = -1;
        var failedCount = 0;
        ulong failedStored = 0, failedComputed = 0;
        for (var b = 0; b < blocks; b++)
        {
            var storedOffset = b == 0 ? 0 : PageHeader.BlockChecksumsOffset + ((b - 1) * 8);
            var stored = BinaryPrimitives.ReadUInt64LittleEndian(page[storedOffset..]);
            var computed = XeChecksum.Compute(page.Slice(b * blockSize, blockSize), pageNumber, headerBlock: b == 0);
            if (stored != computed)
            {
                failedCount++;
                if (failed < 0)
                {
                    failed = b;
                    failedStored = stored;
                    failedComputed = computed;
                }
            }
        }

        uint? storedPgno = PageHeader.IsLargePage(page.Length)
            ? BinaryPrimitives.ReadUInt32LittleEndian(page[PageHeader.PageNumberOffset..])
            : null;

        if (failedCount == 0)
        {
            return storedPgno is { } sp && sp != pageNumber
                ? new PageCheck(PageCheckStatus.PageNumberMismatch, PageChecksumKind.Xe, -1, 0, 0, 0, null, sp, sp)
                : new PageCheck(PageCheckStatus.Valid, PageChecksumKind.Xe, -1, 0, 0, 0, null, null, storedPgno);
        }

        var diagnosis = XeChecksum.Diagnose(
            failedStored, failedComputed, blockSize, pageNumber, failed == 0 ? XeChecksum.FormatFlagBit : -1);
        if (failedCount == blocks && diagnosis.BelongsToPage is { } other)
        {
            // Every block is intact for another page number: the page was written somewhere else.
            return new PageCheck(PageCheckStatus.PageNumberMismatch, PageChecksumKind.Xe, failed, failedCount, failedStored, failedComputed, null, other, storedPgno);
        }

        long? bit = diagnosis.IsCorrectable && failedCount == 1 ? ((long)failed * blockSize * 8) + diagnosis.BitOffset : null;
        return new PageCheck(PageCheckStatus.ChecksumMismatch, PageChecksumKind.Xe, failed, failedCount, failedStored, failedComputed, bit, null, storedPgno);
    }
}
