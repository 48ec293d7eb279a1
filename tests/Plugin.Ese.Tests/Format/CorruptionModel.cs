using System.Buffers.Binary;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>
/// Where a flipped bit must be reported, worked out from the file's bytes and the format reference alone (not from
/// the verifier): the used units of a file and the headers, each with the finding a flip inside must produce.
/// </summary>
internal sealed class CorruptionModel
{
    private CorruptionModel(byte[] bytes, EseFileKind kind)
    {
        Bytes = bytes;
        Kind = kind;
    }

    public byte[] Bytes { get; }

    public EseFileKind Kind { get; }

    /// <summary>Regions whose bits are protected, each with the expectation a flip there must meet.</summary>
    public List<Region> Regions { get; } = [];

    public static CorruptionModel Build(byte[] bytes, EseFileKind kind, int? pageSize)
    {
        var model = new CorruptionModel(bytes, kind);
        switch (kind)
        {
            case EseFileKind.Database:
                model.AddDatabase(pageSize!.Value);
                break;
            case EseFileKind.Log or EseFileKind.TemporaryLog:
                model.AddLog();
                break;
            case EseFileKind.Checkpoint:
                model.Regions.Add(new Region(0, 4096, FindingCodes.HeaderChecksumMismatch, null, null, null));
                model.Regions.Add(new Region(4096, 4096, FindingCodes.ShadowHeaderMismatch, null, null, null));
                break;
            case EseFileKind.FlushMap:
                model.Regions.Add(new Region(0, 4096, FindingCodes.HeaderChecksumMismatch, null, null, null));
                break;
        }

        return model;
    }

    /// <summary>Flips one bit, runs the streaming verifier over the bytes in random-sized chunks, flips it back.</summary>
    public EseVerificationResult VerifyWithFlip(string name, long bit, Random chunking)
    {
        Bytes[bit / 8] ^= (byte)(1 << (int)(bit % 8));
        try
        {
            return VerifyInChunks(Bytes, name, chunking);
        }
        finally
        {
            Bytes[bit / 8] ^= (byte)(1 << (int)(bit % 8));
        }
    }

    public static EseVerificationResult VerifyInChunks(byte[] bytes, string name, Random chunking)
    {
        var head = bytes.AsSpan(0, Math.Min(bytes.Length, EseFileSniffer.HeadSize));
        var verifier = EseStreamVerifier.Create(name, name, bytes.Length, head);
        var pos = 0;
        while (pos < bytes.Length)
        {
            // Mostly aligned 64 KiB multiples like the engine, sometimes an odd split.
            var n = chunking.Next(4) == 0 ? chunking.Next(1, 40000) : 65536 * chunking.Next(1, 4);
            n = Math.Min(n, bytes.Length - pos);
            verifier.Process(bytes.AsSpan(pos, n));
            pos += n;
        }

        return verifier.Complete();
    }

    private void AddDatabase(int pageSize)
    {
        Regions.Add(new Region(0, pageSize, FindingCodes.HeaderChecksumMismatch, null, null, null));
        Regions.Add(new Region(pageSize, pageSize, FindingCodes.ShadowHeaderMismatch, null, null, null));
        var pages = Bytes.Length / pageSize;
        for (var index = 2; index < pages; index++)
        {
            var page = Bytes.AsSpan(index * pageSize, pageSize);
            if (!page.ContainsAnyExcept((byte)0))
            {
                continue;
            }

            var xe = pageSize > 8192 || (BinaryPrimitives.ReadUInt32LittleEndian(page[36..]) & 0x2000) != 0;
            Regions.Add(new Region((long)index * pageSize, pageSize, null, index - 1, null, xe ? CorrectableBitsOfXePage(pageSize) : null));
        }
    }

    // ECC locates any single flipped bit except in the stored checksums (on large pages, a flip in the stored
    // checksum of block 1-3 fails two blocks at once), and never the format flag (bit 301).
    private static Func<long, bool> CorrectableBitsOfXePage(int pageSize) => bit =>
    {
        if (bit < 64 || bit == 301)
        {
            return false;
        }

        return pageSize <= 8192 || bit is < 40 * 8 or >= 64 * 8;
    };

