using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// ESE's 64-bit "XE" block checksum (XOR + ECC), used for database pages since format 0x620,0x0B and for v8 log
/// segments. Low dword: XOR of the block's dwords, XOR the page number. High dword: a Hamming-style code built from
/// row parities (one row per dword) and column parities (one column per bit), which can locate a single flipped bit.
/// </summary>
/// <remarks>
/// The code needs, besides the XOR of all dwords (<c>colPar</c>), the XOR of the indices of the dwords with odd
/// parity (<c>p</c>). Bit <c>k</c> of <c>p</c> is the parity of the XOR of all dwords whose index has bit <c>k</c>
/// set, so <c>p</c> comes from a handful of vector XOR accumulators without a per-dword popcount. The complemented
/// halves (<c>q</c>, <c>s</c>) only depend on whether the number of odd rows is odd, which is the parity of
/// <c>colPar</c>.
/// </remarks>
internal static class XeChecksum
{
    /// <summary>Largest block the code supports: the row index must fit the 11 bits of the ECC layout.</summary>
    public const int MaxBlockSize = 8192;

    /// <summary>Bit offset, inside a header block, of the "new checksum format" flag (byte 37, bit 5). ECC never blames it.</summary>
    public const int FormatFlagBit = (37 * 8) + 5;

    /// <summary>Computes the checksum of one block.</summary>
    /// <param name="block">The block: a power of two between 64 and 8192 bytes.</param>
    /// <param name="pageNumber">Number mixed into the low dword (page number, or segment index for logs).</param>
    /// <param name="headerBlock">True for the block that starts with the 8-byte stored checksum, which then counts as zero.</param>
    /// <exception cref="ArgumentException">The block size is not supported.</exception>
    public static ulong Compute(ReadOnlySpan<byte> block, uint pageNumber, bool headerBlock)
    {
        ValidateLength(block.Length);
        if (!BitConverter.IsLittleEndian || block.Length < 512)
        {
            return ComputeReference(block, pageNumber, headerBlock);
        }

        // The widest vectors the hardware runs natively. Vector128 matters: it is all that Arm64 (win-arm64) and a
        // Native AOT build for the baseline x64 ISA have, where the per-dword reference loop is several times slower.
        var width = Vector512.IsHardwareAccelerated ? 512
            : Vector256.IsHardwareAccelerated ? 256
            : Vector128.IsHardwareAccelerated ? 128
            : 0;
        return width == 0 ? ComputeReference(block, pageNumber, headerBlock) : ComputeFolded(block, pageNumber, headerBlock, width);
    }

    /// <summary>
    /// <see cref="Compute"/> with vectors of <paramref name="vectorBits"/> (128, 256 or 512) whether or not the hardware
    /// accelerates them (software vectors give the same result, slowly): lets tests check every width on any machine.
    /// </summary>
    internal static ulong ComputeFolded(ReadOnlySpan<byte> block, uint pageNumber, bool headerBlock, int vectorBits)
    {
        ValidateLength(block.Length);
        ArgumentOutOfRangeException.ThrowIfLessThan(block.Length, 512);
        var (colPar, p) = vectorBits switch
        {
            512 => Fold512(block),
            256 => Fold256(block),
            128 => Fold128(block),
            _ => throw new ArgumentOutOfRangeException(nameof(vectorBits), vectorBits, "128, 256 or 512."),
        };
        if (headerBlock)
        {
            // Take the stored checksum (dwords 0 and 1) back out. Dword 0 has row index 0 and so never touches p;
            // dword 1 flips bit 0 of p when its parity is odd.
            var d0 = BinaryPrimitives.ReadUInt32LittleEndian(block);
            var d1 = BinaryPrimitives.ReadUInt32LittleEndian(block[4..]);
            colPar ^= d0 ^ d1;
            p ^= (uint)BitOperations.PopCount(d1) & 1;
        }

        return Assemble(colPar, p, block.Length, pageNumber);
    }

    /// <summary>
    /// The algorithm exactly as written in the format reference (one dword at a time). Kept as the oracle the
    /// vector paths are tested against, and used where no vector hardware exists.
    /// </summary>
    internal static ulong ComputeReference(ReadOnlySpan<byte> block, uint pageNumber, bool headerBlock)
    {
        ValidateLength(block.Length);
        var rows = block.Length / 4;
        var rowMask = (uint)(rows - 1);
        uint colPar = 0, p = 0, q = 0;
        for (var i = headerBlock ? 2 : 0; i < rows; i++)
        {
            var d = BinaryPrimitives.ReadUInt32LittleEndian(block[(i * 4)..]);
            colPar ^= d;
            if ((BitOperations.PopCount(d) & 1) != 0)
            {
                p ^= (uint)i;
                q ^= ~(uint)i;
            }
        }

        uint r = 0, s = 0;
        for (var j = 0u; j < 32; j++)
        {
            if (((colPar >> (int)j) & 1) != 0)
            {
                r ^= j;
                s ^= ~j;
            }
        }

        var ecc = ((q & rowMask) << 21) | ((s & 31) << 16) | ((p & rowMask) << 5) | (r & 31);
        return ((ulong)ecc << 32) | (colPar ^ pageNumber);
    }

