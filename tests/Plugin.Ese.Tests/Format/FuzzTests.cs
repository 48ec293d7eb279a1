using System.Diagnostics;
using CsCheck;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>
/// Robustness: random values in every header field (often with the header checksum recomputed, so the parser trusts
/// them), random bytes, truncations, wrong names and odd chunkings never crash, hang or allocate without bound.
/// </summary>
public class FuzzTests
{
    private static readonly Lazy<Seed[]> Seeds = new(LoadSeeds);

    private static readonly string[] Names =
        ["edb.log", "edb0001A.log", "edb00000001.log", "edbtmp.log", "edbres00001.jrs", "res1.log", "edb.chk", "x.edb", "x.pat", "x.jfm", "x.dat", "readme.txt"];

    [Fact]
    public void Ten_thousand_mutated_files_never_crash_hang_or_allocate_without_bound()
    {
        var seeds = Seeds.Value;
        var count = 0;
        var results = new List<EseVerificationResult>();
        var codes = new HashSet<string>();
        Gen.Select(Gen.Int[0, seeds.Length - 1], Gen.Int, Gen.Int[0, 9]).Sample(
            (seedIndex, rnd, mode) =>
            {
                var random = new Random(rnd);
                var seed = seeds[seedIndex];
                var bytes = Mutate(seed, random, mode);
                var name = random.Next(3) == 0 ? Names[random.Next(Names.Length)] : seed.Name;
                var result = VerifyBounded(bytes, name, random);
                count++;
                codes.UnionWith(result.Findings.Select(f => f.Code));

                // The JSON view and the cross-file checks must survive whatever the headers say, too.
                _ = EseFileDetails.ToJson(result, bytes.Length, verified: true).ToJsonString();
                results.Add(result);
                if (results.Count == 40)
                {
                    _ = CrossFileChecker.Check(results);
                    results.Clear();
                }
            },
            iter: 10_000,
            threads: 1);

        Assert.Equal(10_000, count);

        // The mutations reach deep: every kind of damage shows up somewhere in the run.
        Assert.Superset(
            new HashSet<string>
            {
                FindingCodes.HeaderChecksumMismatch, FindingCodes.ShadowHeaderMismatch, FindingCodes.HeaderInvalid,
                FindingCodes.PageChecksumMismatch, FindingCodes.TruncatedFile, FindingCodes.LogHeaderChecksumMismatch,
                FindingCodes.LogSegmentChecksumMismatch, FindingCodes.LogRecordChecksumMismatch, FindingCodes.LogRecordChainBroken,
                FindingCodes.LogGenerationMismatch, FindingCodes.NotEseFile,
            },
            codes);
    }

    [Fact]
    public void Every_prefix_length_of_a_small_file_is_handled()
    {
        foreach (var seed in Seeds.Value.Where(s => s.Bytes.Length <= 70_000))
        {
            var random = new Random(7);
            for (var n = 0; n <= seed.Bytes.Length; n += n < 5000 ? 97 : 4096)
            {
                var result = VerifyBounded(seed.Bytes[..n], seed.Name, random);
                Assert.Equal(n, result.Bytes);
            }
        }
    }

    [Fact]
    public void Announced_length_larger_than_the_bytes_is_reported_not_trusted()
    {
        var bytes = File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"));
        var verifier = EseStreamVerifier.Create("SRU0001A.log", "SRU0001A.log", 1L << 40, bytes);
        verifier.Process(bytes);
        var result = verifier.Complete();

        Assert.Contains(result.Findings, f => f.Code == FindingCodes.FileChangedDuringRead);
        Assert.True(result.HasCorruption);
    }

