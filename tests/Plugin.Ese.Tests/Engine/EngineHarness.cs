using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Composition;
using EseBackupPlugin.Ese.Engine;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// The real plugin (composition root, engine, file-set source, staging) over real files in a temp directory,
/// with a process-local catalog, a private lock directory and small copy buffers. The only thing a test may
/// swap is the staging file system (for full disks and I/O errors).
/// </summary>
internal sealed class EngineHarness : IAsyncDisposable
{
    public EngineHarness(TempDirectory temp, IStagingFileSystem? fileSystem = null, IBackupCatalog? catalog = null, string? lockDirectory = null, int bufferSize = 64 * 1024, TruncationPolicy policy = TruncationPolicy.MatchEse, TimeProvider? time = null, int bufferCount = 3, int parallelFiles = 0)
    {
        Temp = temp;
        Staging = temp.Combine("staging");
        Directory.CreateDirectory(Staging);
        Catalog = catalog ?? new InMemoryBackupCatalog();
        LockDirectory = lockDirectory ?? temp.Combine("locks");
        Options = new EsePluginOptions
        {
            Engine = new EngineOptions { BufferSize = bufferSize, BufferCount = bufferCount, ParallelFiles = parallelFiles, LockDirectory = LockDirectory },
            StateDirectory = temp.Combine("state"),
            FileSet = new FileSetOptions { TruncationPolicy = policy },
        };
        Plugin = new EsePlugin(null, Options, Catalog, fileSystem ?? PhysicalStagingFileSystem.Instance, time ?? TimeProvider.System);
    }

    public TempDirectory Temp { get; }

    public string Staging { get; }

    public string LockDirectory { get; }

    public IBackupCatalog Catalog { get; }

    public EsePluginOptions Options { get; }

    public EsePlugin Plugin { get; }

    /// <summary>The one file-set target discovered in <paramref name="directory"/>.</summary>
    public async Task<BackupTarget> TargetAsync(string directory)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in Plugin.DiscoverAsync(new DiscoveryRequest { Paths = [directory], Kinds = [TargetKind.FileSet] }))
        {
            found.Add(t);
        }

        return Assert.Single(found);
    }

    public Task<BackupResult> BackupAsync(BackupTarget target, BackupKind kind, string? staging = null) =>
        Plugin.BackupAsync(new BackupRequest(target.Id, kind, staging ?? Staging) { SearchPaths = [target.Location!] });

    /// <summary>Phase one and two with success; asserts both worked.</summary>
    public async Task<(BackupResult Backup, TruncationReport Truncation)> BackupAndCompleteAsync(BackupTarget target, BackupKind kind)
    {
        var backup = await BackupAsync(target, kind);
        Assert.True(backup.Succeeded, $"{kind} backup failed: {backup.Error}");
        var completion = await Plugin.CompleteBackupAsync(new CompletionRequest(backup.Manifest!, Succeeded: true));
        Assert.True(completion.Error is null, $"completion of {kind} failed: {completion.Error}");
        return (backup, completion.Truncation!);
    }

    public async Task AssertSetVerifiesAsync(string setDirectory)
    {
        var v = await Plugin.VerifySetAsync(new VerifySetRequest(setDirectory));
        Assert.True(v.IsClean, $"set {setDirectory} does not verify: {Describe(v)}");
    }

    public static string Describe(VerifySetResult v) =>
        v.Error?.ToString() ?? string.Join("; ", v.Findings.Concat(v.Files.SelectMany(f => f.Findings)).Select(f => $"{f.Code} {f.File} {f.Message}"));

    /// <summary>Verifies a directory as ESE files, cross-file checks included; asserts it is clean.</summary>
    public static async Task AssertEseCleanAsync(string directory)
    {
        var report = await new EseFileVerifierService().VerifyAsync(new VerifyFilesRequest([directory]) { CrossFileChecks = true });
        var problems = report.Files.SelectMany(f => f.Findings).Concat(report.CrossFileFindings)
            .Where(f => f.Severity == FindingSeverity.Corruption)
            .Select(f => $"{f.Code} {f.File} {f.Message}")
            .Concat(report.Errors.Select(e => e.ToString()))
            .Concat(report.Files.Where(f => f.Error is not null).Select(f => f.Error!.ToString()))
            .ToList();
        Assert.True(problems.Count == 0, $"ESE verification of {directory} failed:\n{string.Join("\n", problems)}");
        Assert.NotEmpty(report.Files);
    }

    /// <summary>Every file under a directory, by path relative to it (with '/'), to its SHA-256.</summary>
    public static SortedDictionary<string, string> HashTree(string directory)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            map[Path.GetRelativePath(directory, f).Replace(Path.DirectorySeparatorChar, '/')] = HashFile(f);
        }

        return map;
    }

    public static string HashFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    /// <summary>Entries of the staging directory (files and directories, hidden ones included).</summary>
    public string[] StagingEntries() =>
        [.. Directory.EnumerateFileSystemEntries(Staging).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    /// <summary>Copies a directory tree, making the copies writable (the shared test data is read-only).</summary>
    public static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var dest = Path.Combine(to, Path.GetRelativePath(from, file));
            File.Copy(file, dest);
            File.SetAttributes(dest, FileAttributes.Normal);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(dest, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            foreach (var dir in Directory.EnumerateDirectories(to, "*", SearchOption.AllDirectories).Append(to))
            {
                File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }
        }
    }

    /// <summary>Log generation of a manifest file, or null.</summary>
    public static long? Generation(ManifestFile f) => f.Log?.Generation;

    public ValueTask DisposeAsync() => Plugin.DisposeAsync();
}
