using System.Buffers.Binary;
using System.Text;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// ESE's 567-byte <c>DBMS_PARAM</c> block, found in log headers (offset 72) and checkpoints (offset 48): the
/// instance's paths and limits when the file was written, and the circular-logging flag.
/// </summary>
/// <param name="SystemPath">System path (8-bit, lossy: informational only).</param>
/// <param name="LogPath">Log path (8-bit, lossy).</param>
/// <param name="Flags">Bit 0x01: circular logging.</param>
/// <param name="MaxSessions">Session limit.</param>
/// <param name="MaxOpenTables">Open-table limit.</param>
/// <param name="MaxVersionPages">Version-store limit in pages.</param>
/// <param name="MaxCursors">Cursor limit.</param>
/// <param name="LogBuffers">Log buffers.</param>
/// <param name="LogFileSectors">Log file size in sectors.</param>
/// <param name="MaxCacheSize">Cache limit.</param>
internal sealed record DbmsParameters(
    string SystemPath,
    string LogPath,
    byte Flags,
    uint MaxSessions,
    uint MaxOpenTables,
    uint MaxVersionPages,
    uint MaxCursors,
    uint LogBuffers,
    uint LogFileSectors,
    uint MaxCacheSize)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 567;

    /// <summary>Flag bit: circular logging was on.</summary>
    public const byte CircularLoggingFlag = 0x01;

    private const int PathLength = 261;
    private const int SystemPathOffset = 0;
    private const int LogPathOffset = 261;
    private const int FlagsOffset = 522;
    private const int MaxSessionsOffset = 523;
    private const int MaxOpenTablesOffset = 527;
    private const int MaxVersionPagesOffset = 531;
    private const int MaxCursorsOffset = 535;
    private const int LogBuffersOffset = 539;
    private const int LogFileSectorsOffset = 543;
    private const int MaxCacheSizeOffset = 547;

    /// <summary>True when circular logging was on.</summary>
    public bool CircularLogging => (Flags & CircularLoggingFlag) != 0;

    /// <summary>Reads the block from the first 567 bytes of <paramref name="source"/>.</summary>
    public static DbmsParameters Read(ReadOnlySpan<byte> source) => new(
        ReadPath(source.Slice(SystemPathOffset, PathLength)),
        ReadPath(source.Slice(LogPathOffset, PathLength)),
        source[FlagsOffset],
        BinaryPrimitives.ReadUInt32LittleEndian(source[MaxSessionsOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[MaxOpenTablesOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[MaxVersionPagesOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[MaxCursorsOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[LogBuffersOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[LogFileSectorsOffset..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[MaxCacheSizeOffset..]));

    /// <summary>Writes the block (paths as 8-bit text, NUL padded); <paramref name="destination"/> must be zeroed.</summary>
    public void Write(Span<byte> destination)
    {
        WritePath(SystemPath, destination.Slice(SystemPathOffset, PathLength));
        WritePath(LogPath, destination.Slice(LogPathOffset, PathLength));
        destination[FlagsOffset] = Flags;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MaxSessionsOffset..], MaxSessions);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MaxOpenTablesOffset..], MaxOpenTables);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MaxVersionPagesOffset..], MaxVersionPages);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MaxCursorsOffset..], MaxCursors);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[LogBuffersOffset..], LogBuffers);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[LogFileSectorsOffset..], LogFileSectors);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MaxCacheSizeOffset..], MaxCacheSize);
    }

    private static string ReadPath(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? field : field[..end]);
    }

    private static void WritePath(string path, Span<byte> field)
    {
        var text = path.Length >= field.Length ? path[..(field.Length - 1)] : path;
        Encoding.Latin1.GetBytes(text, field);
    }
}
