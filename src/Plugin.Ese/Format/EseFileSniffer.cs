using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>What the first bytes, length and name of a file say it is.</summary>
/// <param name="Kind">The kind.</param>
/// <param name="Reason">Why, in a few words (for reports).</param>
/// <param name="Name">The parsed log-stream name, when the name is one.</param>
/// <param name="HeaderValid">True when a header checksum confirmed the kind; false when only hints (magic, file type, name) did.</param>
internal sealed record EseFileIdentity(EseFileKind Kind, string Reason, LogFileName? Name, bool HeaderValid)
{
    /// <summary>Databases: the header selection made over the same first bytes while identifying, when one was made.</summary>
    public DatabaseHeaderSelection? DatabaseSelection { get; init; }
}

/// <summary>
/// Identifies ESE files from their first bytes (at most <see cref="HeadSize"/>), length and name. Checksummed headers
/// are trusted first; a damaged header is still recognised by the magic, the file type at offset 667 or the name, so
/// that its damage is reported against the right kind instead of calling the file "not ESE".
/// </summary>
internal static class EseFileSniffer
{
    /// <summary>How many leading bytes callers should pass.</summary>
    public const int HeadSize = 128 * 1024;

    private const int HeaderBlock = 4096;

    /// <summary>Identifies a file.</summary>
    /// <param name="fileName">File name (a directory part is ignored).</param>
    /// <param name="length">File length.</param>
    /// <param name="head">The first <c>min(length, HeadSize)</c> bytes.</param>
    public static EseFileIdentity Identify(string fileName, long length, ReadOnlySpan<byte> head)
    {
        var name = LogFileName.TryParse(Path.GetFileName(fileName));
        var ext = Path.GetExtension(fileName);
        if (length == 0)
        {
            return ext.Equals(".pat", StringComparison.OrdinalIgnoreCase)
                ? new EseFileIdentity(EseFileKind.Patch, "zero-length patch file", name, false)
                : new EseFileIdentity(EseFileKind.Empty, "zero-length file", name, false);
        }

        if (head.Length > length)
        {
            head = head[..(int)length];
        }

        if (!head.ContainsAnyExcept((byte)0))
        {
            return IdentifyAllZero(name, ext, length);
        }

        if (IsLegacyReserveFill(head))
        {
            return new EseFileIdentity(EseFileKind.ReserveLog, "pre-formatted reserve log (0xDA fill, no header)", name, false);
        }

        // Database: ESE's own header search over every candidate page size.
        DatabaseHeaderSelection? selection = null;
        if (head.Length >= 2 * 2048)
        {
            selection = DatabaseHeaderSelection.Select(head, length);
            if (selection.IsValid && selection.Header is { } h
                && (h.HasValidMagic || h.FileType is DatabaseHeader.DatabaseFileType or DatabaseHeader.TemporaryDatabaseFileType))
            {
                return new EseFileIdentity(EseFileKind.Database, "database header", name, true) { DatabaseSelection = selection };
            }
        }

        // Log, checkpoint, flush map: a 4096-byte XOR-checksummed block at 0 (or the checkpoint's copy at 4096).
        foreach (var offset in (ReadOnlySpan<int>)[0, HeaderBlock])
        {
            if (head.Length < offset + HeaderBlock || !XorChecksum.IsValid(head.Slice(offset, HeaderBlock)))
            {
                continue;
            }

            var block = head.Slice(offset, HeaderBlock);
            var fileType = ReadFileType(block);
            if (fileType == CheckpointHeader.CheckpointFileType)
            {
                return new EseFileIdentity(EseFileKind.Checkpoint, "checkpoint header", name, true);
            }

            if (offset == 0 && fileType == FlushMapHeader.FlushMapFileType)
            {
                return new EseFileIdentity(EseFileKind.FlushMap, "flush map header", name, true);
            }

            if (offset == 0 && (fileType == LogFileHeader.LogFileType || LooksLikeLegacyLogHeader(block, name)))
            {
                return new EseFileIdentity(LogKindFor(name), "log header", name, true);
            }
        }

        return IdentifyDamaged(name, ext, length, head, selection);
    }

    /// <summary>
    /// Old engines pre-formatted reserve logs with a 0xDA fill in which every 16th byte carries a counter in its high
    /// nibble (low nibble 0xA).
    /// </summary>
    public static bool IsLegacyReserveFill(ReadOnlySpan<byte> head)
    {
        var n = Math.Min(head.Length, HeaderBlock);
        if (n < 64)
        {
            return false;
        }

        for (var i = 0; i < n; i++)
        {
            var b = head[i];
            if ((i & 15) == 0 ? (b & 0x0F) != 0x0A : b != 0xDA)
            {
                return false;
            }
        }

        return true;
    }

