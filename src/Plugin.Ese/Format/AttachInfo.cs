using System.Buffers.Binary;
using System.Text;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// One record of the attach-info list that log and checkpoint headers carry (<c>ATTACHINFO</c>): which database
/// (by id, path and <c>signDb</c>) was attached, and at which log positions.
/// </summary>
/// <param name="DatabaseId">Slot (<c>dbid</c>); 0 ends the list.</param>
/// <param name="Flags">0x20: names are UTF-16LE; 0x40: sparse-file capable.</param>
/// <param name="DbTime">DBTIME at attach.</param>
/// <param name="ObjidLast">Highest object id.</param>
/// <param name="MaxPages">Maximum database size in pages.</param>
/// <param name="Attach">Position of the attach.</param>
/// <param name="Consistent">Position where the database was last consistent.</param>
/// <param name="DatabaseSignature">The database's <c>signDb</c>.</param>
/// <param name="Path">The database path as stored.</param>
internal sealed record AttachInfo(
    byte DatabaseId,
    byte Flags,
    ulong DbTime,
    uint ObjidLast,
    uint MaxPages,
    LogPosition Attach,
    LogPosition Consistent,
    EseSignature DatabaseSignature,
    string Path)
{
    /// <summary>Size of the area that holds the list in log and checkpoint headers.</summary>
    public const int ListAreaSize = 2048;

    /// <summary>Size of a record before its name.</summary>
    public const int FixedSize = 64;

    /// <summary>Flag: the name is UTF-16LE.</summary>
    public const byte UnicodeNamesFlag = 0x20;

    private const int FlagsOffset = 1;
    private const int NameLengthOffset = 2;
    private const int DbTimeOffset = 4;
    private const int ObjidLastOffset = 12;
    private const int MaxPagesOffset = 16;
    private const int AttachOffset = 20;
    private const int ConsistentOffset = 28;
    private const int SignatureOffset = 36;

    /// <summary>True when the stored name is UTF-16LE.</summary>
    public bool HasUnicodeName => (Flags & UnicodeNamesFlag) != 0;

    /// <summary>
    /// Reads the packed list. It never throws: a record whose name runs past the area ends the list and marks it
    /// as not well formed.
    /// </summary>
    public static AttachInfoList ReadList(ReadOnlySpan<byte> area)
    {
        var entries = new List<AttachInfo>();
        var pos = 0;
        while (true)
        {
            if (pos >= area.Length)
            {
                // No terminator inside the area.
                return new AttachInfoList(entries, IsWellFormed: false);
            }

            var dbid = area[pos];
            if (dbid == 0)
            {
                return new AttachInfoList(entries, IsWellFormed: true);
            }

            if (pos + FixedSize > area.Length)
            {
                return new AttachInfoList(entries, IsWellFormed: false);
            }

            var rec = area[pos..];
            var flags = rec[FlagsOffset];
            int cbNames = BinaryPrimitives.ReadUInt16LittleEndian(rec[NameLengthOffset..]);
            if (pos + FixedSize + cbNames > area.Length)
            {
                return new AttachInfoList(entries, IsWellFormed: false);
            }

            var nameBytes = rec.Slice(FixedSize, cbNames);
            entries.Add(new AttachInfo(
                dbid,
                flags,
                BinaryPrimitives.ReadUInt64LittleEndian(rec[DbTimeOffset..]),
                BinaryPrimitives.ReadUInt32LittleEndian(rec[ObjidLastOffset..]),
                BinaryPrimitives.ReadUInt32LittleEndian(rec[MaxPagesOffset..]),
                LogPosition.Read(rec[AttachOffset..]),
                LogPosition.Read(rec[ConsistentOffset..]),
                EseSignature.Read(rec[SignatureOffset..]),
                DecodeName(nameBytes, (flags & UnicodeNamesFlag) != 0)));
            pos += FixedSize + cbNames;
        }
    }

    /// <summary>
    /// Writes the list followed by the terminator; names are NUL-terminated UTF-16LE when an entry's flags say so
    /// (current engines always do), 8-bit otherwise. The area must be zeroed.
    /// </summary>
    /// <exception cref="ArgumentException">The records do not fit.</exception>
    public static void WriteList(IReadOnlyList<AttachInfo> entries, Span<byte> area)
    {
        var pos = 0;
        foreach (var e in entries)
        {
            var encoding = e.HasUnicodeName ? Encoding.Unicode : Encoding.Latin1;
            var nul = e.HasUnicodeName ? 2 : 1;
            var nameBytes = encoding.GetByteCount(e.Path) + nul;
            if (pos + FixedSize + nameBytes + 1 > area.Length)
            {
                throw new ArgumentException("The attach-info records do not fit in the area.", nameof(entries));
            }

            var rec = area[pos..];
            rec[0] = e.DatabaseId;
            rec[FlagsOffset] = e.Flags;
            BinaryPrimitives.WriteUInt16LittleEndian(rec[NameLengthOffset..], (ushort)nameBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(rec[DbTimeOffset..], e.DbTime);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[ObjidLastOffset..], e.ObjidLast);
            BinaryPrimitives.WriteUInt32LittleEndian(rec[MaxPagesOffset..], e.MaxPages);
            e.Attach.Write(rec[AttachOffset..]);
            e.Consistent.Write(rec[ConsistentOffset..]);
            e.DatabaseSignature.Write(rec[SignatureOffset..]);
            var written = encoding.GetBytes(e.Path, rec[FixedSize..]);
            rec.Slice(FixedSize + written, nul).Clear();
            pos += FixedSize + nameBytes;
        }

        area[pos] = 0;
    }

    private static string DecodeName(ReadOnlySpan<byte> bytes, bool unicode)
    {
        if (unicode)
        {
            var chars = bytes[..(bytes.Length & ~1)];
            var text = Encoding.Unicode.GetString(chars);
            var nul = text.IndexOf('\0', StringComparison.Ordinal);
            return nul < 0 ? text : text[..nul];
        }

        var end = bytes.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? bytes : bytes[..end]);
    }
}

/// <summary>The records of an attach-info list.</summary>
/// <param name="Entries">Records in stored order.</param>
/// <param name="IsWellFormed">False when a record ran past the area or the terminator was missing.</param>
internal sealed record AttachInfoList(IReadOnlyList<AttachInfo> Entries, bool IsWellFormed);
