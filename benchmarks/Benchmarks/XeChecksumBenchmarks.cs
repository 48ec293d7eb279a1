using BenchmarkDotNet.Attributes;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Benchmarks;

/// <summary>The XE block checksum alone: the vector path against the one-dword-at-a-time reference algorithm.</summary>
public class XeChecksumBenchmarks
{
    private byte[] _block = [];

    /// <summary>Block size (one small page).</summary>
    [Params(4096, 8192)]
    public int PageSize { get; set; }

    /// <summary>A random block.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _block = new byte[PageSize];
        new Random(1).NextBytes(_block);
    }

    /// <summary>Vectorised checksum.</summary>
    [Benchmark(Baseline = true)]
    public ulong Vector() => XeChecksum.Compute(_block, 7, headerBlock: true);

    /// <summary>Reference (scalar) checksum.</summary>
    [Benchmark]
    public ulong Reference() => XeChecksum.ComputeReference(_block, 7, headerBlock: true);
}
