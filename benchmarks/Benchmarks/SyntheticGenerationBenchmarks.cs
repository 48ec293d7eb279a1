using BenchmarkDotNet.Attributes;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Benchmarks;

/// <summary>How fast the synthetic generator writes a large database (page contents, checksums and the file writes).</summary>
public class SyntheticGenerationBenchmarks
{
    private string _directory = string.Empty;

    /// <summary>Size of the database file in MiB.</summary>
    [Params(512)]
    public int FileMiB { get; set; }

    /// <summary>A scratch directory.</summary>
    [GlobalSetup]
    public void Setup() => _directory = Directory.CreateTempSubdirectory("ese-gen-").FullName;

    /// <summary>Removes it.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>Writes one database of <see cref="FileMiB"/> MiB (8 KiB XE pages) and one log generation.</summary>
    [Benchmark]
    public long Generate() => SyntheticEseSet.Create(_directory, new SyntheticEseOptions
    {
        PageSize = 8192,
        DatabaseSize = (long)FileMiB << 20,
        LogGenerations = 1,
    }).Databases[0].DataPages;
}
