using BenchmarkDotNet.Attributes;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Benchmarks;

/// <summary>
/// Whole-file verification of a large synthetic database (8 KiB XE pages): from disk through
/// <see cref="EseFileVerifier"/> (after the first run the file is in the page cache, so this measures the
/// verifier, not the disk), and the streaming verifier alone over the same bytes in memory.
/// </summary>
public class FileVerificationBenchmarks
{
    private string _directory = string.Empty;
    private string _database = string.Empty;
    private byte[] _image = [];

    /// <summary>Size of the database file in MiB.</summary>
    [Params(1024)]
    public int FileMiB { get; set; }

    /// <summary>Generates the database (and loads a copy for the in-memory case).</summary>
    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("ese-bench-").FullName;
        var set = SyntheticEseSet.Create(_directory, new SyntheticEseOptions
        {
            PageSize = 8192,
            DatabaseSize = (long)FileMiB << 20,
            LogGenerations = 1,
            UninitializedPageFraction = 0.1,
        });
        _database = set.Databases[0].Path;
        _image = File.ReadAllBytes(_database);
    }

    /// <summary>Removes the generated files.</summary>
    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    /// <summary>Reads the file with 1 MiB reads and verifies it.</summary>
    [Benchmark]
    public async Task<long> VerifyFileFromDisk() => (await EseFileVerifier.VerifyAsync(_database)).UnitsChecked;

    /// <summary>The streaming verifier over the file's bytes in memory, in 1 MiB chunks.</summary>
    [Benchmark]
    public long VerifyStreamInMemory()
    {
        var verifier = EseStreamVerifier.Create(_database, "database1.edb", _image.Length, _image.AsSpan(0, EseFileSniffer.HeadSize));
        for (var offset = 0; offset < _image.Length; offset += 1 << 20)
        {
            verifier.Process(_image.AsSpan(offset, Math.Min(1 << 20, _image.Length - offset)));
        }

        return verifier.Complete().UnitsChecked;
    }
}
