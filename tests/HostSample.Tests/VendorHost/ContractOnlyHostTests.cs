using System.Reflection;
using System.Runtime.Loader;
using System.Text.Json;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.HostSample.Tests.VendorHost;

/// <summary>
/// A backup vendor's host written from the README and the contract alone: its own plugin loader (plugin.json, an
/// isolated load context sharing only what the contract's <see cref="SharedAssemblies"/> lists), its own in-memory
/// catalog, its own storage. Nothing of <c>esebackup</c> or of the plugin's internals is used. It drives
/// discover → backup by id → store → complete → incremental, never passing <see cref="BackupRequest.SearchPaths"/>,
/// and a second plugin instance (a later process lifetime, a fresh load context) backs up by the same id.
/// </summary>
public class ContractOnlyHostTests
{
    [Fact]
    public async Task Discover_backup_by_id_complete_and_incremental_with_no_search_paths_across_plugin_lifetimes()
    {
        using var temp = new TempDir();
        var catalog = new VendorCatalog();
        var store = new VendorStore(temp.Combine("vendor-store"));
        var staging = temp.Combine("vendor-staging");
        var data = temp.Combine("exchange", "db1");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["EsePlugin:Engine:LockDirectory"] = temp.Combine("locks") })
            .Build();

        string targetId;
        string fullSetId;
        await using (var plugin = VendorPluginLoader.Load(Path.Combine(TestSupport.PluginFolder, "plugin.json"), configuration, catalog))
        {
            Assert.Equal("esebackup.ese", plugin.Info.Id);
            var samples = Assert.IsAssignableFrom<ISampleTargetProvider>(plugin);
            await samples.CreateSampleTargetAsync(new SampleTargetRequest(data) { DatabaseBytes = 1L << 20, LogGenerations = 5, Seed = 81 });

            // Discover once, with a path; from then on the id is all the vendor keeps.
            var discovered = new List<BackupTarget>();
            await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Paths = [data], Kinds = [TargetKind.FileSet] }))
            {
                discovered.Add(t);
            }

            targetId = Assert.Single(discovered).Id;
            Assert.Null(discovered[0].LastBackup);

            var full = await BackupStoreCompleteAsync(plugin, catalog, store, targetId, BackupKind.Full, staging);
            fullSetId = full.SetId;
            Assert.Equal(data, full.Target.Location);

            await samples.AdvanceSampleTargetAsync(data, 2);
            var incremental = await BackupStoreCompleteAsync(plugin, catalog, store, targetId, BackupKind.Incremental, staging);
            Assert.Equal(fullSetId, incremental.Chain.ChainId);
            Assert.Equal(fullSetId, incremental.Chain.PreviousSetId);
        }

        // A later process lifetime: a new load context, a new plugin instance, the same vendor catalog. Still only the id.
        await using (var later = VendorPluginLoader.Load(Path.Combine(TestSupport.PluginFolder, "plugin.json"), configuration, catalog))
        {
            await ((ISampleTargetProvider)later).AdvanceSampleTargetAsync(data, 1);
            var next = await BackupStoreCompleteAsync(later, catalog, store, targetId, BackupKind.Incremental, staging);
            Assert.Equal(fullSetId, next.Chain.ChainId);
            Assert.Equal(2, next.Chain.Sequence);

            // The chain the vendor's catalog holds restores, through the contract, to the newest generation.
            var chain = await catalog.GetChainAsync(targetId);
            Assert.Equal([BackupKind.Full, BackupKind.Incremental, BackupKind.Incremental], chain.Select(e => e.Manifest.Kind));
            var restored = await later.RestoreAsync(new RestoreRequest([.. chain.Select(e => store.PathOf(e.Manifest.SetId))], temp.Combine("restore")));
            Assert.True(restored.Succeeded, restored.Error?.ToString());
            Assert.Equal(next.LogRange!.High, restored.LogRange!.High);
        }

        Assert.All(catalog.Reports, r => Assert.True(r.HostSucceeded));
        Assert.Equal(3, catalog.Reports.Count);
        Assert.All(catalog.Entries, e => Assert.Equal(CatalogSetState.Completed, e.State));
    }

    private static async Task<BackupManifest> BackupStoreCompleteAsync(IBackupPlugin plugin, VendorCatalog catalog, VendorStore store, string targetId, BackupKind kind, string staging)
    {
        var backup = await plugin.BackupAsync(new BackupRequest(targetId, kind, staging) { CreateStagingDirectory = true });
        Assert.True(backup.Succeeded, $"{kind} of {targetId}: {backup.Error}");
        var manifest = backup.Manifest!;
        Assert.Equal(targetId, manifest.Target.Id);
        Assert.Equal(kind, manifest.Kind);
        Assert.Equal(CatalogSetState.Staged, catalog.StateOf(manifest.SetId));

        // The vendor stores the set its own way, checks it, and only then completes it.
        var stored = store.Keep(backup.SetDirectory!, manifest.SetId);
        var verified = await plugin.VerifySetAsync(new VerifySetRequest(stored));
        Assert.True(verified.IsClean, verified.Error?.ToString());
        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.True(completion.Error is null, completion.Error?.ToString());
        Assert.Equal(manifest.SetId, completion.Truncation!.SetId);
        Assert.Equal(CatalogSetState.Completed, catalog.StateOf(manifest.SetId));
        return manifest;
    }

    /// <summary>The vendor's catalog: a list, with the contract's chain rule.</summary>
    private sealed class VendorCatalog : IBackupCatalog
    {
        private readonly Lock _gate = new();
        private readonly List<CatalogEntry> _entries = [];

        public List<TruncationReport> Reports { get; } = [];

        public IReadOnlyList<CatalogEntry> Entries
        {
            get
            {
                lock (_gate)
                {
                    return [.. _entries];
                }
            }
        }

        public CatalogSetState? StateOf(string setId) => Entries.FirstOrDefault(e => e.Manifest.SetId == setId)?.State;

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                return ValueTask.FromResult(CatalogStates.CurrentChain(_entries.Where(e => e.Manifest.Target.Id == targetId)));
            }
        }

        public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                _entries.Add(new CatalogEntry(manifest, CatalogSetState.Staged, null));
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
        {
            lock (_gate)
            {
                Reports.Add(report);
                var i = _entries.FindIndex(e => e.Manifest.SetId == report.SetId);
                _entries[i] = _entries[i] with { State = CatalogStates.AfterCompletion(report), CompletedAt = report.At };
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The vendor's storage: sets moved out of staging into a folder of its own.</summary>
    private sealed class VendorStore(string root)
    {
        public string PathOf(string setId) => Path.Combine(root, setId);

        public string Keep(string stagedSet, string setId)
        {
            Directory.CreateDirectory(root);
            Directory.Move(stagedSet, PathOf(setId));
            return PathOf(setId);
        }
    }

    /// <summary>How a vendor loads a plugin: plugin.json, its own load context, constructor injection by type.</summary>
    private static class VendorPluginLoader
    {
        public static IBackupPlugin Load(string pluginJson, IConfiguration configuration, IBackupCatalog catalog)
        {
            using var manifest = JsonDocument.Parse(File.ReadAllText(pluginJson));
            var root = manifest.RootElement;
            Assert.Equal(ContractVersion.Id, root.GetProperty("contract").GetProperty("id").GetString());
            var major = ContractVersion.Current.Major.ToString(System.Globalization.CultureInfo.InvariantCulture) + ".";
            Assert.Contains(root.GetProperty("contract").GetProperty("versions").EnumerateArray(), v => v.GetString()!.StartsWith(major, StringComparison.Ordinal));

            var entry = root.GetProperty("entry");
            var assemblyPath = Path.Combine(Path.GetDirectoryName(pluginJson)!, entry.GetProperty("assembly").GetString()!);
            var context = new VendorLoadContext(assemblyPath);
            var type = context.LoadFromAssemblyPath(assemblyPath).GetType(entry.GetProperty("type").GetString()!, throwOnError: true)!;
            var section = configuration.GetSection(root.GetProperty("configuration").GetProperty("section").GetString()!);
            var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
            var arguments = constructor.GetParameters().Select(p =>
                p.ParameterType == typeof(IBackupCatalog) ? catalog
                : p.ParameterType == typeof(IConfiguration) ? section
                : p.ParameterType == typeof(ILoggerFactory) ? NullLoggerFactory.Instance
                : p.HasDefaultValue ? p.DefaultValue
                : throw new InvalidOperationException($"The vendor host cannot supply {p.ParameterType} to {type}.")).ToArray();
            return (IBackupPlugin)constructor.Invoke(arguments);
        }

        private sealed class VendorLoadContext(string assemblyPath) : AssemblyLoadContext("vendor:" + Path.GetFileName(assemblyPath))
        {
            private readonly AssemblyDependencyResolver _resolver = new(assemblyPath);

            // The contract's own list of what a host shares; everything else resolves from the plugin's folder.
            protected override Assembly? Load(AssemblyName assemblyName) =>
                assemblyName.Name is { } name && SharedAssemblies.IsShared(name) ? null
                : _resolver.ResolveAssemblyToPath(assemblyName) is { } path ? LoadFromAssemblyPath(path) : null;

            protected override IntPtr LoadUnmanagedDll(string unmanagedDllName) =>
                _resolver.ResolveUnmanagedDllToPath(unmanagedDllName) is { } path ? LoadUnmanagedDllFromPath(path) : IntPtr.Zero;
        }
    }
}