    /// <summary>The ECC half of a checksum.</summary>
    public static uint EccOf(ulong checksum) => (uint)(checksum >> 32);

    /// <summary>The XOR half of a checksum.</summary>
    public static uint XorOf(ulong checksum) => (uint)checksum;

    /// <summary>
    /// Explains a mismatch the way ESE does: whether one flipped bit explains it (and which), or whether the block
    /// is intact but was written for another page number.
    /// </summary>
    /// <param name="stored">Checksum stored in the file.</param>
    /// <param name="computed">Checksum computed over the block as read.</param>
    /// <param name="blockSize">Block size in bytes.</param>
    /// <param name="pageNumber">The page number used for <paramref name="computed"/>.</param>
    /// <param name="protectedBit">A bit offset ECC must not blame (the format flag in header blocks), or -1.</param>
    public static XeMismatch Diagnose(ulong stored, ulong computed, int blockSize, uint pageNumber, int protectedBit)
    {
        if (stored == computed)
        {
            return default;
        }

        var diffEcc = EccOf(stored) ^ EccOf(computed);
        var diffXor = XorOf(stored) ^ XorOf(computed);
        if (diffEcc == 0)
        {
            // Same data pattern, different page number mixed in: the block belongs to another page.
            return new XeMismatch(false, -1, XorOf(stored) ^ XorOf(computed) ^ pageNumber);
        }

        var bits = (uint)blockSize * 8;
        var mask = bits - 1;
        if ((((diffEcc >> 16) ^ diffEcc) & mask) == mask && BitOperations.PopCount(diffXor) == 1)
        {
            var bit = (int)(diffEcc & 0xFFFF);
            if (bit < bits && bit != protectedBit)
            {
                return new XeMismatch(true, bit, null);
            }
        }

        return new XeMismatch(false, -1, null);
    }

