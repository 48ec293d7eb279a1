using System.Security.Cryptography;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Composition;
using EseBackupPlugin.Ese.Engine;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Samples;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Sources.Vss;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine.TwoPhase;

/// <summary>One source's target, on real files (file sets) or behind a native ABI fake (esent, VSS).</summary>
internal interface IConformanceWorld : IDisposable
{
    /// <summary>Scratch space of the test.</summary>
    string Root { get; }

    /// <summary>True when a set staged by one plugin instance can still truncate from another (file sets).</summary>
    bool CompletesAcrossRestarts { get; }

    /// <summary>The plugin's options for this source (state, locks, lease).</summary>
    EsePluginOptions PluginOptions(TimeSpan lease);

    /// <summary>The one target of the world.</summary>
    Task<BackupTarget> TargetAsync(EsePlugin plugin);

    /// <summary>The live log files (path → SHA-256) the target has now.</summary>
    IReadOnlyDictionary<string, string> LiveLogs();
}

/// <summary>A synthetic file set (real formats, dirty database, checkpoint below the current log) on real files.</summary>
internal sealed class FileSetWorld : IConformanceWorld
{
    private readonly TempDirectory _temp = new("esebackup-conformance-");
    private readonly string _directory;

    public FileSetWorld()
    {
        // Generations 1-6, checkpoint 5: 1-4 are older than a full's first log, so ESE's rule removes them.
        _directory = SyntheticEseSet.Create(_temp.Combine("source"), new SyntheticEseOptions
        {
            PageSize = 4096,
            DatabasePages = 24,
            LogGenerations = 6,
            DatabaseState = SyntheticDatabaseState.Dirty,
            Seed = 7,
        }).Directory;
    }

    public string Root => _temp.Path;

    public bool CompletesAcrossRestarts => true;

    public EsePluginOptions PluginOptions(TimeSpan lease) => new()
    {
        Engine = new EngineOptions { BufferSize = 64 * 1024, BufferCount = 3, LockDirectory = _temp.Combine("locks"), StagedSetLease = lease },
        StateDirectory = _temp.Combine("state"),
        FileSet = new Ese.Sources.FileSet.FileSetOptions { Roots = [_directory] },
    };

    public async Task<BackupTarget> TargetAsync(EsePlugin plugin)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Paths = [_directory], Kinds = [TargetKind.FileSet] }))
        {
            found.Add(t);
        }

        return Assert.Single(found);
    }

    public IReadOnlyDictionary<string, string> LiveLogs() => ConformanceWorlds.Hashes(Directory.EnumerateFiles(_directory, "*.log"));

    public void Dispose() => _temp.Dispose();
}

/// <summary>An in-process instance (a real SRUM set opened through the esent.dll fake), strategy jet-streaming.</summary>
internal sealed class EsentStreamingWorld : FakeEsentTestBase, IConformanceWorld
{
    public string Root => Temp.Path;

    public bool CompletesAcrossRestarts => false;

    public EsePluginOptions PluginOptions(TimeSpan lease) => new()
    {
        Engine = new EngineOptions { BufferSize = 256 * 1024, BufferCount = 3, LockDirectory = Temp.Combine("locks"), StagedSetLease = lease },
        StateDirectory = Temp.Combine("state"),
        EsentInstances = new EsentSourceOptions
        {
            NativeLibraryDirectory = AppContext.BaseDirectory,
            FileSets = { new EsentFileSetSpec(SetDirectory) { BaseName = "SRU" } },
            DefaultStrategy = EsentStrategies.Streaming,
            ReadBufferBytes = 256 * 1024,
        },
    };

    public async Task<BackupTarget> TargetAsync(EsePlugin plugin)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = [TargetKind.InProcessInstance] }))
        {
            found.Add(t);
        }

        return Assert.Single(found);
    }

    public IReadOnlyDictionary<string, string> LiveLogs() => ConformanceWorlds.Hashes(Directory.EnumerateFiles(SetDirectory, "*.log"));
}

/// <summary>A VSS writer (NTDS) whose files are a real SRUM set, behind the vssapi.dll fake.</summary>
internal sealed class VssWorld : IConformanceWorld
{
    private readonly FakeVssWorld _world = new();

    public string Root => _world.Temp.Path;

    public bool CompletesAcrossRestarts => false;

    public EsePluginOptions PluginOptions(TimeSpan lease)
    {
        var vss = _world.Options;
        vss.NativeLibraryDirectory = AppContext.BaseDirectory;
        return new()
        {
            Engine = new EngineOptions { BufferSize = 256 * 1024, BufferCount = 3, LockDirectory = _world.Temp.Combine("locks"), StagedSetLease = lease },
            StateDirectory = _world.Temp.Combine("state"),
            Vss = vss,
        };
    }

    public async Task<BackupTarget> TargetAsync(EsePlugin plugin)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = [TargetKind.VssWriter] }))
        {
            found.Add(t);
        }

        return Assert.Single(found, t => t.Vss!.WriterId == _world.WriterId);
    }

    public IReadOnlyDictionary<string, string> LiveLogs() => ConformanceWorlds.Hashes(Directory.EnumerateFiles(_world.LogDirectory, "*.log"));

    public void Dispose() => _world.Dispose();
}

internal static class ConformanceWorlds
{
    public static IReadOnlyDictionary<string, string> Hashes(IEnumerable<string> files) =>
        files.ToDictionary(f => f, f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))), StringComparer.Ordinal);

    /// <summary>The plugin as the engine tests build it: options object, the given catalog and clock.</summary>
    public static EsePlugin Plugin(IConformanceWorld world, IBackupCatalog catalog, TimeProvider time, TimeSpan lease) =>
        new(null, world.PluginOptions(lease), catalog, PhysicalStagingFileSystem.Instance, time);
}

/// <summary>The host's catalog with faults a test switches on (an in-memory catalog underneath).</summary>
internal sealed class FaultyCatalog : IBackupCatalog
{
    public InMemoryBackupCatalog Inner { get; } = new();

    /// <summary>Throws from GetChainAsync while set.</summary>
    public bool FailChain { get; set; }

    /// <summary>Throws from RecordTruncationAsync while set.</summary>
    public bool FailRecordTruncation { get; set; }

    /// <summary>Runs when RecordTruncationAsync is called (after truncation), before it records.</summary>
    public Action? OnRecordTruncation { get; set; }

    public int RecordTruncationCalls { get; private set; }

    public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return FailChain ? throw new IOException("catalog.db: disk I/O error (injected)") : Inner.GetChainAsync(targetId, cancellationToken);
    }

    public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default) => Inner.RecordBackupAsync(manifest, cancellationToken);

    public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
    {
        RecordTruncationCalls++;
        OnRecordTruncation?.Invoke();
        return FailRecordTruncation ? throw new IOException("catalog.db: database is locked (injected)") : Inner.RecordTruncationAsync(report, cancellationToken);
    }

    public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default) => Inner.GetSetAsync(setId, cancellationToken);
}
