using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Samples;

/// <summary>
/// A small, fast, fully specified pseudo-random generator (SplitMix64). Synthetic files must be byte-identical for a
/// given seed on every runtime, which <see cref="Random"/> with a seed does not promise.
/// </summary>
internal struct SplitMix64
{
    private ulong _state;

    public SplitMix64(ulong seed)
    {
        _state = seed;
    }

    /// <summary>A generator for one item of a larger structure: mixes the parts into one seed.</summary>
    public static SplitMix64 For(ulong seed, ulong a, ulong b = 0, ulong c = 0)
    {
        var g = new SplitMix64(seed ^ 0x9E3779B97F4A7C15UL);
        var s = g.Next() ^ a;
        g = new SplitMix64(s);
        s = g.Next() ^ b;
        g = new SplitMix64(s);
        return new SplitMix64(g.Next() ^ c);
    }

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A value in [0, bound).</summary>
    public int NextInt(int bound) => (int)(Next() % (ulong)bound);

    /// <summary>A value in [0, 1).</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Fills a span with pseudo-random bytes.</summary>
    public void Fill(Span<byte> destination)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(destination);
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = Next();
        }

        var tail = destination[(words.Length * 8)..];
        if (tail.Length > 0)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(last, Next());
            last[..tail.Length].CopyTo(tail);
        }
    }
}
