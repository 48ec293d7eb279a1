using System.IO.Compression;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>
/// The real Windows-written files under <c>../shared/testdata/ese</c>, with the facts <c>SOURCES.md</c> states about
/// each (kind, page size, state, format, generation). Tests compare our parse against these independent facts.
/// </summary>
internal static class RealFiles
{
    private static readonly Lazy<string> LargeEdbPath = new(ExtractLargeEdb);

    /// <summary>Every file with its expectation.</summary>
    public static IReadOnlyList<RealFile> All { get; } =
    [
        Db("srum-win11-dirty-with-logs/SRUDB.dat", 4096, DatabaseState.DirtyShutdown, 0xc8, 0x14, required: (92, 92)),
        Log("srum-win11-dirty-with-logs/SRU.log", 92, "8.4000.90.200"),
        Log("srum-win11-dirty-with-logs/SRU00059.log", 89, "8.4000.90.200"),
        Log("srum-win11-dirty-with-logs/SRU0005A.log", 90, "8.4000.90.200"),
        Log("srum-win11-dirty-with-logs/SRU0005B.log", 91, "8.4000.90.200"),
        TmpLog("srum-win11-dirty-with-logs/SRUtmp.log", 80, "8.4000.90.200"),
        Chk("srum-win11-dirty-with-logs/SRU.chk", 92),
        Other("srum-win11-dirty-with-logs/SRUDB.jfm", EseFileKind.FlushMap),
        Other("srum-win11-dirty-with-logs/SRUres00001.jrs", EseFileKind.ReserveLog),

        Db("srum-win10-clean-with-logs/SRUDB.dat", 4096, DatabaseState.CleanShutdown, 0x6e, 0x14),
        Log("srum-win10-clean-with-logs/SRU.log", 32, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU00019.log", 25, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU0001A.log", 26, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU0001B.log", 27, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU0001C.log", 28, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU0001D.log", 29, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU0001E.log", 30, "8.4000.60.140"),
        Log("srum-win10-clean-with-logs/SRU0001F.log", 31, "8.4000.60.140"),
        TmpLog("srum-win10-clean-with-logs/SRUtmp.log", 24, "8.4000.60.140"),
        Chk("srum-win10-clean-with-logs/SRU.chk", 32),
        Other("srum-win10-clean-with-logs/SRUDB.jfm", EseFileKind.FlushMap),
        Other("srum-win10-clean-with-logs/SRUres00001.jrs", EseFileKind.ReserveLog),
        Other("srum-win10-clean-with-logs/SRUres00002.jrs", EseFileKind.ReserveLog),

        Db("srum-server2022-first-generations/SRUDB.dat", 4096, DatabaseState.CleanShutdown, 0xb4, 0x14),
        Log("srum-server2022-first-generations/SRU.log", 2, "8.4000.90.200"),
        Log("srum-server2022-first-generations/SRU00001.log", 1, "8.4000.90.200"),
        Chk("srum-server2022-first-generations/SRU.chk", 2),
        Other("srum-server2022-first-generations/SRUDB.jfm", EseFileKind.FlushMap),
        Other("srum-server2022-first-generations/SRUres00001.jrs", EseFileKind.ReserveLog),

        Db("catroot2-winxp-with-logs/{127D0A1D-4EF2-11D1-8608-00C04FC295EE}/catdb", 4096, DatabaseState.CleanShutdown, 0x9, 0x9),
        Db("catroot2-winxp-with-logs/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/catdb", 4096, DatabaseState.CleanShutdown, 0x9, 0x9),
        Log("catroot2-winxp-with-logs/edb.log", 131, "7.3704.6.0"),
        Log("catroot2-winxp-with-logs/edb0007E.log", 126, "7.3704.6.0"),
        Log("catroot2-winxp-with-logs/edb0007F.log", 127, "7.3704.6.0"),
        Log("catroot2-winxp-with-logs/edb00080.log", 128, "7.3704.6.0"),
        Log("catroot2-winxp-with-logs/edb00081.log", 129, "7.3704.6.0"),
        Log("catroot2-winxp-with-logs/edb00082.log", 130, "7.3704.6.0"),
        Chk("catroot2-winxp-with-logs/edb.chk", 131),
        Other("catroot2-winxp-with-logs/res1.log", EseFileKind.ReserveLog),
        Other("catroot2-winxp-with-logs/res2.log", EseFileKind.ReserveLog),

        Db("ual-hyperv-pc/Current.mdb", 4096, DatabaseState.DirtyShutdown, 0x14, 0x14, required: (124, 124)),
        Db("ual-hyperv-pc/SystemIdentity.mdb", 4096, DatabaseState.CleanShutdown, 0x14, 0x14),
        Db("ual-hyperv-pc/{03A01CC5-91BB-4936-B685-63697785D39E}.mdb", 4096, DatabaseState.CleanShutdown, 0x14, 0x14),

        Db("ntds-temp-win2012r2/temp.edb", 8192, DatabaseState.JustCreated, 0x14, 0x14),
        Chk("ntds-temp-win2012r2/edb.chk", 3),

        Db("bits-qmgr-win11-24h2/qmgr.db", 16384, DatabaseState.DirtyShutdown, 0x12c, 0x14, required: (23, 23)),
        Db("bits-qmgr-win10/qmgr.db", 16384, DatabaseState.DirtyShutdown, 0x6e, 0x14, required: (14, 14)),
        Db("esent-api-8k-compressed/decompress_test.edb", 8192, DatabaseState.CleanShutdown, 0x14, 0x14),
        Db("esent-api-samples/basic.edb", 4096, DatabaseState.CleanShutdown, 0x14, 0x14),
        Db("esent-api-samples/index.edb", 4096, DatabaseState.CleanShutdown, 0x14, 0x14),
        Db("esent-api-samples/multi.edb", 4096, DatabaseState.CleanShutdown, 0x14, 0x14),
        Db("esent-api-samples/large.edb.gz", 32768, DatabaseState.CleanShutdown, 0x14, 0x14) with { Gzipped = true },
    ];

