using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The legacy (v7) <c>LRCHECKSUM</c> log record: 22 packed bytes that checksum the bytes behind it
/// (<see cref="BackwardBytes"/>) and in front of it (<see cref="ForwardBytes"/>), and point at the next such record.
/// </summary>
/// <param name="RecordType">Record type; 42 for this record.</param>
/// <param name="BackwardBytes">Bytes covered before the record.</param>
/// <param name="ForwardBytes">Bytes covered after the record.</param>
/// <param name="NextOffset">Distance from the end of this record to the next one; 0 ends the chain.</param>
/// <param name="Checksum">The chain checksum.</param>
/// <param name="ShortChecksum">Recovery's sector checksum (not part of the chain check).</param>
/// <param name="ShortChecksumFlag">0x9A when the short checksum is in use, 0xD1 when not.</param>
internal readonly record struct LogChecksumRecord(
    byte RecordType,
    uint BackwardBytes,
    uint ForwardBytes,
    uint NextOffset,
    uint Checksum,
    uint ShortChecksum,
    byte ShortChecksumFlag)
{
    /// <summary>Size of the record.</summary>
    public const int Size = 22;

    /// <summary>Record type of LRCHECKSUM.</summary>
    public const byte Type = 42;

    /// <summary>Seed of the chain checksum.</summary>
    public const uint Seed = 0xFEEDBEAF;

    /// <summary>Reads the record.</summary>
    public static LogChecksumRecord Read(ReadOnlySpan<byte> source) => new(
        source[0],
        BinaryPrimitives.ReadUInt32LittleEndian(source[1..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[5..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[9..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[13..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[17..]),
        source[21]);

    /// <summary>
    /// Byte-lane XOR: byte k of the region goes into bits 8*(k mod 4) of the result. Equal to the XOR of the
    /// region's little-endian dwords, with a short tail handled byte by byte.
    /// </summary>
    public static uint LaneXor(ReadOnlySpan<byte> region)
    {
        var whole = region.Length & ~3;
        var acc = XorChecksum.XorDwords(region[..whole]);
        for (var k = whole; k < region.Length; k++)
        {
            acc ^= (uint)region[k] << (8 * (k & 3));
        }

        return acc;
    }

    /// <summary>The chain checksum of this record given the bytes it covers.</summary>
    public uint ComputeChecksum(ReadOnlySpan<byte> backward, ReadOnlySpan<byte> forward, int generation) =>
        Seed ^ LaneXor(backward) ^ LaneXor(forward)
        ^ BackwardBytes ^ ForwardBytes ^ NextOffset ^ ShortChecksumFlag ^ (uint)generation;
}
