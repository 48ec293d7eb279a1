using System.Buffers.Binary;
using System.Globalization;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// ESE's 8-byte <c>LGPOS</c>: byte offset, sector (v7) or 4 KiB segment (v8) index, generation. The fields are laid
/// out so that the eight bytes read as one little-endian 64-bit number sort by generation, then sector, then offset.
/// </summary>
/// <param name="ByteOffset">Byte offset inside the sector or segment (<c>ib</c>).</param>
/// <param name="Sector">Sector or segment index inside the log file (<c>isec</c>).</param>
/// <param name="Generation">Log generation (<c>lGeneration</c>).</param>
internal readonly record struct LogPosition(ushort ByteOffset, ushort Sector, int Generation) : IComparable<LogPosition>
{
    /// <summary>All zero: "no position".</summary>
    public static LogPosition None => default;

    /// <summary>True for the all-zero "no position".</summary>
    public bool IsZero => ByteOffset == 0 && Sector == 0 && Generation == 0;

    /// <summary>The position as the single sortable 64-bit value ESE compares.</summary>
    public ulong SortKey => ((ulong)(uint)Generation << 32) | ((ulong)Sector << 16) | ByteOffset;

    public static bool operator <(LogPosition left, LogPosition right) => left.SortKey < right.SortKey;

    public static bool operator >(LogPosition left, LogPosition right) => left.SortKey > right.SortKey;

    public static bool operator <=(LogPosition left, LogPosition right) => left.SortKey <= right.SortKey;

    public static bool operator >=(LogPosition left, LogPosition right) => left.SortKey >= right.SortKey;

    /// <summary>Reads an LGPOS from the first eight bytes of <paramref name="source"/>.</summary>
    public static LogPosition Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(source),
        BinaryPrimitives.ReadUInt16LittleEndian(source[2..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[4..]));

    /// <summary>Writes the eight bytes.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination, ByteOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[2..], Sector);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Generation);
    }

    /// <inheritdoc />
    public int CompareTo(LogPosition other) => SortKey.CompareTo(other.SortKey);

    /// <summary>Byte offset of this position inside its generation's file, for a given sector size.</summary>
    public long FileOffset(int sectorSize) => ((long)Sector * sectorSize) + ByteOffset;

    /// <summary>The notation esentutl prints: <c>(0xGEN,SECTOR,OFFSET)</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"(0x{(uint)Generation:X},{Sector},{ByteOffset})");
}
