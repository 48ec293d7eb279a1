using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Samples;

/// <summary>
/// Streams a database file: the header page twice, then data pages with page headers, pseudo-random records, tag
/// arrays and valid checksums (legacy XOR or XE), with uninitialised pages in the tail and scattered in between.
/// Memory is one fixed buffer whatever the size.
/// </summary>
internal static class SyntheticDatabaseWriter
{
    private const int BufferSize = 1 << 20;

    /// <summary>Writes the file.</summary>
    public static void Write(string path, DatabaseHeader header, long dataPages, PageChecksumKind kind, double uninitializedFraction, ulong seed)
    {
        var pageSize = header.PageSize;
        var pagesPerChunk = Math.Max(2, BufferSize / pageSize);
        var buffer = new byte[pagesPerChunk * pageSize];
        var effectiveKind = PageHeader.IsLargePage(pageSize) ? PageChecksumKind.Xe : kind;
        var tailStart = dataPages - (long)(dataPages * uninitializedFraction / 2);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        stream.SetLength((2 + dataPages) * pageSize);

        header.WritePage(buffer.AsSpan(0, pageSize));
        buffer.AsSpan(0, pageSize).CopyTo(buffer.AsSpan(pageSize, pageSize));
        stream.Write(buffer, 0, 2 * pageSize);

        var filled = 0;
        for (long pgno = 1; pgno <= dataPages; pgno++)
        {
            var page = buffer.AsSpan(filled * pageSize, pageSize);
            var rng = SplitMix64.For(seed, 0xDA7A, (ulong)pgno);
            if (pgno > tailStart || rng.NextDouble() < uninitializedFraction / 2)
            {
                page.Clear();
            }
            else
            {
                FillPage(page, (uint)pgno, dataPages, effectiveKind, ref rng);
            }

            if (++filled == pagesPerChunk)
            {
                stream.Write(buffer, 0, filled * pageSize);
                filled = 0;
            }
        }

        if (filled > 0)
        {
            stream.Write(buffer, 0, filled * pageSize);
        }
    }

    private static void FillPage(Span<byte> page, uint pgno, long dataPages, PageChecksumKind kind, ref SplitMix64 rng)
    {
        var pageSize = page.Length;
        page.Clear();
        var headerSize = PageHeader.IsLargePage(pageSize) ? PageHeader.LargeSize : PageHeader.SmallSize;
        var tags = 1 + rng.NextInt(48);
        var room = pageSize - headerSize - (tags * 4);
        var used = (int)(room * (0.2 + (0.75 * rng.NextDouble())));
        rng.Fill(page.Slice(headerSize, used));

        // Tag array at the end of the page: (size, offset) of each record.
        var step = Math.Max(1, used / tags);
        for (var t = 0; t < tags; t++)
        {
            var tag = page[(pageSize - ((t + 1) * 4))..];
            BitConverter.TryWriteBytes(tag, (ushort)Math.Min(step, ushort.MaxValue));
            BitConverter.TryWriteBytes(tag[2..], (ushort)Math.Min(t * step, ushort.MaxValue));
        }

        var flags = PageFlags.Leaf | PageFlags.NewRecordFormat;
        if (pgno % 97 == 1)
        {
            flags |= PageFlags.Root;
        }

        if (kind == PageChecksumKind.Xe)
        {
            flags |= PageFlags.NewChecksumFormat;
        }

        PageHeader.WriteFields(
            page,
            dbTime: 0x1000 + pgno + (rng.Next() & 0xFFFF),
            previousPage: pgno > 1 ? pgno - 1 : 0,
            nextPage: pgno < dataPages ? pgno + 1 : 0,
            objidFdp: 2 + (pgno % 23),
            freeBytes: (ushort)Math.Min(room - used, ushort.MaxValue),
            firstFreeByte: (ushort)Math.Min(used, ushort.MaxValue),
            tagState: (ushort)tags,
            flags: flags,
            pageNumber: pgno);
        PageChecksum.Stamp(page, pgno, kind);
    }
}