    /// <summary>Files of one kind.</summary>
    public static IEnumerable<RealFile> OfKind(EseFileKind kind) => All.Where(f => f.Kind == kind);

    /// <summary>xunit member data: the relative path of every file.</summary>
    public static TheoryData<string> AllNames() => [.. All.Select(f => f.RelativePath)];

    /// <summary>xunit member data: databases.</summary>
    public static TheoryData<string> DatabaseNames() => [.. OfKind(EseFileKind.Database).Select(f => f.RelativePath)];

    /// <summary>xunit member data: logs (current and archived).</summary>
    public static TheoryData<string> LogNames() => [.. OfKind(EseFileKind.Log).Select(f => f.RelativePath)];

    /// <summary>Finds a file by relative path.</summary>
    public static RealFile Get(string relativePath) => All.Single(f => f.RelativePath == relativePath);

    /// <summary>The path to read: the shared file itself, or (for <c>large.edb.gz</c>) its decompressed copy in a temp directory.</summary>
    public static string PathOf(RealFile file) =>
        file.Gzipped ? LargeEdbPath.Value : TestData.Ese(file.RelativePath.Split('/'));

    private static RealFile Db(string path, int pageSize, DatabaseState state, uint revision, uint createRevision, (int Low, int High)? required = null) =>
        new(path, EseFileKind.Database) { PageSize = pageSize, State = state, FormatRevision = revision, CreateRevision = createRevision, RequiredRange = required };

    private static RealFile Log(string path, int generation, string version) =>
        new(path, EseFileKind.Log) { Generation = generation, LogVersion = version };

    private static RealFile TmpLog(string path, int generation, string version) =>
        new(path, EseFileKind.TemporaryLog) { Generation = generation, LogVersion = version };

    private static RealFile Chk(string path, int generation) => new(path, EseFileKind.Checkpoint) { Generation = generation };

    private static RealFile Other(string path, EseFileKind kind) => new(path, kind);

    private static string ExtractLargeEdb()
    {
        // Decompressed once per test run into a temp directory that is removed when the process exits.
        var dir = Directory.CreateTempSubdirectory("ese-large-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover temp directory must not fail the run.
            }
        };
        var target = System.IO.Path.Combine(dir, "large.edb");
        using (var input = File.OpenRead(TestData.Ese("esent-api-samples", "large.edb.gz")))
        using (var gz = new GZipStream(input, CompressionMode.Decompress))
        using (var output = File.Create(target))
        {
            gz.CopyTo(output);
        }

        return target;
    }
}

/// <summary>One real file and what SOURCES.md says about it.</summary>
internal sealed record RealFile(string RelativePath, EseFileKind Kind)
{
    public bool Gzipped { get; init; }

    public int? PageSize { get; init; }

    public DatabaseState? State { get; init; }

    public uint FormatRevision { get; init; }

    public uint CreateRevision { get; init; }

    public (int Low, int High)? RequiredRange { get; init; }

    public int? Generation { get; init; }

    public string? LogVersion { get; init; }

    public string FileName => Gzipped ? "large.edb" : System.IO.Path.GetFileName(RelativePath);

    public string Path => RealFiles.PathOf(this);
}