    [Fact]
    public void A_legacy_log_claiming_a_huge_size_allocates_only_what_it_reads()
    {
        // Header says 65535 sectors of 4 KiB (256 MiB); the file is 128 KiB.
        var bytes = File.ReadAllBytes(TestData.Ese("catroot2-winxp-with-logs", "edb0007E.log"));
        bytes[8] = 0x00;
        bytes[9] = 0x10;
        bytes[12] = 0xFF;
        bytes[13] = 0xFF;
        XorChecksum.Stamp(bytes.AsSpan(0, 4096));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = CorruptionModel.VerifyInChunks(bytes, "edb0007E.log", new Random(3));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains(result.Findings, f => f.Code == FindingCodes.TruncatedFile);
        Assert.True(allocated < 4 << 20, $"allocated {allocated} bytes");
    }

    private static EseVerificationResult VerifyBounded(byte[] bytes, string name, Random random)
    {
        var clock = Stopwatch.StartNew();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = CorruptionModel.VerifyInChunks(bytes, name, random);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(bytes.Length, result.Bytes);
        Assert.True(result.Findings.Count <= FindingCollector.Limit + 1);
        Assert.True(allocated < (8L << 20) + (2L * bytes.Length), $"{name}: allocated {allocated} bytes for {bytes.Length}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"{name}: took {clock.Elapsed}");
        return result;
    }

    private static byte[] Mutate(Seed seed, Random random, int mode)
    {
        var bytes = (byte[])seed.Bytes.Clone();
        var fields = random.Next(1, 6);
        for (var i = 0; i < fields; i++)
        {
            var (offset, width) = seed.Fields[random.Next(seed.Fields.Length)];
            if (offset + width > bytes.Length)
            {
                continue;
            }

            var value = random.Next(6) switch
            {
                0 => 0UL,
                1 => ulong.MaxValue,
                2 => (ulong)random.Next(0, 64),
                3 => 1UL << random.Next(0, 64),
                _ => (ulong)random.NextInt64(),
            };
            for (var b = 0; b < width; b++)
            {
                bytes[offset + b] = (byte)(value >> (8 * (b % 8)));
            }
        }

        // Usually make the damaged header look valid so the parser acts on the random values.
        if (mode < 6)
        {
            foreach (var block in seed.ChecksummedBlocks)
            {
                if (block + seed.HeaderBlockSize <= bytes.Length && random.Next(4) != 0)
                {
                    XorChecksum.Stamp(bytes.AsSpan(block, seed.HeaderBlockSize));
                }
            }
        }

        if (mode is 6 or 7)
        {
            for (var i = random.Next(1, 50); i > 0; i--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }
        }

        if (mode >= 8 || random.Next(5) == 0)
        {
            var cut = random.Next(3) == 0 ? random.Next(0, Math.Min(200, bytes.Length + 1)) : random.Next(0, bytes.Length + 1);
            bytes = bytes[..cut];
        }

        return bytes;
    }

    private static Seed[] LoadSeeds()
    {
        static byte[] Read(string folder, string name, int max = int.MaxValue)
        {
            var b = File.ReadAllBytes(TestData.Ese(folder, name));
            return b.Length > max ? b[..max] : b;
        }

        var random = new Random(42);
        var noise = new byte[50_000];
        random.NextBytes(noise);
        return
        [
            Database("SRUDB.dat", Read("srum-server2022-first-generations", "SRUDB.dat"), 4096),
            Database("qmgr.db", Read("bits-qmgr-win10", "qmgr.db", 12 * 16384), 16384),
            Database("decompress_test.edb", Read("esent-api-8k-compressed", "decompress_test.edb", 14 * 8192), 8192),
            Database("catdb", Read("catroot2-winxp-with-logs/{127D0A1D-4EF2-11D1-8608-00C04FC295EE}", "catdb", 16 * 4096), 4096),
            Log("SRU00001.log", Read("srum-server2022-first-generations", "SRU00001.log"), v8: true),
            Log("SRU.log", Read("srum-server2022-first-generations", "SRU.log"), v8: true),
            Log("edb0007E.log", Read("catroot2-winxp-with-logs", "edb0007E.log"), v8: false),
            Log("edb.log", Read("catroot2-winxp-with-logs", "edb.log"), v8: false),
            Checkpoint("SRU.chk", Read("srum-win10-clean-with-logs", "SRU.chk")),
            new Seed("SRUDB.jfm", Read("srum-win10-clean-with-logs", "SRUDB.jfm"), [.. HeaderFields(0)], [0], 4096),
            new Seed("res1.log", Read("catroot2-winxp-with-logs", "res1.log"), [.. HeaderFields(0)], [], 4096),
            new Seed("SRUres00001.jrs", Read("srum-win10-clean-with-logs", "SRUres00001.jrs"), [.. HeaderFields(0)], [], 4096),
            new Seed("noise.bin", noise, [.. HeaderFields(0)], [], 4096),
        ];
    }

    private static Seed Database(string name, byte[] bytes, int pageSize)
    {
        var fields = new List<(int, int)>();
        fields.AddRange(HeaderFields(0));
        fields.AddRange(HeaderFields(pageSize));
        fields.Add((236, 4));
        fields.Add((pageSize + 236, 4));
        for (var p = 2; p < Math.Min(bytes.Length / pageSize, 8); p++)
        {
            // Page header fields: checksum, dbtime, siblings, objid, sizes, tags, flags, large-page block sums and pgno.
            foreach (var (o, w) in new[] { (0, 8), (8, 8), (16, 4), (20, 4), (24, 4), (28, 2), (32, 2), (34, 2), (36, 4), (40, 8), (48, 8), (56, 8), (64, 4) })
            {
                fields.Add(((p * pageSize) + o, w));
            }
        }

        // The last page too: the trailer test looks there.
        fields.Add((bytes.Length - pageSize, 8));
        fields.Add((bytes.Length - pageSize + 24, 4));
        return new Seed(name, bytes, [.. fields], [0, pageSize], pageSize);
    }

    private static Seed Log(string name, byte[] bytes, bool v8)
    {
        var fields = new List<(int, int)>(HeaderFields(0))
        {
            (4, 4), (8, 2), (10, 2), (12, 2), (14, 2), (16, 8), (24, 8), (32, 4), (36, 4), (40, 4), (639, 1), (640, 8), (648, 4), (653, 8), (671, 1), (673, 2), (735, 2),
        };
        if (v8)
        {
            for (var s = 1; s < bytes.Length / 4096; s++)
            {
                fields.Add(((s * 4096) + 0, 8));
                fields.Add(((s * 4096) + 8, 8));
                fields.Add(((s * 4096) + 36, 4));
            }
        }
        else
        {
            // LRCHECKSUM fields of the first records.
            foreach (var o in new[] { 4096, 4096 + 1, 4096 + 5, 4096 + 9, 4096 + 13 })
            {
                fields.Add((o, o == 4096 ? 1 : 4));
            }
        }

        return new Seed(name, bytes, [.. fields], [0], 4096);
    }

    private static Seed Checkpoint(string name, byte[] bytes)
    {
        var fields = new List<(int, int)>(HeaderFields(0));
        fields.AddRange(HeaderFields(4096));
        fields.AddRange([(12, 8), (20, 28), (615, 8), (631, 8), (647, 1), (679, 1), (681, 2), (4096 + 12, 8)]);
        return new Seed(name, bytes, [.. fields], [0, 4096], 4096);
    }

    // Every 4-byte field of a 748-byte header area, plus the file type at 667 (unaligned).
    private static IEnumerable<(int Offset, int Width)> HeaderFields(int start)
    {
        for (var o = 0; o < 748; o += 4)
        {
            yield return (start + o, 4);
        }

        yield return (start + 667, 4);
    }

    private sealed record Seed(string Name, byte[] Bytes, (int Offset, int Width)[] Fields, int[] ChecksummedBlocks, int HeaderBlockSize);
}
