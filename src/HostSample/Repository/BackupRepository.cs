using System.Runtime.InteropServices;

namespace EseBackupPlugin.HostSample.Repository;

/// <summary>
/// The host's backup repository on disk:
/// <c>staging/</c> where the plugin stages sets, <c>sets/&lt;set id&gt;/</c> where the host stores them,
/// and <c>catalog.db</c>. Storing is a rename within one file system followed by a directory sync, so a
/// set is either wholly in <c>sets/</c> or not there at all.
/// </summary>
internal sealed partial class BackupRepository
{
    public BackupRepository(string root)
    {
        Root = Path.GetFullPath(root);
        StagingDirectory = Path.Combine(Root, "staging");
        SetsDirectory = Path.Combine(Root, "sets");
        CatalogPath = Path.Combine(Root, "catalog.db");
    }

    public string Root { get; }

    public string StagingDirectory { get; }

    public string SetsDirectory { get; }

    public string CatalogPath { get; }

    public void EnsureCreated()
    {
        Directory.CreateDirectory(StagingDirectory);
        Directory.CreateDirectory(SetsDirectory);
    }

    public string StoredPath(string setId) => Path.Combine(SetsDirectory, setId);

    /// <summary>Moves a staged set into <c>sets/</c> durably and returns its new path.</summary>
    public string Store(string stagedSetDirectory, string setId)
    {
        var destination = StoredPath(setId);
        if (Directory.Exists(destination))
        {
            throw new IOException($"Repository already holds a set '{setId}' at '{destination}'.");
        }

        Directory.Move(stagedSetDirectory, destination);
        SyncDirectory(SetsDirectory);
        SyncDirectory(Path.GetDirectoryName(stagedSetDirectory)!);
        return destination;
    }

    /// <summary>
    /// The path of set <paramref name="setId"/> in <c>sets/</c> when it is there whole: its manifest reads, names this set,
    /// and every file it lists is present at its recorded size (hashes are left to <c>verify-set</c>). A directory there
    /// that is not a whole set is removed, so that nothing in the repository looks like a set the catalog does not have.
    /// </summary>
    public string? IntactStoredSet(string setId, Microsoft.Extensions.Logging.ILogger logger)
    {
        var path = StoredPath(setId);
        if (!Directory.Exists(path))
        {
            return null;
        }

        string? problem;
        try
        {
            var manifest = Abstractions.Json.ManifestJson.Deserialize(File.ReadAllBytes(Path.Combine(path, Abstractions.Manifest.BackupManifest.FileName)), path);
            problem = manifest.SetId != setId
                ? $"its manifest names set {manifest.SetId}"
                : manifest.Files.FirstOrDefault(f => new FileInfo(Path.Combine(path, f.Path.Replace('/', Path.DirectorySeparatorChar))) is not { Exists: true } info || info.Length != f.Size) is { } missing
                    ? $"'{missing.Path}' is missing or has the wrong size"
                    : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Abstractions.Errors.PluginException)
        {
            problem = $"its manifest cannot be read ({ex.Message})";
        }

        if (problem is null)
        {
            return path;
        }

        Microsoft.Extensions.Logging.LoggerExtensions.LogWarning(logger, "Removing {Path}: it is not a whole set ({Problem}) and its run ended.", path, problem);
        Directory.Delete(path, recursive: true);
        return null;
    }

    /// <summary>Removes what an abandoned run left in staging (its set directory, if the plugin got that far).</summary>
    public void RemoveStaged(string setId)
    {
        var staged = Path.Combine(StagingDirectory, setId);
        if (Directory.Exists(staged))
        {
            Directory.Delete(staged, recursive: true);
        }
    }

    /// <summary>Flushes a directory's entries (renames) to disk; a no-op where the OS has no such call.</summary>
    private static void SyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // NTFS journals directory metadata; there is no portable directory flush.
        }

        var fd = Native.open(directory, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            return;
        }

        try
        {
            _ = Native.fsync(fd);
        }
        finally
        {
            _ = Native.close(fd);
        }
    }

    private static partial class Native
    {
        [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", SetLastError = true)]
        internal static partial int fsync(int fd);

        [LibraryImport("libc")]
        internal static partial int close(int fd);
    }
}
