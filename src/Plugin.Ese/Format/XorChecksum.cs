using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// ESE's legacy 32-bit "short" checksum: seed <c>0x89ABCDEF</c> XOR every little-endian dword of a region except
/// dword 0, which holds the stored value. Headers (database, log, checkpoint, flush map), the streaming-backup
/// trailer page and pre-2004 database pages use it, always over the whole page or block including padding.
/// </summary>
internal static class XorChecksum
{
    /// <summary>The seed; also the database header magic, which is why a valid header's checksum ignores it.</summary>
    public const uint Seed = 0x89ABCDEF;

    /// <summary>Computes the checksum of <paramref name="region"/> (a whole number of dwords, at least one).</summary>
    /// <exception cref="ArgumentException">The length is not a positive multiple of 4.</exception>
    public static uint Compute(ReadOnlySpan<byte> region)
    {
        if (region.Length < 4 || (region.Length & 3) != 0)
        {
            throw new ArgumentException("The region must be a positive whole number of dwords.", nameof(region));
        }

        // XOR everything, then take dword 0 back out: cheaper than splitting the vector loop.
        return Seed ^ XorDwords(region) ^ BinaryPrimitives.ReadUInt32LittleEndian(region);
    }

    /// <summary>The value stored in dword 0.</summary>
    public static uint ReadStored(ReadOnlySpan<byte> region) => BinaryPrimitives.ReadUInt32LittleEndian(region);

    /// <summary>True when the stored value equals the computed one.</summary>
    public static bool IsValid(ReadOnlySpan<byte> region) => Compute(region) == ReadStored(region);

    /// <summary>Computes the checksum and stores it in dword 0.</summary>
    public static void Stamp(Span<byte> region) => BinaryPrimitives.WriteUInt32LittleEndian(region, Compute(region));

    /// <summary>XOR of every little-endian dword of <paramref name="data"/> (length a multiple of 4).</summary>
    internal static uint XorDwords(ReadOnlySpan<byte> data)
    {
        if (!BitConverter.IsLittleEndian)
        {
            var acc = 0u;
            for (var i = 0; i + 4 <= data.Length; i += 4)
            {
                acc ^= BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            }

            return acc;
        }

        ref var start = ref MemoryMarshal.GetReference(data);
        var length = data.Length;
        var offset = 0;
        ulong folded = 0;
        if (Vector512.IsHardwareAccelerated && length >= 256)
        {
            var a = Vector512<byte>.Zero;
            var b = Vector512<byte>.Zero;
            var c = Vector512<byte>.Zero;
            var d = Vector512<byte>.Zero;
            for (; offset + 256 <= length; offset += 256)
            {
                a ^= Vector512.LoadUnsafe(ref start, (nuint)offset);
                b ^= Vector512.LoadUnsafe(ref start, (nuint)(offset + 64));
                c ^= Vector512.LoadUnsafe(ref start, (nuint)(offset + 128));
                d ^= Vector512.LoadUnsafe(ref start, (nuint)(offset + 192));
            }

            var v = (a ^ b ^ c ^ d).AsUInt64();
            var half = v.GetLower() ^ v.GetUpper();
            var quarter = half.GetLower() ^ half.GetUpper();
            folded = quarter.GetElement(0) ^ quarter.GetElement(1);
        }
        else if (Vector256.IsHardwareAccelerated && length >= 128)
        {
            var a = Vector256<byte>.Zero;
            var b = Vector256<byte>.Zero;
            var c = Vector256<byte>.Zero;
            var d = Vector256<byte>.Zero;
            for (; offset + 128 <= length; offset += 128)
            {
                a ^= Vector256.LoadUnsafe(ref start, (nuint)offset);
                b ^= Vector256.LoadUnsafe(ref start, (nuint)(offset + 32));
                c ^= Vector256.LoadUnsafe(ref start, (nuint)(offset + 64));
                d ^= Vector256.LoadUnsafe(ref start, (nuint)(offset + 96));
            }

            var v = (a ^ b ^ c ^ d).AsUInt64();
            var half = v.GetLower() ^ v.GetUpper();
            folded = half.GetElement(0) ^ half.GetElement(1);
        }

        for (; offset + 8 <= length; offset += 8)
        {
            folded ^= Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset));
        }

        var result = (uint)folded ^ (uint)(folded >> 32);
        for (; offset + 4 <= length; offset += 4)
        {
            result ^= Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset));
        }

        return result;
    }
}
