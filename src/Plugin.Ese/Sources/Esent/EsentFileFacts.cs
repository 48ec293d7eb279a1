using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>Facts read from a database header (ese-on-disk.md §3.2–3.3).</summary>
/// <param name="PageSize">The page size the header validated at.</param>
/// <param name="State">dbstate (offset 52).</param>
/// <param name="SignDb">signDb (28 bytes at 24).</param>
/// <param name="SignLog">signLog (28 bytes at 108).</param>
/// <param name="FullCurMark">bkinfoFullCur.lgposMark (8 bytes at 184).</param>
/// <param name="FullCurGenLow">bkinfoFullCur.genLow (at 200): non-zero in a streamed backup image.</param>
/// <param name="FileLength">The file's length.</param>
internal sealed record EsentDatabaseHeader(int PageSize, uint State, byte[] SignDb, byte[] SignLog, byte[] FullCurMark, uint FullCurGenLow, long FileLength);

/// <summary>The trailer page of a streamed database image (ese-on-disk.md §3.6).</summary>
/// <param name="ChecksumValid">The XOR checksum over the page matches.</param>
/// <param name="Mark">BKINFO.lgposMark (at 40).</param>
/// <param name="GenLow">BKINFO.genLow (at 56).</param>
/// <param name="GenHigh">BKINFO.genHigh (at 60): the last generation the image needs.</param>
/// <param name="SignDb">signDb (at 64).</param>
/// <param name="SignLog">signLog (at 92).</param>
internal sealed record EsentTrailer(bool ChecksumValid, byte[] Mark, uint GenLow, uint GenHigh, byte[] SignDb, byte[] SignLog);

/// <summary>Facts from a log file header (ese-on-disk.md §5.2).</summary>
/// <param name="ChecksumValid">The header's XOR checksum matches.</param>
/// <param name="Generation">lGeneration.</param>
/// <param name="SignLog">signLog (at 44).</param>
/// <param name="Created">tmCreate (8 bytes at 16).</param>
/// <param name="PreviousCreated">tmPrevGen (8 bytes at 24).</param>
/// <param name="FileBytes">csecLGFile × cbSec: the size every log of the stream has.</param>
internal sealed record EsentLogHeader(bool ChecksumValid, long Generation, byte[] SignLog, byte[] Created, byte[] PreviousCreated, long FileBytes);

/// <summary>
/// The little of ESE's on-disk formats the in-process source needs to open a file set, to name a
/// target and to check a restore layout. Reads headers only; spans in, facts out.
/// </summary>
internal static class EsentFileFacts
{
    /// <summary>The header magic (offset 4 of a database header).</summary>
    public const uint Magic = 0x89ABCDEF;

    private static readonly int[] PageSizeCandidates = [2048, 4096, 8192, 16384, 32768];

    /// <summary>ESE's legacy XOR checksum (ese-on-disk.md §2) over <paramref name="block"/>.</summary>
    public static uint XorChecksum(ReadOnlySpan<byte> block)
    {
        var c = Magic;
        for (var i = 4; i + 4 <= block.Length; i += 4)
        {
            c ^= BinaryPrimitives.ReadUInt32LittleEndian(block[i..]);
        }

        return c;
    }

    /// <summary>True when the block's first dword is its XOR checksum.</summary>
    public static bool IsSealed(ReadOnlySpan<byte> block)
        => block.Length >= 8 && BinaryPrimitives.ReadUInt32LittleEndian(block) == XorChecksum(block);

    /// <summary>The 4-byte file type at offset 667 (1 database, 3 log, 4 checkpoint), or -1.</summary>
    public static int FileType(ReadOnlySpan<byte> header) => header.Length >= 671 ? (int)BinaryPrimitives.ReadUInt32LittleEndian(header[667..]) : -1;

    /// <summary>Reads up to <paramref name="count"/> bytes at <paramref name="offset"/> while others may have the file open.</summary>
    public static byte[] ReadShared(string path, long offset, int count)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        if (offset >= stream.Length)
        {
            return [];
        }

