using System.Buffers.Binary;
using CsCheck;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>The XOR and XE checksums against the worked examples of the format reference (§2, §4.8) and against each other.</summary>
public class ChecksumTests
{
    [Fact]
    public void Xor_checksum_matches_the_reference_header_example()
    {
        // §2: all zero except the magic at 4 and 4096 at 236 -> checksum 0x00001000.
        var header = new byte[4096];
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), 0x89ABCDEF);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(236), 4096);

        Assert.Equal(0x00001000u, XorChecksum.Compute(header));
    }

    [Fact]
    public void Xor_checksum_ignores_the_stored_dword_and_covers_the_rest()
    {
        var block = new byte[4096];
        Assert.Equal(XorChecksum.Seed, XorChecksum.Compute(block));
        block[0] = 0xFF;
        Assert.Equal(XorChecksum.Seed, XorChecksum.Compute(block));
        block[4095] = 0x80;
        Assert.Equal(XorChecksum.Seed ^ 0x80000000u, XorChecksum.Compute(block));
    }

    [Fact]
    public void Xe_checksum_matches_worked_example_A()
    {
        var page = ExampleAPage();
        Assert.Equal(0x020D020D00002000UL, XeChecksum.Compute(page, 1, headerBlock: true));
        Assert.Equal(0x020D020D00002000UL, XeChecksum.ComputeReference(page, 1, headerBlock: true));

        // Stored little-endian at offset 0 as 00 20 00 00 0D 02 0D 02.
        PageChecksum.Stamp(page, 1, PageChecksumKind.Xe);
        Assert.Equal(new byte[] { 0x00, 0x20, 0x00, 0x00, 0x0D, 0x02, 0x0D, 0x02 }, page[..8]);
        Assert.Equal(PageCheckStatus.Valid, PageChecksum.Verify(page, 1).Status);
    }

    [Fact]
    public void Xe_checksum_example_A_checked_as_page_2_is_diagnosed_as_page_1()
    {
        var page = ExampleAPage();
        PageChecksum.Stamp(page, 1, PageChecksumKind.Xe);

        Assert.Equal(0x020D020D00002003UL, XeChecksum.Compute(page, 2, headerBlock: true));
        var check = PageChecksum.Verify(page, 2);
        Assert.Equal(PageCheckStatus.PageNumberMismatch, check.Status);
        Assert.Equal(1u, check.BelongsToPage);
    }

    [Fact]
    public void Xe_checksum_example_A_single_bit_flip_is_correctable_at_bit_1605()
    {
        var page = ExampleAPage();
        PageChecksum.Stamp(page, 1, PageChecksumKind.Xe);
        page[200] ^= 1 << 5;

        Assert.Equal(0x7BB7044800002020UL, XeChecksum.Compute(page, 1, headerBlock: true));
        var diagnosis = XeChecksum.Diagnose(0x020D020D00002000UL, 0x7BB7044800002020UL, 4096, 1, XeChecksum.FormatFlagBit);
        Assert.True(diagnosis.IsCorrectable);
        Assert.Equal(1605, diagnosis.BitOffset);

        var check = PageChecksum.Verify(page, 1);
        Assert.Equal(PageCheckStatus.ChecksumMismatch, check.Status);
        Assert.Equal(1605L, check.CorrectableBit);
    }

    [Fact]
    public void Xe_checksum_matches_worked_example_B_log_segment()
    {
        var segment = new byte[4096];
        new LogPosition(0, 1, 42).Write(segment.AsSpan(8));
        BinaryPrimitives.WriteUInt32LittleEndian(segment.AsSpan(36), 0x2000);

        Assert.Equal(0x7EE5011A0001202BUL, XeChecksum.Compute(segment, 1, headerBlock: true));
        Assert.Equal(0x7EE5011A0001202BUL, XeChecksum.ComputeReference(segment, 1, headerBlock: true));
    }

    [Theory]
    [InlineData(512)]
    [InlineData(2048)]
    [InlineData(4096)]
    [InlineData(8192)]
    public void Vector_xe_equals_the_reference_algorithm_on_random_blocks(int size)
    {
        Gen.Select(Gen.Byte.Array[size], Gen.UInt, Gen.Bool).Sample(
            (block, pgno, header) => Assert.Equal(
                XeChecksum.ComputeReference(block, pgno, header),
                XeChecksum.Compute(block, pgno, header)),
            iter: 300,
            threads: 1);
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    [InlineData(512)]
    public void Every_vector_width_equals_the_reference_algorithm(int vectorBits)
    {
        // The machine picks one width; the others run here as software vectors, so each is checked on any machine.
        Gen.Select(Gen.Int[9, 13].Select(bits => 1 << bits).SelectMany(size => Gen.Byte.Array[size]), Gen.UInt, Gen.Bool).Sample(
            (block, pgno, header) => Assert.Equal(
                XeChecksum.ComputeReference(block, pgno, header),
                XeChecksum.ComputeFolded(block, pgno, header, vectorBits)),
            iter: 200,
            threads: 1);
    }

    [Fact]
    public void Vector_xor_equals_a_plain_loop_on_random_lengths()
    {
        Gen.Int[1, 3000].SelectMany(n => Gen.Byte.Array[n * 4]).Sample(
            data =>
            {
                var expected = XorChecksum.Seed;
                for (var i = 4; i < data.Length; i += 4)
                {
                    expected ^= BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(i));
                }

                Assert.Equal(expected, XorChecksum.Compute(data));
            },
            iter: 300,
            threads: 1);
    }

    [Theory]
    [InlineData(4096)]
    [InlineData(8192)]
    public void Any_single_bit_flip_outside_the_checksum_is_located_by_ecc(int size)
    {
        Gen.Select(Gen.Byte.Array[size], Gen.Int[64, (size * 8) - 1]).Sample(
            (block, bit) =>
            {
                var stored = XeChecksum.Compute(block, 7, headerBlock: true);
                block[bit / 8] ^= (byte)(1 << (bit % 8));
                var computed = XeChecksum.Compute(block, 7, headerBlock: true);
                var diagnosis = XeChecksum.Diagnose(stored, computed, size, 7, protectedBit: -1);
                Assert.True(diagnosis.IsCorrectable);
                Assert.Equal(bit, diagnosis.BitOffset);
            },
            iter: 500,
            threads: 1);
    }

    [Fact]
    public void Ecc_never_blames_the_format_flag_bit()
    {
        var page = ExampleAPage();
        var stored = XeChecksum.Compute(page, 1, headerBlock: true);
        page[37] ^= 0x20;
        var computed = XeChecksum.Compute(page, 1, headerBlock: true);

        Assert.False(XeChecksum.Diagnose(stored, computed, 4096, 1, XeChecksum.FormatFlagBit).IsCorrectable);
    }

    [Fact]
    public void Xe_rejects_unsupported_block_sizes()
    {
        Assert.Throws<ArgumentException>(() => XeChecksum.Compute(new byte[3000], 0, false));
        Assert.Throws<ArgumentException>(() => XeChecksum.Compute(new byte[16384], 0, false));
    }

    [Fact]
    public void Legacy_page_checksum_includes_the_stored_page_number()
    {
        var page = new byte[4096];
        page[100] = 0x42;
        PageChecksum.Stamp(page, 9, PageChecksumKind.LegacyXor);

        Assert.Equal(9u, BinaryPrimitives.ReadUInt32LittleEndian(page.AsSpan(4)));
        Assert.Equal(PageCheckStatus.Valid, PageChecksum.Verify(page, 9).Status);
        var moved = PageChecksum.Verify(page, 10);
        Assert.Equal(PageCheckStatus.PageNumberMismatch, moved.Status);
        Assert.Equal(9u, moved.BelongsToPage);
    }

    [Theory]
    [InlineData(16384)]
    [InlineData(32768)]
    public void Large_pages_carry_four_block_checksums_and_their_page_number(int size)
    {
        var page = new byte[size];
        new Random(size).NextBytes(page.AsSpan(80));
        PageHeader.WriteFields(page, 5, 0, 0, 3, 10, 100, 2, PageFlags.Leaf | PageFlags.NewChecksumFormat, 33);
        PageChecksum.Stamp(page, 33, PageChecksumKind.Xe);

        Assert.Equal(PageCheckStatus.Valid, PageChecksum.Verify(page, 33).Status);
        var header = PageHeader.Read(page, size);
        Assert.Equal(33u, header.StoredPageNumber);
        var block = size / 4;
        Assert.Equal(XeChecksum.ComputeReference(page.AsSpan(3 * block, block), 33, false), header.Block3Checksum);

        page[(3 * block) + 17] ^= 4;
        var damaged = PageChecksum.Verify(page, 33);
        Assert.Equal(PageCheckStatus.ChecksumMismatch, damaged.Status);
        Assert.Equal(3, damaged.FailedBlock);
        Assert.Equal((((3L * block) + 17) * 8) + 2, damaged.CorrectableBit);
    }

    [Fact]
    public void All_zero_page_is_uninitialised_not_checksummed()
    {
        Assert.Equal(PageCheckStatus.Uninitialized, PageChecksum.Verify(new byte[8192], 5).Status);
    }

    private static byte[] ExampleAPage()
    {
        // §4.8 A: fFlags = 0x2000 at offset 36 and byte 100 = 0x01, everything else zero.
        var page = new byte[4096];
        BinaryPrimitives.WriteUInt32LittleEndian(page.AsSpan(36), 0x2000);
        page[100] = 0x01;
        return page;
    }
}
