using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// A statistics triple of the database header: a count, when it last changed, and the count before the last repair
/// (ECC fixes, checksum errors, incremental reseeds, patched pages all use this 16-byte layout).
/// </summary>
/// <param name="Count">Current count.</param>
/// <param name="Last">Time of the last event.</param>
/// <param name="CountBeforeRepair">Count before the last repair.</param>
internal readonly record struct HeaderCounter(uint Count, LogTime Last, uint CountBeforeRepair)
{
    /// <summary>Reads the triple.</summary>
    public static HeaderCounter Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        LogTime.Read(source[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[12..]));

    /// <summary>Writes the triple.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Count);
        Last.Write(destination[4..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], CountBeforeRepair);
    }
}
