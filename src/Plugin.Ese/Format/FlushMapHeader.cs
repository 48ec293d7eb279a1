using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The flush-map file header (<c>.jfm</c>, file type 7): lost-flush bookkeeping, optional, never part of a backup
/// set. The first 4096 bytes carry the XOR checksum.
/// </summary>
/// <param name="Checksum">Stored checksum.</param>
/// <param name="Version">Flush-map version major.update-major.update-minor.</param>
/// <param name="Flags">0x1 clean; 0x2000 data pages use the XE checksum.</param>
/// <param name="Created">When the map was created.</param>
/// <param name="Attached">Last attach.</param>
/// <param name="Detached">Last detach.</param>
/// <param name="GenMinRequired">Lowest generation needed to rebuild the map after a crash.</param>
/// <param name="FileType">File type at 667.</param>
internal sealed record FlushMapHeader(
    uint Checksum,
    string Version,
    uint Flags,
    LogTime Created,
    LogTime Attached,
    LogTime Detached,
    int GenMinRequired,
    uint FileType)
{
    /// <summary>Size of the checksummed header block.</summary>
    public const int Size = 4096;

    /// <summary>File type value at offset 667 for a flush map.</summary>
    public const uint FlushMapFileType = 7;

    /// <summary>True when the map says it is clean.</summary>
    public bool IsClean => (Flags & 0x1) != 0;

    /// <summary>Reads the header from the first 4096 bytes.</summary>
    public static FlushMapHeader Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        string.Join(
            '.',
            BinaryPrimitives.ReadUInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[8..]),
            BinaryPrimitives.ReadUInt32LittleEndian(source[12..])),
        BinaryPrimitives.ReadUInt32LittleEndian(source[36..]),
        LogTime.Read(source[40..]),
        LogTime.Read(source[48..]),
        LogTime.Read(source[56..]),
        BinaryPrimitives.ReadInt32LittleEndian(source[64..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[DatabaseHeader.FileTypeOffset..]));
}
