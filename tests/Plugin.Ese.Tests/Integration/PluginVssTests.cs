using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Tests.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Tests.Sources.Vss;
using Microsoft.Extensions.Configuration;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Integration;

/// <summary>
/// VSS writer targets through the whole plugin (composition root, engine, Format verification) against the
/// vssapi.dll ABI fake, configured the way a host configures it (<c>EsePlugin:Vss:NativeLibraryDirectory</c>): a
/// simulated ESE writer whose files are a real SRUM set (logs 25–31, current log 32, checkpoint 32) among the real
/// DiskShadow writer documents.
/// </summary>
[Collection(FakeVssCollection.Name)]
public sealed class PluginVssTests
{
    private readonly InMemoryBackupCatalog _catalog = new();

    private static EsePlugin CreatePlugin(FakeVssWorld world, IBackupCatalog catalog) => new(
        null,
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Vss:NativeLibraryDirectory"] = AppContext.BaseDirectory,
            ["Vss:AsyncTimeout"] = "00:00:05",
            ["Vss:AsyncWaitSlice"] = "00:00:00.020",
            ["Vss:SnapshotSetRetryDelay"] = "00:00:00.010",
            ["Vss:SnapshotSetRetryDeadline"] = "00:00:02",
            ["Engine:LockDirectory"] = world.Temp.Combine("locks"),
            ["StateDirectory"] = world.Temp.Combine("state"),
        }).Build(),
        catalog);

    private static async Task<BackupTarget> DiscoverAsync(EsePlugin plugin, FakeVssWorld world)
    {
        // VSS targets only: the esent.dll fake is another test collection's, and may be enabled in this process.
        var targets = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = [TargetKind.VssWriter] }))
        {
            targets.Add(t);
        }

        // Among the machine's writers (system, registry, WMI, ...) only the ESE writer's component is a target.
        return Assert.Single(targets, t => t.Vss!.WriterId == world.WriterId);
    }

    private static Task<BackupResult> BackupAsync(EsePlugin plugin, FakeVssWorld world, BackupTarget target, BackupKind kind, IProgress<OperationProgress>? progress = null)
        => plugin.BackupAsync(new BackupRequest(target.Id, kind, world.Temp.Combine("staging")) { CreateStagingDirectory = true }, progress);

    [FakeVssFact]
    public async Task Discovery_lists_the_ese_writer_component_only()
    {
        using var world = new FakeVssWorld();
        await using var plugin = CreatePlugin(world, _catalog);
        Assert.True(Assert.Single(plugin.Info.Capabilities.TargetKinds, k => k.Kind == TargetKind.VssWriter).Available);

        var targets = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = [TargetKind.VssWriter] }))
        {
            targets.Add(t);
        }

        var target = Assert.Single(targets);
        Assert.Equal(VssTargetFactory.TargetId(FakeVssWorld.NtdsWriterId, world.LogicalPath, "ntds"), target.Id);
        Assert.Equal("NTDS", target.Vss!.WriterName);
        Assert.Equal("ntds", target.Vss.ComponentName);
        Assert.Equal(Path.Combine(world.DatabaseDirectory, "SRUDB.dat"), Assert.Single(target.Databases).Path);
        Assert.Equal([BackupKind.Full, BackupKind.Copy], target.SupportedBackupKinds);   // NTDS declares no incremental
        Assert.Equal(0, FakeVssLibrary.Count("StartSnapshotSet"));
    }

    [FakeVssFact]
    public async Task Copy_backup_is_staged_from_the_shadow_copy_verified_and_never_truncates()
    {
        using var world = new FakeVssWorld();
        await using var plugin = CreatePlugin(world, _catalog);
        var target = await DiscoverAsync(plugin, world);

        var result = await BackupAsync(plugin, world, target, BackupKind.Copy);
        Assert.True(result.Succeeded, result.Error?.ToString());
        var manifest = result.Manifest!;
        Assert.Equal(VssSource.StrategyName, manifest.Producer.Strategy);
        Assert.Equal(target.Vss, manifest.Target.Vss);
        Assert.Equal(
            ["SRUDB.dat", "SRU00019.log", "SRU0001A.log", "SRU0001B.log", "SRU0001C.log", "SRU0001D.log", "SRU0001E.log", "SRU0001F.log", "SRU00020.log", "SRU.chk", "vss-writer-metadata.xml"],
            manifest.Files.Select(f => f.Path));

        // The engine's facts, from the Format verifier, and the bytes of the original files.
        var db = manifest.Files[0];
        Assert.Equal((4096, "CleanShutdown"), (db.Database!.PageSize, db.Database.State));
        Assert.True(db.Database.PagesVerified > 0);
        Assert.Equal(Enumerable.Range(25, 8).Select(g => (long)g), manifest.Files.Where(f => f.Log is not null).Select(f => f.Log!.Generation));
        Assert.True(manifest.Files.Single(f => f.Path == "SRU00020.log").Log!.WasCurrentLog);
        Assert.Equal(32, manifest.Files.Single(f => f.Role == FileRole.Checkpoint).Checkpoint!.CheckpointGeneration);
        foreach (var f in manifest.Files.Where(f => f.Role != FileRole.Other))
        {
            var original = f.Log?.WasCurrentLog == true ? "SRU.log" : f.Path;
            Assert.Equal(Sha256(TestData.Ese(FakeVssWorld.EseSet, original)), f.Sha256);
        }

        // The Backup Components Document ends up in the manifest.
        var document = VssBackupComponentsDocument.Parse(manifest.VssBackupComponentsDocument!);
        Assert.Equal(VssBackupType.Copy, document.BackupType);
        Assert.True(document.FindComponent(world.WriterId, world.LogicalPath, "ntds")!.BackupSucceeded);
        Assert.Equal(new TruncationPlan(TruncationMode.Never, TruncationPerformer.None), manifest.Truncation);

        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.Null(completion.Error);
        Assert.Equal(TruncationStatus.NotAllowed, completion.Truncation!.Status);
        Assert.Equal(7, world.LiveArchivedLogs.Count);
        Assert.Equal(1, FakeVssLibrary.Count("BackupComplete"));
        Assert.True((await plugin.VerifySetAsync(new VerifySetRequest(result.SetDirectory!))).IsClean);
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Full_backup_delegates_truncation_to_the_writer_then_an_incremental_follows()
    {
        using var world = new FakeVssWorld("Microsoft Exchange Writer", FakeVssWorld.ExchangeWriterId, VssBackupSchema.Incremental | VssBackupSchema.Differential);
        await using var plugin = CreatePlugin(world, _catalog);
        var target = await DiscoverAsync(plugin, world);

        var full = await BackupAsync(plugin, world, target, BackupKind.Full);
        Assert.True(full.Succeeded, full.Error?.ToString());
        Assert.Equal(new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.VssWriter) { ExpectedRange = new GenerationRange(25, 31) }, full.Manifest!.Truncation);
        Assert.Equal(VssBackupType.Full, VssBackupComponentsDocument.Parse(full.Manifest.VssBackupComponentsDocument!).BackupType);
        Assert.Equal(7, world.LiveArchivedLogs.Count);   // nothing before the host's verdict

        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest, Succeeded: true));
        Assert.Null(completion.Error);
        var report = completion.Truncation!;
        Assert.Equal(TruncationStatus.DelegatedToWriter, report.Status);
        Assert.Equal(TruncationPerformer.VssWriter, report.PerformedBy);
        Assert.Equal(new GenerationRange(25, 31), report.Range);
        Assert.Contains("Truncate below generation 32: removed 7 log(s)", FakeVssLibrary.LogLines);
        Assert.Empty(world.LiveArchivedLogs);

        var inc = await BackupAsync(plugin, world, target, BackupKind.Incremental);
        Assert.True(inc.Succeeded, inc.Error?.ToString());
        Assert.Contains("SetBackupState select=1 bootable=0 type=2 partial=0", FakeVssLibrary.LogLines);
        Assert.DoesNotContain(inc.Manifest!.Files, f => f.Role == FileRole.Database);
        Assert.Equal(32, Assert.Single(inc.Manifest.Files, f => f.Role == FileRole.Log).Log!.Generation);
        Assert.Equal(new ChainInfo(full.Manifest.SetId, full.Manifest.SetId, 1), inc.Manifest.Chain);
        Assert.Equal(TruncationStatus.DelegatedToWriter, (await plugin.CompleteBackupAsync(new CompletionRequest(inc.Manifest, true))).Truncation!.Status);
        Assert.Equal(2, FakeVssLibrary.Count("BackupComplete"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_corrupt_page_in_the_shadow_copy_fails_the_backup_and_the_writer_hears_false()
    {
        using var world = new FakeVssWorld();
        await using var plugin = CreatePlugin(world, _catalog);
        var target = await DiscoverAsync(plugin, world);
        var damaged = false;

        // The engine reports Begin once the snapshot exists and before it reads a byte: damage the shadow copy's
        // database then, as a bad sector under the shadow copy would. The live database stays intact.
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == ProgressPhase.Begin && !damaged)
            {
                var shadowDatabase = Assert.Single(Directory.EnumerateFiles(world.ShadowRoot, "SRUDB.dat", SearchOption.AllDirectories));
                using var stream = new FileStream(shadowDatabase, FileMode.Open, FileAccess.ReadWrite);
                stream.Position = (4096 * 5) + 200;
                stream.Write([0xDE, 0xAD, 0xBE, 0xEF]);
                damaged = true;
            }
        });

        var result = await BackupAsync(plugin, world, target, BackupKind.Full, progress);

        Assert.True(damaged);
        Assert.False(result.Succeeded);
        Assert.Same(ErrorCodes.ReadVerifyFailure, result.Error!.Code);
        Assert.Equal(4, result.Error.Page);   // ESE's page number: physical page 5 (two header pages come first) is page 4
        Assert.Contains("SRUDB.dat", result.Error.File, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(world.Temp.Combine("staging")));
        Assert.Equal(0, FakeVssLibrary.Count($"SetBackupSucceeded lp={world.LogicalPath} name=ntds ok=1"));
        Assert.Equal(Sha256(TestData.Ese(FakeVssWorld.EseSet, "SRUDB.dat")), Sha256(Path.Combine(world.DatabaseDirectory, "SRUDB.dat")));
        Assert.Empty(await _catalog.GetChainAsync(target.Id));
        AssertWriterHeardFailureAndNothingWasTruncated(world);
    }

    [FakeVssFact]
    public async Task A_host_failure_withdraws_the_verdict_and_sends_no_backup_complete()
    {
        using var world = new FakeVssWorld();
        await using var plugin = CreatePlugin(world, _catalog);
        var target = await DiscoverAsync(plugin, world);
        var full = await BackupAsync(plugin, world, target, BackupKind.Full);
        Assert.True(full.Succeeded, full.Error?.ToString());

        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest!, Succeeded: false));

        Assert.Equal(TruncationStatus.Skipped, completion.Truncation!.Status);
        Assert.Equal(TruncationPerformer.None, completion.Truncation.PerformedBy);
        AssertWriterHeardFailureAndNothingWasTruncated(world);
    }

    [FakeVssFact]
    public async Task An_uncompleted_set_is_aborted_when_the_plugin_is_disposed_and_cannot_be_completed_later()
    {
        using var world = new FakeVssWorld();
        BackupManifest manifest;
        var first = CreatePlugin(world, _catalog);
        await using (first)
        {
            var target = await DiscoverAsync(first, world);
            manifest = (await BackupAsync(first, world, target, BackupKind.Full)).Manifest!;
        }

        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("BackupComplete"));
        VssSourceTests.AssertNothingLeaked();

        await using var second = CreatePlugin(world, _catalog);
        var completion = await second.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.Same(ErrorCodes.SessionLost, completion.Error!.Code);
        Assert.Equal(TruncationStatus.Skipped, completion.Truncation!.Status);
        Assert.Equal(0, FakeVssLibrary.Count("BackupComplete"));
        Assert.Equal(7, world.LiveArchivedLogs.Count);
    }

    /// <summary>SetBackupSucceeded(false) and AbortBackup reached the writer, BackupComplete never did, every log is still there.</summary>
    private static void AssertWriterHeardFailureAndNothingWasTruncated(FakeVssWorld world)
    {
        Assert.Contains($"SetBackupSucceeded lp={world.LogicalPath} name=ntds ok=0", FakeVssLibrary.LogLines);
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("BackupComplete"));   // so no BackupComplete-driven truncation
        Assert.Equal(7, world.LiveArchivedLogs.Count);
        VssSourceTests.AssertNothingLeaked();
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));
}