    private static EseFileIdentity IdentifyAllZero(LogFileName? name, string ext, long length)
    {
        switch (name?.Kind)
        {
            case LogFileNameKind.Reserve:
                return new EseFileIdentity(EseFileKind.ReserveLog, "reserve log, all zero (no header yet)", name, false);
            case LogFileNameKind.Temporary:
                return new EseFileIdentity(EseFileKind.TemporaryLog, "temporary log, all zero (no header yet)", name, false);
            case LogFileNameKind.Current or LogFileNameKind.Archived:
                return length < HeaderBlock
                    ? new EseFileIdentity(EseFileKind.Truncated, "log name, shorter than a log header", name, false)
                    : new EseFileIdentity(EseFileKind.Log, "log name, header all zero", name, false);
            case LogFileNameKind.Checkpoint:
                return new EseFileIdentity(length < HeaderBlock ? EseFileKind.Truncated : EseFileKind.Checkpoint, "checkpoint name, header all zero", name, false);
            default:
                return ext.Equals(".jfm", StringComparison.OrdinalIgnoreCase)
                    ? new EseFileIdentity(length < HeaderBlock ? EseFileKind.Truncated : EseFileKind.FlushMap, "flush map name, header all zero", name, false)
                    : new EseFileIdentity(EseFileKind.NotEse, "all bytes zero", name, false);
        }
    }

    private static EseFileIdentity IdentifyDamaged(LogFileName? name, string ext, long length, ReadOnlySpan<byte> head, DatabaseHeaderSelection? selection)
    {
        var magicAt = -1;
        foreach (var offset in (ReadOnlySpan<int>)[0, 2048, 4096, 8192, 16384, 32768])
        {
            if (head.Length >= offset + 8
                && BinaryPrimitives.ReadUInt32LittleEndian(head[(offset + DatabaseHeader.MagicOffset)..]) == DatabaseHeader.Magic)
            {
                magicAt = offset;
                break;
            }
        }

        var fileType = head.Length >= DatabaseHeader.FileTypeOffset + 4 ? ReadFileType(head) : 0u;
        var tooShortForHeader = length < HeaderBlock;
        // Without the database magic, a damaged file type alone must not turn a log-stream file into a database:
        // one flipped bit changes a log's type 3 into 1. The magic, or the lack of a log-stream name, decides.
        if (magicAt >= 0 || (fileType is DatabaseHeader.DatabaseFileType or DatabaseHeader.TemporaryDatabaseFileType && KindFromName(name, ext) is null))
        {
            return tooShortForHeader
                ? new EseFileIdentity(EseFileKind.Truncated, "database magic, shorter than a header page", name, false)
                : new EseFileIdentity(EseFileKind.Database, "database magic or file type; header checksum invalid", name, false) { DatabaseSelection = selection };
        }

        // The header failed its checksum, so its file type may be the damaged field: one flipped bit turns a flush
        // map's type 7 into a log's 3. A name that says what the file is wins; the type decides only for other names.
        var kind = KindFromName(name, ext) ?? fileType switch
        {
            LogFileHeader.LogFileType => LogKindFor(name),
            CheckpointHeader.CheckpointFileType => EseFileKind.Checkpoint,
            FlushMapHeader.FlushMapFileType => EseFileKind.FlushMap,
            _ => null,
        };

        if (kind is { } k)
        {
            return tooShortForHeader
                ? new EseFileIdentity(EseFileKind.Truncated, "ESE file type or name, shorter than a header", name, false)
                : new EseFileIdentity(k, fileType != 0 ? "file type at offset 667; header checksum invalid" : "file name; header checksum invalid", name, false);
        }

        return ext.Equals(".pat", StringComparison.OrdinalIgnoreCase)
            ? new EseFileIdentity(EseFileKind.Patch, "patch file with content", name, false)
            : new EseFileIdentity(EseFileKind.NotEse, "no ESE header", name, false);
    }

    private static EseFileKind? KindFromName(LogFileName? name, string ext) => name?.Kind switch
    {
        LogFileNameKind.Current or LogFileNameKind.Archived => EseFileKind.Log,
        LogFileNameKind.Temporary => EseFileKind.TemporaryLog,
        LogFileNameKind.Checkpoint => EseFileKind.Checkpoint,
        LogFileNameKind.Reserve or LogFileNameKind.LegacyReserve => EseFileKind.ReserveLog,
        _ => ext.Equals(".jfm", StringComparison.OrdinalIgnoreCase) ? EseFileKind.FlushMap : null,
    };

    private static EseFileKind LogKindFor(LogFileName? name) => name?.Kind switch
    {
        LogFileNameKind.Temporary => EseFileKind.TemporaryLog,
        LogFileNameKind.Reserve or LogFileNameKind.LegacyReserve => EseFileKind.ReserveLog,
        _ => EseFileKind.Log,
    };

    // Logs older than format 7.3704.5 may lack the file type; accept a valid header whose geometry is a log's.
    private static bool LooksLikeLegacyLogHeader(ReadOnlySpan<byte> block, LogFileName? name)
    {
        var sectorSize = BinaryPrimitives.ReadUInt16LittleEndian(block[8..]);
        var major = BinaryPrimitives.ReadUInt32LittleEndian(block[32..]);
        return name?.Kind is LogFileNameKind.Current or LogFileNameKind.Archived
            && sectorSize is 512 or 1024 or 2048 or 4096
            && major is >= 6 and <= 7;
    }

    private static uint ReadFileType(ReadOnlySpan<byte> block) =>
        BinaryPrimitives.ReadUInt32LittleEndian(block[DatabaseHeader.FileTypeOffset..]);
}