    private void AddLog()
    {
        Regions.Add(new Region(0, 4096, FindingCodes.LogHeaderChecksumMismatch, null, null, null));
        var major = BinaryPrimitives.ReadUInt32LittleEndian(Bytes.AsSpan(32));
        if (major >= 8)
        {
            for (var index = 1; index < Bytes.Length / 4096; index++)
            {
                if (Bytes.AsSpan(index * 4096, 4096).ContainsAnyExcept((byte)0))
                {
                    Regions.Add(new Region((long)index * 4096, 4096, null, null, index, null));
                }
            }

            return;
        }

        // v7: walk the LRCHECKSUM chain (§5.8) from the clean bytes; each record owns the bytes it covers and its own
        // fields, except the short checksum, which only recovery uses, and its two range lengths (below).
        long pos = 4096;
        while (true)
        {
            var rec = Bytes.AsSpan((int)pos);
            var cbBack = BinaryPrimitives.ReadUInt32LittleEndian(rec[1..]);
            var cbFwd = BinaryPrimitives.ReadUInt32LittleEndian(rec[5..]);
            var cbNext = BinaryPrimitives.ReadUInt32LittleEndian(rec[9..]);
            var recordOffset = pos;
            Regions.Add(new Region(pos - cbBack, cbBack, FindingCodes.LogRecordChecksumMismatch, null, null, null) { RecordOffset = recordOffset });
            // Not cbBackwards/cbForwards (bytes 1-8): a flip there moves the edge of the covered range, and when the
            // bytes gained or lost XOR to exactly the flipped bit the LRCHECKSUM scheme cannot see it (seen on the XP
            // logs: edb0007E.log byte 69613, edb00082.log byte 4101). ESE's own check has the same blind spot.
            Regions.Add(new Region(pos, 1, null, null, null, null) { RecordOffset = recordOffset });
            Regions.Add(new Region(pos + 9, 8, null, null, null, null) { RecordOffset = recordOffset });
            Regions.Add(new Region(pos + 21, 1, FindingCodes.LogRecordChecksumMismatch, null, null, null) { RecordOffset = recordOffset });
            Regions.Add(new Region(pos + 22, cbFwd, FindingCodes.LogRecordChecksumMismatch, null, null, null) { RecordOffset = recordOffset });
            if (cbNext == 0)
            {
                break;
            }

            pos += 22 + cbNext;
        }

        Regions.RemoveAll(r => r.Length == 0);
    }

    /// <summary>A protected byte range and the finding a flip inside must produce.</summary>
    /// <param name="Start">First byte.</param>
    /// <param name="Length">Bytes.</param>
    /// <param name="Code">Required finding code, or null when any corruption code at the location will do.</param>
    /// <param name="Page">Database page the finding must name.</param>
    /// <param name="Sector">Log segment the finding must name.</param>
    /// <param name="Correctable">For XE pages: which page-relative bits ECC must locate.</param>
    internal sealed record Region(long Start, long Length, string? Code, long? Page, long? Sector, Func<long, bool>? Correctable)
    {
        /// <summary>v7: the offset of the checksum record that must be named.</summary>
        public long? RecordOffset { get; init; }

        public void AssertReported(EseVerificationResult result, long bit)
        {
            var bad = result.Findings.Where(f => f.Severity != FindingSeverity.Info).ToList();
            Assert.True(bad.Count == 1, $"bit {bit}: expected one finding, got {bad.Count}: " + string.Join(" | ", bad.Select(b => b.Code + ": " + b.Message)));
            var f = bad[0];
            if (Code is not null)
            {
                Assert.Equal(Code, f.Code);
            }

            if (Page is { } page)
            {
                Assert.Equal(page, f.Page);
                Assert.True(f.Code is FindingCodes.PageChecksumMismatch or FindingCodes.PageNumberMismatch, f.Code);
                var bitInPage = bit - (Start * 8);
                if (Correctable is not null)
                {
                    Assert.Equal(Correctable(bitInPage) ? bitInPage : null, f.CorrectableBit);
                }
            }

            if (Sector is { } sector)
            {
                Assert.Equal(sector, f.Sector);
                Assert.True(f.Code is FindingCodes.LogSegmentChecksumMismatch or FindingCodes.LogSegmentPositionMismatch, f.Code);
            }

            if (RecordOffset is { } record)
            {
                Assert.Equal(record, f.Offset);
                Assert.True(f.Code is FindingCodes.LogRecordChecksumMismatch or FindingCodes.LogRecordChainBroken, f.Code);
            }
        }
    }
}
