using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Samples;

/// <summary>
/// Writes one v8 log generation: the header, data segments with valid XE checksums and <c>lgposSegment</c>, and a
/// shadow copy of the last written segment in the slot after it. Segment contents depend only on the stream seed,
/// the generation and the segment index, so a generation written partially (the current log) and later completely
/// (when it is archived) share their first segments, as a real log does.
/// </summary>
internal static class SyntheticLogWriter
{
    private const int Segment = LogSegmentHeader.SegmentSize;

    /// <summary>Writes the file and returns the XOR of its good segments' checksums (the next generation's <c>checksumPrevLogAllSegments</c>).</summary>
    /// <param name="path">Target file (replaced).</param>
    /// <param name="header">The header to write.</param>
    /// <param name="contentSeed">Seed of the stream's content.</param>
    /// <param name="complete">True for an archived (full) generation, false for the current one (about half written).</param>
    public static ulong Write(string path, LogFileHeader header, ulong contentSeed, bool complete)
    {
        var dataSegments = header.FileSectors - 2;
        var written = complete ? dataSegments : Math.Max(1, dataSegments / 2);
        var buffer = new byte[Segment];
        var last = new byte[Segment];
        ulong accumulated = 0;
        var created = header.Created.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch;
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        header.Write(buffer);
        stream.Write(buffer);
        for (var i = 1; i < header.FileSectors; i++)
        {
            if (i <= written)
            {
                FillSegment(buffer, i, header.Generation, created, contentSeed);
                accumulated ^= BitConverter.ToUInt64(buffer, 0);
                if (i == written)
                {
                    buffer.CopyTo(last, 0);
                }
            }
            else if (i == written + 1)
            {
                // The shadow: the same 4 KiB (same checksum, computed for the previous index) one slot later.
                last.CopyTo(buffer, 0);
            }
            else
            {
                Array.Clear(buffer);
            }

            stream.Write(buffer);
        }

        return accumulated;
    }

    private static void FillSegment(Span<byte> segment, int index, int generation, DateTimeOffset created, ulong contentSeed)
    {
        var rng = SplitMix64.For(contentSeed, (ulong)generation, (ulong)index);
        segment.Clear();

        // "Log records": a random amount of data after the 40-byte segment header.
        var used = 256 + rng.NextInt(Segment - LogSegmentHeader.Size - 256);
        rng.Fill(segment.Slice(LogSegmentHeader.Size, used));
        LogSegmentHeader.WriteAndStamp(segment, index, generation, LogTime.FromDateTimeOffset(created.AddMilliseconds(index * 250)));
    }
}