    private static ulong Assemble(uint colPar, uint p, int length, uint pageNumber)
    {
        var rowMask = (uint)((length / 4) - 1);
        var oddRows = (BitOperations.PopCount(colPar) & 1) != 0;
        var q = oddRows ? ~p : p;

        // r = XOR of the positions of colPar's set bits; bit m of r is the parity of the set bits whose position has bit m.
        var r = Parity(colPar & 0xAAAAAAAA)
            | (Parity(colPar & 0xCCCCCCCC) << 1)
            | (Parity(colPar & 0xF0F0F0F0) << 2)
            | (Parity(colPar & 0xFF00FF00) << 3)
            | (Parity(colPar & 0xFFFF0000) << 4);
        var s = oddRows ? ~r : r;
        var ecc = ((q & rowMask) << 21) | ((s & 31) << 16) | ((p & rowMask) << 5) | (r & 31);
        return ((ulong)ecc << 32) | (colPar ^ pageNumber);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Parity(uint x) => (uint)BitOperations.PopCount(x) & 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Parity(ulong x) => (uint)BitOperations.PopCount(x) & 1;

    private static void ValidateLength(int length)
    {
        if (length < 64 || length > MaxBlockSize || !BitOperations.IsPow2(length))
        {
            throw new ArgumentException("An XE block is a power of two between 64 and 8192 bytes.", nameof(length));
        }
    }

    private static uint HorizontalXorParity(Vector512<uint> v)
    {
        var x = v.AsUInt64();
        var h = x.GetLower() ^ x.GetUpper();
        var q = h.GetLower() ^ h.GetUpper();
        return Parity(q.GetElement(0) ^ q.GetElement(1));
    }

    private static uint HorizontalXorParity(Vector128<uint> v)
    {
        var x = v.AsUInt64();
        return Parity(x.GetElement(0) ^ x.GetElement(1));
    }

    private static uint HorizontalXorParity(Vector256<uint> v)
    {
        var x = v.AsUInt64();
        var h = x.GetLower() ^ x.GetUpper();
        return Parity(h.GetElement(0) ^ h.GetElement(1));
    }

    // 16 dwords per vector: row index bits 0-3 are the lane, bits 4-6 the vector inside a group of eight,
    // bits 7 and up the group.
    private static (uint ColPar, uint P) Fold512(ReadOnlySpan<byte> block)
    {
        ref var start = ref MemoryMarshal.GetReference(block);
        var groups = block.Length >> 9;
        Span<Vector512<uint>> groupTotals = stackalloc Vector512<uint>[groups];
        var total = Vector512<uint>.Zero;
        var a0 = Vector512<uint>.Zero;
        var a1 = Vector512<uint>.Zero;
        var a2 = Vector512<uint>.Zero;
        for (var g = 0; g < groups; g++)
        {
            var o = (nuint)(g << 9);
            var v0 = Vector512.LoadUnsafe(ref start, o).AsUInt32();
            var v1 = Vector512.LoadUnsafe(ref start, o + 64).AsUInt32();
            var v2 = Vector512.LoadUnsafe(ref start, o + 128).AsUInt32();
            var v3 = Vector512.LoadUnsafe(ref start, o + 192).AsUInt32();
            var v4 = Vector512.LoadUnsafe(ref start, o + 256).AsUInt32();
            var v5 = Vector512.LoadUnsafe(ref start, o + 320).AsUInt32();
            var v6 = Vector512.LoadUnsafe(ref start, o + 384).AsUInt32();
            var v7 = Vector512.LoadUnsafe(ref start, o + 448).AsUInt32();
            var x01 = v0 ^ v1;
            var x23 = v2 ^ v3;
            var x45 = v4 ^ v5;
            var x67 = v6 ^ v7;
            var b2 = x45 ^ x67;
            var gt = x01 ^ x23 ^ b2;
            a0 ^= v1 ^ v3 ^ v5 ^ v7;
            a1 ^= x23 ^ x67;
            a2 ^= b2;
            total ^= gt;
            groupTotals[g] = gt;
        }

        Span<uint> lanes = stackalloc uint[16];
        total.CopyTo(lanes);
        uint colPar = 0, p = 0;
        for (var l = 0; l < 16; l++)
        {
            colPar ^= lanes[l];
        }

        for (var k = 0; k < 4; k++)
        {
            uint x = 0;
            for (var l = 0; l < 16; l++)
            {
                if (((l >> k) & 1) != 0)
                {
                    x ^= lanes[l];
                }
            }

            p |= Parity(x) << k;
        }

        p |= HorizontalXorParity(a0) << 4;
        p |= HorizontalXorParity(a1) << 5;
        p |= HorizontalXorParity(a2) << 6;
        for (var j = 0; (1 << j) < groups; j++)
        {
            var acc = Vector512<uint>.Zero;
            for (var g = 0; g < groups; g++)
            {
                if (((g >> j) & 1) != 0)
                {
                    acc ^= groupTotals[g];
                }
            }

            p |= HorizontalXorParity(acc) << (7 + j);
        }

        return (colPar, p);
    }

    // 8 dwords per vector: row index bits 0-2 are the lane, bits 3-5 the vector inside a group of eight,
    // bits 6 and up the group.
    private static (uint ColPar, uint P) Fold256(ReadOnlySpan<byte> block)
    {
        ref var start = ref MemoryMarshal.GetReference(block);
        var groups = block.Length >> 8;
        Span<Vector256<uint>> groupTotals = stackalloc Vector256<uint>[groups];
        var total = Vector256<uint>.Zero;
        var a0 = Vector256<uint>.Zero;
        var a1 = Vector256<uint>.Zero;
        var a2 = Vector256<uint>.Zero;
        for (var g = 0; g < groups; g++)
        {
            var o = (nuint)(g << 8);
            var v0 = Vector256.LoadUnsafe(ref start, o).AsUInt32();
            var v1 = Vector256.LoadUnsafe(ref start, o + 32).AsUInt32();
            var v2 = Vector256.LoadUnsafe(ref start, o + 64).AsUInt32();
            var v3 = Vector256.LoadUnsafe(ref start, o + 96).AsUInt32();
            var v4 = Vector256.LoadUnsafe(ref start, o + 128).AsUInt32();
            var v5 = Vector256.LoadUnsafe(ref start, o + 160).AsUInt32();
            var v6 = Vector256.LoadUnsafe(ref start, o + 192).AsUInt32();
            var v7 = Vector256.LoadUnsafe(ref start, o + 224).AsUInt32();
            var x01 = v0 ^ v1;
            var x23 = v2 ^ v3;
            var x45 = v4 ^ v5;
            var x67 = v6 ^ v7;
            var b2 = x45 ^ x67;
            var gt = x01 ^ x23 ^ b2;
            a0 ^= v1 ^ v3 ^ v5 ^ v7;
            a1 ^= x23 ^ x67;
            a2 ^= b2;
            total ^= gt;
            groupTotals[g] = gt;
        }

        Span<uint> lanes = stackalloc uint[8];
        total.CopyTo(lanes);
        uint colPar = 0, p = 0;
        for (var l = 0; l < 8; l++)
        {
            colPar ^= lanes[l];
        }

        for (var k = 0; k < 3; k++)
        {
            uint x = 0;
            for (var l = 0; l < 8; l++)
            {
                if (((l >> k) & 1) != 0)
                {
                    x ^= lanes[l];
                }
            }

            p |= Parity(x) << k;
        }

        p |= HorizontalXorParity(a0) << 3;
        p |= HorizontalXorParity(a1) << 4;
        p |= HorizontalXorParity(a2) << 5;
        for (var j = 0; (1 << j) < groups; j++)
        {
            var acc = Vector256<uint>.Zero;
            for (var g = 0; g < groups; g++)
            {
                if (((g >> j) & 1) != 0)
                {
                    acc ^= groupTotals[g];
                }
            }

            p |= HorizontalXorParity(acc) << (6 + j);
        }

        return (colPar, p);
    }

    // 4 dwords per vector: row index bits 0-1 are the lane, bits 2-4 the vector inside a group of eight,
    // bits 5 and up the group.
    private static (uint ColPar, uint P) Fold128(ReadOnlySpan<byte> block)
    {
        ref var start = ref MemoryMarshal.GetReference(block);
        var groups = block.Length >> 7;
        Span<Vector128<uint>> groupTotals = stackalloc Vector128<uint>[groups];
        var total = Vector128<uint>.Zero;
        var a0 = Vector128<uint>.Zero;
        var a1 = Vector128<uint>.Zero;
        var a2 = Vector128<uint>.Zero;
        for (var g = 0; g < groups; g++)
        {
            var o = (nuint)(g << 7);
            var v0 = Vector128.LoadUnsafe(ref start, o).AsUInt32();
            var v1 = Vector128.LoadUnsafe(ref start, o + 16).AsUInt32();
            var v2 = Vector128.LoadUnsafe(ref start, o + 32).AsUInt32();
            var v3 = Vector128.LoadUnsafe(ref start, o + 48).AsUInt32();
            var v4 = Vector128.LoadUnsafe(ref start, o + 64).AsUInt32();
            var v5 = Vector128.LoadUnsafe(ref start, o + 80).AsUInt32();
            var v6 = Vector128.LoadUnsafe(ref start, o + 96).AsUInt32();
            var v7 = Vector128.LoadUnsafe(ref start, o + 112).AsUInt32();
            var x01 = v0 ^ v1;
            var x23 = v2 ^ v3;
            var x45 = v4 ^ v5;
            var x67 = v6 ^ v7;
            var b2 = x45 ^ x67;
            var gt = x01 ^ x23 ^ b2;
            a0 ^= v1 ^ v3 ^ v5 ^ v7;
            a1 ^= x23 ^ x67;
            a2 ^= b2;
            total ^= gt;
            groupTotals[g] = gt;
        }

        var l0 = total.GetElement(0);
        var l1 = total.GetElement(1);
        var l2 = total.GetElement(2);
        var l3 = total.GetElement(3);
        var colPar = l0 ^ l1 ^ l2 ^ l3;
        var p = Parity(l1 ^ l3) | (Parity(l2 ^ l3) << 1);
        p |= HorizontalXorParity(a0) << 2;
        p |= HorizontalXorParity(a1) << 3;
        p |= HorizontalXorParity(a2) << 4;
        for (var j = 0; (1 << j) < groups; j++)
        {
            var acc = Vector128<uint>.Zero;
            for (var g = 0; g < groups; g++)
            {
                if (((g >> j) & 1) != 0)
                {
                    acc ^= groupTotals[g];
                }
            }

            p |= HorizontalXorParity(acc) << (5 + j);
        }

        return (colPar, p);
    }
}

/// <summary>What a checksum mismatch of one XE block means.</summary>
/// <param name="IsCorrectable">One flipped bit explains the mismatch (ESE could repair it).</param>
/// <param name="BitOffset">That bit's offset from the start of the block, or -1.</param>
/// <param name="BelongsToPage">When the block is intact but carries another page number: that number.</param>
internal readonly record struct XeMismatch(bool IsCorrectable, int BitOffset, uint? BelongsToPage);
