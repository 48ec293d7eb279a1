namespace EseBackupPlugin.Ese.Tests.Support;

/// <summary>
/// Locates the shared, read-only test data (<c>../shared/testdata</c> beside the checkout). Tests never
/// copy these files into the repository; when a test must modify one it copies it to a temp directory.
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> RepoRootLazy = new(FindRepoRoot);

    /// <summary>The repository root (the directory holding EseBackupPlugin.sln).</summary>
    public static string RepoRoot => RepoRootLazy.Value;

    /// <summary>The shared folder beside the checkout.</summary>
    public static string SharedRoot => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    /// <summary><c>shared/testdata/ese</c>.</summary>
    public static string EseRoot => Path.Combine(SharedRoot, "testdata", "ese");

    /// <summary><c>shared/testdata/vss</c>.</summary>
    public static string VssRoot => Path.Combine(SharedRoot, "testdata", "vss");

    /// <summary>A file under <c>shared/testdata/ese</c>, e.g. <c>Ese("srum-win10-clean-with-logs", "SRUDB.dat")</c>.</summary>
    public static string Ese(params string[] parts) => Path.Combine([EseRoot, .. parts]);

    /// <summary>A file under <c>shared/testdata/vss</c>.</summary>
    public static string Vss(params string[] parts) => Path.Combine([VssRoot, .. parts]);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EseBackupPlugin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (EseBackupPlugin.sln) above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary directory removed when disposed.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory(string? prefix = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), (prefix ?? "esebackup-test-") + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            if (Directory.Exists(Path))
            {
                foreach (var f in Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories))
                {
                    File.SetAttributes(f, FileAttributes.Normal);
                }

                Directory.Delete(Path, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
