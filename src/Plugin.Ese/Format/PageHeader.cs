using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// A database page header: 40 bytes on small pages (4 and 8 KiB), 80 on large pages (16 and 32 KiB), which add the
/// checksums of blocks 1-3 and the page's own number.
/// </summary>
/// <param name="Checksum">Bytes 0-7: XE checksum of block 0, or legacy XOR checksum (low dword) plus page number (high dword).</param>
/// <param name="DbTimeDirtied">DBTIME of the last change.</param>
/// <param name="PreviousPage">Left sibling in the B-tree.</param>
/// <param name="NextPage">Right sibling.</param>
/// <param name="ObjidFdp">Owning tree.</param>
/// <param name="FreeBytes">cbFree.</param>
/// <param name="UncommittedFreeBytes">cbUncommittedFree.</param>
/// <param name="FirstFreeByte">ibMicFree.</param>
/// <param name="TagState">itagState: low 12 bits tag count.</param>
/// <param name="Flags">Page flags.</param>
/// <param name="Block1Checksum">Large pages: XE checksum of block 1 (0 on small pages).</param>
/// <param name="Block2Checksum">Large pages: XE checksum of block 2.</param>
/// <param name="Block3Checksum">Large pages: XE checksum of block 3.</param>
/// <param name="StoredPageNumber">Large pages: the page number written into the page; <see langword="null"/> on small pages.</param>
internal readonly record struct PageHeader(
    ulong Checksum,
    ulong DbTimeDirtied,
    uint PreviousPage,
    uint NextPage,
    uint ObjidFdp,
    ushort FreeBytes,
    ushort UncommittedFreeBytes,
    ushort FirstFreeByte,
    ushort TagState,
    PageFlags Flags,
    ulong Block1Checksum,
    ulong Block2Checksum,
    ulong Block3Checksum,
    uint? StoredPageNumber)
{
    /// <summary>Header size of a small page.</summary>
    public const int SmallSize = 40;

    /// <summary>Header size of a large page.</summary>
    public const int LargeSize = 80;

    /// <summary>Largest page size that uses the small header and one checksum per page.</summary>
    public const int LargestSmallPage = 8192;

    /// <summary>Offset of the flags dword.</summary>
    public const int FlagsOffset = 36;

    /// <summary>Offset of the first of the three block checksums on large pages.</summary>
    public const int BlockChecksumsOffset = 40;

    /// <summary>Offset of the stored page number on large pages.</summary>
    public const int PageNumberOffset = 64;

    private const int DbTimeOffset = 8;
    private const int PreviousOffset = 16;
    private const int NextOffset = 20;
    private const int ObjidOffset = 24;
    private const int FreeOffset = 28;
    private const int UncommittedFreeOffset = 30;
    private const int FirstFreeOffset = 32;
    private const int TagStateOffset = 34;

    /// <summary>True for 16 and 32 KiB pages.</summary>
    public static bool IsLargePage(int pageSize) => pageSize > LargestSmallPage;

    /// <summary>Number of tags on the page.</summary>
    public int TagCount => TagState & 0x0FFF;

    /// <summary>Reads the header of a page of <paramref name="pageSize"/> bytes from its start.</summary>
    public static PageHeader Read(ReadOnlySpan<byte> page, int pageSize)
    {
        var large = IsLargePage(pageSize) && page.Length >= LargeSize;
        return new PageHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(page),
            BinaryPrimitives.ReadUInt64LittleEndian(page[DbTimeOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(page[PreviousOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(page[NextOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(page[ObjidOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(page[FreeOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(page[UncommittedFreeOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(page[FirstFreeOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(page[TagStateOffset..]),
            ReadFlags(page),
            large ? BinaryPrimitives.ReadUInt64LittleEndian(page[BlockChecksumsOffset..]) : 0,
            large ? BinaryPrimitives.ReadUInt64LittleEndian(page[(BlockChecksumsOffset + 8)..]) : 0,
            large ? BinaryPrimitives.ReadUInt64LittleEndian(page[(BlockChecksumsOffset + 16)..]) : 0,
            large ? BinaryPrimitives.ReadUInt32LittleEndian(page[PageNumberOffset..]) : null);
    }

    /// <summary>Reads only the flags dword.</summary>
    public static PageFlags ReadFlags(ReadOnlySpan<byte> page) => (PageFlags)BinaryPrimitives.ReadUInt32LittleEndian(page[FlagsOffset..]);

    /// <summary>
    /// Writes the fields that are not checksums (large pages: also the stored page number); checksums are stamped
    /// afterwards by <see cref="PageChecksum.Stamp"/>.
    /// </summary>
    public static void WriteFields(
        Span<byte> page,
        ulong dbTime,
        uint previousPage,
        uint nextPage,
        uint objidFdp,
        ushort freeBytes,
        ushort firstFreeByte,
        ushort tagState,
        PageFlags flags,
        uint pageNumber)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(page[DbTimeOffset..], dbTime);
        BinaryPrimitives.WriteUInt32LittleEndian(page[PreviousOffset..], previousPage);
        BinaryPrimitives.WriteUInt32LittleEndian(page[NextOffset..], nextPage);
        BinaryPrimitives.WriteUInt32LittleEndian(page[ObjidOffset..], objidFdp);
        BinaryPrimitives.WriteUInt16LittleEndian(page[FreeOffset..], freeBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(page[UncommittedFreeOffset..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(page[FirstFreeOffset..], firstFreeByte);
        BinaryPrimitives.WriteUInt16LittleEndian(page[TagStateOffset..], tagState);
        BinaryPrimitives.WriteUInt32LittleEndian(page[FlagsOffset..], (uint)flags);
        if (IsLargePage(page.Length))
        {
            BinaryPrimitives.WriteUInt32LittleEndian(page[PageNumberOffset..], pageNumber);
            page.Slice(PageNumberOffset + 4, LargeSize - PageNumberOffset - 4).Clear();
        }
    }
}
