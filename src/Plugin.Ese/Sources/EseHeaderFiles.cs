using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Sources;

/// <summary>
/// Reads the headers of ESE files on disk, for the sources, with the Format library's types: the few bytes at the
/// start of a file in, a validated header (or <see langword="null"/>) out. Files are opened shared, since the
/// engine that owns them may have them open.
/// </summary>
internal static class EseHeaderFiles
{
    /// <summary>Up to <paramref name="count"/> bytes at the start of <paramref name="path"/>, and the file's length.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">Access is denied.</exception>
    public static byte[] ReadHead(string path, int count, out long length) => ReadAt(path, 0, count, out length);

    /// <summary>Up to <paramref name="count"/> bytes at <paramref name="offset"/> of <paramref name="path"/>, and the file's length.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="UnauthorizedAccessException">Access is denied.</exception>
    public static byte[] ReadAt(string path, long offset, int count, out long length)
    {
        // RandomAccess: no read-ahead, so probing a database reads its header pages and nothing more.
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.RandomAccess);
        length = stream.Length;
        if (offset >= length)
        {
            return [];
        }

        var buffer = new byte[(int)Math.Min(count, length - offset)];
        stream.Position = offset;
        stream.ReadExactly(buffer);
        return buffer;
    }

    /// <summary>
    /// The database header the way ESE finds it (<see cref="DatabaseHeaderSelection"/>: primary, else shadow, at
    /// the page size that validates), when the file is a database; <see langword="null"/> otherwise.
    /// </summary>
    public static DatabaseHeader? TryReadDatabase(string path) => Try(path, () =>
    {
        var head = ReadHead(path, DatabaseHeaderSelection.MaxPrefixNeeded, out var length);
        var selection = DatabaseHeaderSelection.Select(head, length);
        return selection is { IsValid: true, Header: { HasValidMagic: true, FileType: DatabaseHeader.DatabaseFileType } h } ? h : null;
    });

    /// <summary>The header of a log file when its XOR checksum holds; <see langword="null"/> otherwise (a zeroed reserve log, damage).</summary>
    public static LogFileHeader? TryReadLog(string path) => Try(path, () =>
    {
        var head = ReadHead(path, LogFileHeader.Size, out _);
        return head.Length == LogFileHeader.Size && head.AsSpan().ContainsAnyExcept((byte)0) && XorChecksum.IsValid(head)
            ? LogFileHeader.Read(head)
            : null;
    });

    /// <summary>The valid copy of a checkpoint file (primary preferred); <see langword="null"/> when neither copy is a valid checkpoint.</summary>
    public static CheckpointHeader? TryReadCheckpoint(string path) => Try(path, () =>
    {
        var selection = CheckpointSelection.Select(ReadHead(path, CheckpointHeader.FileSize, out _));
        return selection is { UsedCopy: not HeaderCopy.None, Header: { FileType: CheckpointHeader.CheckpointFileType } h } ? h : null;
    });

    /// <summary>
    /// The last page of a streamed database image read as its trailer, when its XOR checksum holds;
    /// <see langword="null"/> when the file is too short or the page is not a valid trailer.
    /// </summary>
    public static BackupTrailer? TryReadTrailer(string path, int pageSize) => Try(path, () =>
    {
        var length = new FileInfo(path).Length;
        if (length < 3L * pageSize)
        {
            return null;
        }

        var page = ReadAt(path, length - pageSize, pageSize, out _);
        return page.Length == pageSize && XorChecksum.IsValid(page) ? BackupTrailer.Read(page) : null;
    });

    private static T? Try<T>(string path, Func<T?> read)
        where T : class
    {
        try
        {
            return File.Exists(path) ? read() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
