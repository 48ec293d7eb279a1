using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Support;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace EseBackupPlugin.Ese.Tests.WindowsIntegration;

/// <summary>
/// The <c>WindowsIntegration</c> category (run by .github/workflows/windows.yml): with the REAL esent.dll, an
/// instance of this process gets a database with a table and rows (test-only imports, <see cref="EsentTestDatabase"/>),
/// enough rows to roll several 128 KiB logs; the plugin backs it up full then incremental with each strategy, completes
/// both, restores the chain with JetRestoreInstance into a new folder, and the rows are read back; every truncation
/// report is checked against the files on disk. Off Windows the same backup, restore and truncation steps run against
/// the esent.dll ABI fake over a real SRUM file set; creating and reading rows has no fake and is skipped there, with
/// the reason written to the test output.
/// </summary>
[Trait("Category", "WindowsIntegration")]
[Collection(FakeEsentCollection.Name)]
public sealed class WindowsEsentIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _temp = new("esent-integration-");

    [Theory]
    [InlineData(EsentStrategies.BackupInstance)]
    [InlineData(EsentStrategies.Streaming)]
    public async Task Full_then_incremental_restore_through_ese_reads_the_rows_back_and_truncation_matches_the_disk(string strategy)
    {
        using var world = OperatingSystem.IsWindows() ? (IEsentWorld)new RealEsentWorld(_temp, output) : new FakeEsentWorld(_temp, output);
        var catalog = new InMemoryBackupCatalog();
        await using var plugin = new EsePlugin(null, new ConfigurationBuilder().AddInMemoryCollection(world.Settings(_temp)).Build(), catalog);
        var target = await world.TargetAsync(plugin);
        var staging = _temp.Combine("staging");

        var full = await BackupAsync(plugin, target, BackupKind.Full, strategy, staging);
        await CompleteAndCheckTruncationAsync(plugin, full, world);

        world.WriteMore();
        var incremental = await BackupAsync(plugin, target, BackupKind.Incremental, strategy, staging);
        Assert.Equal(full.Manifest!.SetId, incremental.Manifest!.Chain.ChainId);
        Assert.All(incremental.Manifest.Files, f => Assert.Equal(FileRole.Log, f.Role));
        await CompleteAndCheckTruncationAsync(plugin, incremental, world);

        foreach (var set in new[] { full, incremental })
        {
            var verified = await plugin.VerifySetAsync(new VerifySetRequest(set.SetDirectory!));
            Assert.True(verified.IsClean, string.Join("; ", verified.Findings.Select(f => f.Message)));
        }

        var destination = _temp.Combine("restored-" + strategy);
        var restored = await plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!, incremental.SetDirectory!], destination) { Mode = RestoreMode.EseRestore });
        Assert.True(restored.Succeeded, restored.Error?.ToString());
        var database = Path.Combine(destination, Path.GetFileName(Assert.Single(full.Manifest.Files, f => f.Role == FileRole.Database).Path));
        Assert.True(File.Exists(database), "the restored database is missing: " + database);
        world.CheckRestoredRows(destination);
    }

    private static async Task<BackupResult> BackupAsync(EsePlugin plugin, BackupTarget target, BackupKind kind, string strategy, string staging)
    {
        var result = await plugin.BackupAsync(new BackupRequest(target.Id, kind, staging) { CreateStagingDirectory = true, Strategy = strategy });
        Assert.True(result.Succeeded, $"{kind} with {strategy}: {result.Error}");
        return result;
    }

    /// <summary>Completes a set and holds its truncation report against the log folder: what it names is gone, the rest is there.</summary>
    private async Task CompleteAndCheckTruncationAsync(EsePlugin plugin, BackupResult set, IEsentWorld world)
    {
        var before = world.LogFiles();
        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(set.Manifest!, Succeeded: true));
        Assert.Null(completion.Error);
        var removed = (set.EngineTruncation?.Removed ?? []).Concat(completion.Truncation!.Removed).DistinctBy(r => r.Generation).ToList();
        output.WriteLine($"{set.Manifest!.Producer.Strategy} {set.Manifest.Kind}: {completion.Truncation.Status} by {completion.Truncation.PerformedBy}, removed generations [{string.Join(", ", removed.Select(r => r.Generation))}]");
        Assert.All(removed, r => Assert.False(File.Exists(r.Path), $"the report says {r.Path} was removed, but it is on disk"));
        var after = world.LogFiles();
        var gone = before.Except(after, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.All(gone, g => Assert.Contains(removed, r => string.Equals(Path.GetFullPath(r.Path), Path.GetFullPath(g), StringComparison.OrdinalIgnoreCase)));
        Assert.All(set.Manifest.Files.Where(f => f.Log is { WasCurrentLog: true }), f => Assert.DoesNotContain(removed, r => r.Generation == f.Log!.Generation));
        Assert.True(File.Exists(world.CurrentLog), "the current log must never be truncated");
    }

    public void Dispose() => _temp.Dispose();

    /// <summary>Where the instance comes from: the real esent.dll (Windows) or the ABI fake over a real file set.</summary>
    private interface IEsentWorld : IDisposable
    {
        string CurrentLog { get; }

        Dictionary<string, string?> Settings(TempDirectory temp);

        Task<BackupTarget> TargetAsync(EsePlugin plugin);

        void WriteMore();

        IReadOnlyList<string> LogFiles();

        void CheckRestoredRows(string destination);
    }

    private static async Task<List<BackupTarget>> InstancesAsync(EsePlugin plugin)
    {
        var list = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = [TargetKind.InProcessInstance] }))
        {
            list.Add(t);
        }

        return list;
    }

    [SupportedOSPlatform("windows")]
    private sealed class RealEsentWorld : IEsentWorld
    {
        private readonly EsentTestDatabase _db;
        private readonly ITestOutputHelper _output;

        public RealEsentWorld(TempDirectory temp, ITestOutputHelper output)
        {
            _output = output;
            _db = EsentTestDatabase.Create(temp.Combine("live"), "EseBackupPluginIntegration-" + Guid.NewGuid().ToString("N")[..8]);
            _db.Insert(80); // 80 rows of 16 KiB: about ten 128 KiB logs
            output.WriteLine($"real esent.dll: {_db.RowCount} rows in {_db.DatabasePath}, {LogFiles().Count} logs");
        }

        public string CurrentLog => Path.Combine(_db.Directory, "edb.log");

        public Dictionary<string, string?> Settings(TempDirectory temp) => new()
        {
            ["Engine:LockDirectory"] = temp.Combine("locks"),
            ["StateDirectory"] = temp.Combine("state"),
        };

        public async Task<BackupTarget> TargetAsync(EsePlugin plugin) =>
            Assert.Single(await InstancesAsync(plugin), t => t.InstanceName == _db.InstanceName);

        public void WriteMore() => _db.Insert(40);

        public IReadOnlyList<string> LogFiles() => Directory.GetFiles(_db.Directory, "edb*.log");

        public void CheckRestoredRows(string destination)
        {
            var rows = EsentTestDatabase.ReadRows(destination, "EseBackupPluginRestored-" + Guid.NewGuid().ToString("N")[..8]);
            Assert.Equal(Enumerable.Range(1, _db.RowCount), rows.Select(r => r.Id).Order());
            Assert.All(rows, r => Assert.Equal(EsentTestDatabase.Checksum(EsentTestDatabase.Payload(r.Id, 16 * 1024)), r.Checksum));
            _output.WriteLine($"read {rows.Count} rows back from the restored database");
        }

        public void Dispose() => _db.Dispose();
    }

    private sealed class FakeEsentWorld : IEsentWorld
    {
        private readonly string _live;
        private readonly ITestOutputHelper _output;

        public FakeEsentWorld(TempDirectory temp, ITestOutputHelper output)
        {
            _output = output;
            EsentNativeGate.EnableOffWindows();
            FakeEsent.Reset();
            _live = temp.Combine("live");
            Directory.CreateDirectory(_live);
            foreach (var file in Directory.EnumerateFiles(TestData.Ese(FakeEsentTestBase.SetName)))
            {
                var copy = Path.Combine(_live, Path.GetFileName(file));
                File.Copy(file, copy);
                File.SetAttributes(copy, FileAttributes.Normal);
            }

            output.WriteLine("skipped off Windows: creating a database, a table and rows needs the real esent.dll (the ABI fake cannot create tables); "
                + $"the backup, restore and truncation steps run against the esent.dll fake over the real file set {FakeEsentTestBase.SetName}.");
        }

        public string CurrentLog => Path.Combine(_live, "SRU.log");

        public Dictionary<string, string?> Settings(TempDirectory temp) => new()
        {
            ["EsentInstances:NativeLibraryDirectory"] = AppContext.BaseDirectory,
            ["EsentInstances:FileSets:0:Directory"] = _live,
            ["EsentInstances:FileSets:0:BaseName"] = "SRU",
            ["Engine:LockDirectory"] = temp.Combine("locks"),
            ["StateDirectory"] = temp.Combine("state"),
        };

        public async Task<BackupTarget> TargetAsync(EsePlugin plugin) => Assert.Single(await InstancesAsync(plugin));

        // The fake rolls a new generation at each backup; it has no transactions to write.
        public void WriteMore() => _output.WriteLine("fake: the next backup rolls a new log generation by itself");

        public IReadOnlyList<string> LogFiles() => Directory.GetFiles(_live, "SRU*.log");

        public void CheckRestoredRows(string destination) =>
            _output.WriteLine("skipped off Windows: reading rows back from the restored database needs the real esent.dll (the fake replays nothing).");

        public void Dispose() => FakeEsent.Reset();
    }
}
