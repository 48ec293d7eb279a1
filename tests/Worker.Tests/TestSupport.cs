using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese;
using EseBackupPlugin.Worker.Protocol.Client;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Worker.Tests;

/// <summary>Paths, scratch directories and the worker under test.</summary>
internal static class TestSupport
{
    /// <summary>The repository root.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EseBackupPlugin.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The JIT build of the worker, laid out beside the tests as in the host's plugin folder.</summary>
    public static string WorkerExecutable => Path.Combine(AppContext.BaseDirectory, "plugins", "ese", "worker", OperatingSystem.IsWindows() ? "esebackup-worker.exe" : "esebackup-worker");

    /// <summary>Start info for the JIT worker.</summary>
    public static WorkerStartInfo StartInfo(string? executable = null, Action<string>? stderr = null) => new(executable ?? WorkerExecutable)
    {
        HostName = "EseBackupPlugin.Worker.Tests",
        HostVersion = "1.0.0",
        StandardErrorLine = stderr,
        Environment = DotnetRootEnvironment(),
    };

    /// <summary>DOTNET_ROOT for the apphost when the SDK lives outside the default places.</summary>
    public static Dictionary<string, string?> DotnetRootEnvironment()
    {
        var env = new Dictionary<string, string?>();
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT") ?? Path.GetDirectoryName(Environment.ProcessPath);
        if (root is not null && File.Exists(Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet")))
        {
            env["DOTNET_ROOT"] = root;
        }

        return env;
    }

    /// <summary>Starts the JIT worker over <paramref name="catalog"/>.</summary>
    public static Task<WorkerPlugin> StartWorkerAsync(IBackupCatalog catalog, Action<string>? stderr = null, string? executable = null)
        => WorkerPlugin.StartAsync(StartInfo(executable, stderr), catalog, LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)));

    /// <summary>Writes a synthetic file set (real formats, valid checksums) with the in-process sample writer.</summary>
    public static async Task<SampleTarget> SampleAsync(string directory, long databaseBytes = 2L * 1024 * 1024, int logs = 5)
    {
        await using var writer = new EsePlugin();
        return await writer.CreateSampleTargetAsync(new SampleTargetRequest(directory) { DatabaseBytes = databaseBytes, LogGenerations = logs });
    }

    /// <summary>The one target discovered under <paramref name="directory"/>.</summary>
    public static async Task<BackupTarget> DiscoverOneAsync(IBackupPlugin plugin, string directory)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Paths = [directory], Kinds = [TargetKind.FileSet] }))
        {
            found.Add(t);
        }

        return Assert.Single(found);
    }

    /// <summary>Name and SHA-256 of every file below <paramref name="directory"/>.</summary>
    public static SortedDictionary<string, string> Snapshot(string directory)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            using var s = File.OpenRead(f);
            map[Path.GetRelativePath(directory, f)] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(s));
        }

        return map;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "esebackup-worker-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
