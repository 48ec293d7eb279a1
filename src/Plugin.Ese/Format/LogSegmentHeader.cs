using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The 40-byte header of a v8 log segment (<c>LGSEGHDR</c>). Every 4 KiB segment starts with one; its XE checksum is
/// computed in header-block mode with the segment index as the page number.
/// </summary>
/// <param name="Checksum">XE checksum of the segment.</param>
/// <param name="Position">Where the writer put it: (0, own index, generation).</param>
/// <param name="Started">When the segment was started.</param>
/// <param name="Flags">Flags; the writer sets 0x2000 like database pages.</param>
internal readonly record struct LogSegmentHeader(ulong Checksum, LogPosition Position, LogTime Started, uint Flags)
{
    /// <summary>Segment size of the v8 format.</summary>
    public const int SegmentSize = 4096;

    /// <summary>Size of the header.</summary>
    public const int Size = 40;

    /// <summary>The flag writers set (the XE format bit of pages).</summary>
    public const uint NewChecksumFormatFlag = 0x2000;

    private const int PositionOffset = 8;
    private const int StartedOffset = 16;
    private const int FlagsOffset = 36;

    /// <summary>Reads the header from the start of a segment.</summary>
    public static LogSegmentHeader Read(ReadOnlySpan<byte> segment) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(segment),
        LogPosition.Read(segment[PositionOffset..]),
        LogTime.Read(segment[StartedOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(segment[FlagsOffset..]));

    /// <summary>Writes the header fields and stamps the XE checksum over the whole segment for index <paramref name="segmentIndex"/>.</summary>
    public static void WriteAndStamp(Span<byte> segment, int segmentIndex, int generation, LogTime started)
    {
        segment[..Size].Clear();
        new LogPosition(0, (ushort)segmentIndex, generation).Write(segment[PositionOffset..]);
        started.Write(segment[StartedOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(segment[FlagsOffset..], NewChecksumFormatFlag);
        var sum = XeChecksum.Compute(segment[..SegmentSize], (uint)segmentIndex, headerBlock: true);
        BinaryPrimitives.WriteUInt64LittleEndian(segment, sum);
    }
}