        var buffer = new byte[(int)Math.Min(count, stream.Length - offset)];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>The database header of <paramref name="path"/>, or <see langword="null"/> when it is not an ESE database.</summary>
    public static EsentDatabaseHeader? TryReadDatabaseHeader(string path)
    {
        try
        {
            var length = new FileInfo(path).Length;
            var start = ReadShared(path, 0, 2 * 32768);
            return ParseDatabaseHeader(start, length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Finds and validates the header the way ESE does (primary, else shadow; ese-on-disk.md §3.2).</summary>
    public static EsentDatabaseHeader? ParseDatabaseHeader(ReadOnlySpan<byte> fileStart, long fileLength)
    {
        foreach (var candidate in PageSizeCandidates)
        {
            if (fileStart.Length < 2 * candidate)
            {
                break;
            }

            foreach (var copy in (ReadOnlySpan<int>)[0, candidate])
            {
                var page = fileStart.Slice(copy, candidate);
                if (!IsSealed(page) || PageSizeField(page) != candidate)
                {
                    continue;
                }

                if (BinaryPrimitives.ReadUInt32LittleEndian(page[4..]) != Magic || FileType(page) != 1)
                {
                    return null;
                }

                return new EsentDatabaseHeader(
                    candidate,
                    BinaryPrimitives.ReadUInt32LittleEndian(page[52..]),
                    page.Slice(24, 28).ToArray(),
                    page.Slice(108, 28).ToArray(),
                    page.Slice(184, 8).ToArray(),
                    BinaryPrimitives.ReadUInt32LittleEndian(page[200..]),
                    fileLength);
            }
        }

        return null;
    }

    private static int PageSizeField(ReadOnlySpan<byte> page)
    {
        var value = BinaryPrimitives.ReadUInt32LittleEndian(page[236..]);
        return value == 0 ? 4096 : (int)Math.Min(value, int.MaxValue);
    }

    /// <summary>The last page of a streamed image, read as a trailer.</summary>
    public static EsentTrailer? TryReadTrailer(string path, int pageSize)
    {
        var length = new FileInfo(path).Length;
        if (length < 3L * pageSize)
        {
            return null;
        }

        var page = ReadShared(path, length - pageSize, pageSize);
        return ParseTrailer(page);
    }

    /// <summary>Reads a trailer page (ese-on-disk.md §3.6).</summary>
    public static EsentTrailer ParseTrailer(ReadOnlySpan<byte> page)
        => new(
            IsSealed(page),
            page.Slice(40, 8).ToArray(),
            BinaryPrimitives.ReadUInt32LittleEndian(page[56..]),
            BinaryPrimitives.ReadUInt32LittleEndian(page[60..]),
            page.Slice(64, 28).ToArray(),
            page.Slice(92, 28).ToArray());

    /// <summary>The header of a log file, or <see langword="null"/> when it has none (e.g. a zeroed reserve log).</summary>
    public static EsentLogHeader? TryReadLogHeader(string path)
    {
        try
        {
            var header = ReadShared(path, 0, 4096);
            return header.Length == 4096 ? ParseLogHeader(header) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads a log header (ese-on-disk.md §5.2).</summary>
    public static EsentLogHeader? ParseLogHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < 4096 || header[..4096].IndexOfAnyExcept((byte)0) < 0)
        {
            return null;
        }

        var cbSec = BinaryPrimitives.ReadUInt16LittleEndian(header[8..]);
        var csec = BinaryPrimitives.ReadUInt16LittleEndian(header[12..]);
        return new EsentLogHeader(
            IsSealed(header[..4096]),
            BinaryPrimitives.ReadInt32LittleEndian(header[4..]),
            header.Slice(44, 28).ToArray(),
            header.Slice(16, 8).ToArray(),
            header.Slice(24, 8).ToArray(),
            (long)cbSec * csec);
    }

    /// <summary>Generation (offset 16) and signLog (offset 20) of a checkpoint file, when its first copy is valid.</summary>
    public static (long Generation, byte[] SignLog)? TryReadCheckpoint(string path)
    {
        try
        {
            var block = ReadShared(path, 0, 4096);
            if (block.Length < 4096 || !IsSealed(block) || FileType(block) != 4)
            {
                return null;
            }

            return (BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(16)), block.AsSpan(20, 28).ToArray());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Parses an archived log name <c>&lt;base&gt;&lt;5 or 8 hex digits&gt;.log|.jtx</c> (ese-on-disk.md §5.1).
    /// With <paramref name="baseName"/> the base must match (case-insensitively).
    /// </summary>
    public static bool TryParseLogGeneration(string fileName, string? baseName, out string foundBase, out long generation)
    {
        foundBase = string.Empty;
        generation = 0;
        var ext = Path.GetExtension(fileName);
        if (!ext.Equals(".log", StringComparison.OrdinalIgnoreCase) && !ext.Equals(".jtx", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var stem = Path.GetFileNameWithoutExtension(fileName);
        if (stem.Length is not (8 or 11))
        {
            return false;
        }

        var b = stem[..3];
        if (baseName is not null && !b.Equals(baseName, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!long.TryParse(stem.AsSpan(3), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out generation) || generation <= 0)
        {
            return false;
        }

        foundBase = b;
        return true;
    }

    /// <summary>The archived name ESE gives generation <paramref name="generation"/> (ese-on-disk.md §5.1).</summary>
    public static string LogFileName(string baseName, long generation, uint legacyFileNames)
    {
        var ext = (legacyFileNames & 0x1) != 0 ? ".log" : ".jtx";
        var digits = (legacyFileNames & 0x2) != 0 && generation <= 0xFFFFF ? "X5" : "X8";
        return baseName + generation.ToString(digits, CultureInfo.InvariantCulture) + ext;
    }

    /// <summary>A signature (28 bytes) as text: random, creation time (UTC) and computer name; <see langword="null"/> when unset.</summary>
    public static string? SignatureText(ReadOnlySpan<byte> signature)
    {
        if (signature.Length < 28 || signature.IndexOfAnyExcept((byte)0) < 0)
        {
            return null;
        }

        var random = BinaryPrimitives.ReadUInt32LittleEndian(signature);
        var t = signature.Slice(4, 8);
        var name = signature.Slice(12, 16);
        var end = name.IndexOf((byte)0);
        var computer = Encoding.Latin1.GetString(end < 0 ? name : name[..end]);
        var time = string.Create(CultureInfo.InvariantCulture, $"{1900 + t[5]:D4}-{t[4]:D2}-{t[3]:D2}T{t[2]:D2}:{t[1]:D2}:{t[0]:D2}Z");
        return string.Create(CultureInfo.InvariantCulture, $"{random:x8}/{time}/{computer}");
    }

    /// <summary>A short, stable hash (hex) of some bytes, for ids.</summary>
    public static string StableHash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data))[..32];
}
