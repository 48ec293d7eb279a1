using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Sources.Esent;
using Microsoft.Extensions.Configuration;

namespace EseBackupPlugin.Ese.Tests.Integration;

/// <summary>
/// In-process instance targets through the whole plugin (composition root, engine, Format verification, restore)
/// against the esent.dll ABI fake: a real SRUM file set (logs 25–32, checkpoint 32) is configured as
/// <c>EsePlugin:EsentInstances:FileSets</c>, opened in a private instance on first discovery, backed up with both
/// strategies, completed, verified and restored.
/// </summary>
[Collection(FakeEsentCollection.Name)]
public sealed class PluginEsentTests : FakeEsentTestBase
{
    private readonly InMemoryBackupCatalog _catalog = new();

    private string Staging => Temp.Combine("staging");

    private string ArchivedLog(long generation) => Path.Combine(SetDirectory, $"SRU{generation:X5}.log");

    /// <summary>The plugin as a host creates it: configuration only (the fake is found through NativeLibraryDirectory).</summary>
    private EsePlugin CreatePlugin(string? defaultStrategy = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["EsentInstances:NativeLibraryDirectory"] = AppContext.BaseDirectory,
            ["EsentInstances:FileSets:0:Directory"] = SetDirectory,
            ["EsentInstances:FileSets:0:BaseName"] = "SRU",
            ["Engine:LockDirectory"] = Temp.Combine("locks"),
            ["StateDirectory"] = Temp.Combine("state"),
        };
        if (defaultStrategy is not null)
        {
            settings["EsentInstances:DefaultStrategy"] = defaultStrategy;
        }

        return new EsePlugin(null, new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), _catalog);
    }

    /// <summary>Discovery of in-process instances only: the vssapi.dll fake belongs to another test collection.</summary>
    private static async Task<List<BackupTarget>> DiscoverAsync(EsePlugin plugin, params TargetKind[] kinds)
    {
        var list = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = kinds }))
        {
            list.Add(t);
        }

        return list;
    }

    private static async Task<List<BackupTarget>> DiscoverAsync(EsentInstanceSource source)
    {
        var list = new List<BackupTarget>();
        await foreach (var t in source.DiscoverAsync(new DiscoveryRequest(), CancellationToken.None))
        {
            list.Add(t);
        }

        return list;
    }

    private async Task<BackupResult> BackupAsync(EsePlugin plugin, string targetId, BackupKind kind, string? strategy)
    {
        var result = await plugin.BackupAsync(new BackupRequest(targetId, kind, Staging) { CreateStagingDirectory = true, Strategy = strategy });
        Assert.True(result.Succeeded, result.Error?.ToString());
        return result;
    }

    [FakeEsentFact]
    public async Task Two_instances_over_copies_of_one_log_stream_get_ids_naming_their_log_folders()
    {
        // A test restore of the same set opened beside production: one log signature, two instances.
        var copy = CopySet(SetName, Temp.Combine("test-restore"));
        var settings = new Dictionary<string, string?>
        {
            ["EsentInstances:NativeLibraryDirectory"] = AppContext.BaseDirectory,
            ["EsentInstances:FileSets:0:Directory"] = SetDirectory,
            ["EsentInstances:FileSets:0:BaseName"] = "SRU",
            ["EsentInstances:FileSets:1:Directory"] = copy,
            ["EsentInstances:FileSets:1:BaseName"] = "SRU",
            ["Engine:LockDirectory"] = Temp.Combine("locks"),
            ["StateDirectory"] = Temp.Combine("state"),
        };
        await using var plugin = new EsePlugin(null, new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), _catalog);

        var targets = await DiscoverAsync(plugin, TargetKind.InProcessInstance);

        Assert.Equal(2, targets.Count);
        Assert.NotEqual(targets[0].Id, targets[1].Id);
        var bare = targets[0].Id.Split('@')[0];
        Assert.All(targets, t => Assert.StartsWith(bare + "@", t.Id, StringComparison.Ordinal));
        var production = Assert.Single(targets, t => t.Logs!.Directory.TrimEnd('/') == SetDirectory);
        Assert.Contains(production.Warnings, w => w.Message.Contains(copy, StringComparison.Ordinal));

        var refused = await plugin.BackupAsync(new BackupRequest(bare, BackupKind.Full, Staging) { CreateStagingDirectory = true });
        Assert.Equal(ErrorCodes.InvalidParameter, refused.Error!.Code);
        Assert.Contains(SetDirectory, refused.Error.Message, StringComparison.Ordinal);
        Assert.Contains(copy, refused.Error.Message, StringComparison.Ordinal);

        var full = await BackupAsync(plugin, production.Id, BackupKind.Full, EsentStrategies.Streaming);
        Assert.Equal(production.Id, full.Manifest!.Target.Id);
        Assert.All(full.Manifest.Files.Where(f => f.SourcePath is not null), f => Assert.StartsWith(SetDirectory, f.SourcePath!, StringComparison.Ordinal));
        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(full.Manifest, Succeeded: false));
        Assert.Null(completion.Error);
    }

    [FakeEsentFact]
    public async Task Discovery_opens_the_configured_file_set_and_dispose_terminates_it()
    {
        var plugin = CreatePlugin();
        var capabilities = Assert.Single(plugin.Info.Capabilities.TargetKinds, k => k.Kind == TargetKind.InProcessInstance);
        Assert.True(capabilities.Available);
        Assert.Equal(0, FakeEsent.CallCount("JetInit3W"));   // nothing is opened before the first discovery

        var target = Assert.Single(await DiscoverAsync(plugin, TargetKind.InProcessInstance));
        Assert.Equal(TargetKind.InProcessInstance, target.Kind);
        Assert.StartsWith(EsentTargetIdentity.SignaturePrefix, target.Id, StringComparison.Ordinal);
        Assert.Equal(Database, Assert.Single(target.Databases).Path);
        Assert.Equal(SetDirectory, target.Logs!.Directory);
        var currentLog = LogFileHeader.Read(File.ReadAllBytes(Path.Combine(SetDirectory, "SRU.log")));
        Assert.Equal(currentLog.Signature.ToString(), target.Logs.LogSignature);   // the Format library's signature text
        Assert.Equal(1, FakeEsent.CallCount("JetInit3W"));

        // A second discovery lists the same instance; it does not open the set again.
        Assert.Equal(target.Id, Assert.Single(await DiscoverAsync(plugin, TargetKind.InProcessInstance)).Id);
        Assert.Equal(1, FakeEsent.CallCount("JetInit3W"));

        await plugin.DisposeAsync();
        Assert.Contains("JetTerm2", FakeEsent.CallLog());
        var again = CreatePlugin();
        await using (again)
        {
            Assert.Equal(target.Id, Assert.Single(await DiscoverAsync(again, TargetKind.InProcessInstance)).Id);   // the instance name is free again, the id is the same
        }
    }

    [FakeEsentFact]
    public async Task A_file_set_that_cannot_be_opened_is_reported_and_tried_again_while_the_others_are_listed()
    {
        var missing = Temp.Combine("not-there-yet");
        var source = new EsentInstanceSource(new EsentSourceOptions
        {
            NativeLibraryDirectory = AppContext.BaseDirectory,
            FileSets = { new EsentFileSetSpec(missing), new EsentFileSetSpec(SetDirectory) },
        });
        await using (source)
        {
            var target = Assert.Single(await DiscoverAsync(source));
            Assert.Equal(Database, Assert.Single(target.Databases).Path);
            var error = Assert.Single(source.FileSetErrors);
            Assert.Equal(-1023, error.Code.EseError);   // JET_errInvalidPath, naming the directory
            Assert.Contains(missing, error.Message, StringComparison.Ordinal);

            // Once the directory holds a set (another copy of the same stream, so the same id), the next discovery opens it.
            CopySet(SetName, missing);
            Assert.Equal(2, (await DiscoverAsync(source)).Count);
            Assert.Empty(source.FileSetErrors);
        }

        Assert.Equal(2, FakeEsent.CallLog().Count(c => c == "JetTerm2"));   // dispose terminated both private instances
        Assert.Empty(await DiscoverAsync(new EsentInstanceSource(Options)));
    }

    [Fact]
    public void Bad_settings_fail_the_plugin_naming_the_key()
    {
        var settings = new Dictionary<string, string?>
        {
            ["EsentInstances:FileSets:0:Directory"] = SetDirectory,
            ["EsentInstances:FileSets:0:BaseName"] = "SRUDB",
        };
        if (!OperatingSystem.IsWindows())
        {
            settings["EsentInstances:NativeLibraryDirectory"] = Temp.Path;   // holds no esent.dll
        }

        var ex = Assert.Throws<InvalidOperationException>(() => new EsePlugin(null, new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));
        Assert.Contains("EsePlugin:EsentInstances:FileSets:0:BaseName", ex.Message, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Contains("EsePlugin:EsentInstances:NativeLibraryDirectory", ex.Message, StringComparison.Ordinal);
        }
    }

    [FakeEsentFact]
    public async Task JetBackupInstance_full_and_incremental_through_the_engine_then_verify_and_restore()
    {
        await using var plugin = CreatePlugin();
        var target = Assert.Single(await DiscoverAsync(plugin, TargetKind.InProcessInstance));

        // Full: ESE writes the set and truncates itself during phase one.
        var full = await BackupAsync(plugin, target.Id, BackupKind.Full, EsentStrategies.BackupInstance);
        var manifest = full.Manifest!;
        Assert.Equal(EsentStrategies.BackupInstance, manifest.Producer.Strategy);
        Assert.Equal(["SRUDB.dat", "SRUDB.pat", "SRU00020.log"], manifest.Files.Select(f => f.Path));
        Assert.Equal([FileRole.Database, FileRole.Patch, FileRole.Log], manifest.Files.Select(f => f.Role));
        AssertHashesMatch(full);
        var db = manifest.Files[0].Database!;
        Assert.Equal(4096, db.PageSize);
        Assert.True(db.HasBackupTrailer, "a JetBackupInstance image ends with the trailer page");
        Assert.True(db.PagesVerified > 0);
        Assert.Equal(32, manifest.Files[2].Log!.Generation);
        Assert.Equal(new GenerationRange(32, 32), manifest.LogRange);
        Assert.Equal(new TruncationPlan(TruncationMode.DuringBackup, TruncationPerformer.Ese) { ExpectedRange = new GenerationRange(25, 32) }, manifest.Truncation);
        var engine = full.EngineTruncation!;
        Assert.Equal(TruncationStatus.DoneByEngine, engine.Status);
        Assert.Equal(TruncationPerformer.Ese, engine.PerformedBy);
        Assert.Equal(Enumerable.Range(25, 8).Select(g => (long)g), engine.Removed.Select(r => r.Generation));
        Assert.False(File.Exists(ArchivedLog(25)));

        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.Null(completion.Error);
        Assert.Equal(TruncationStatus.DoneByEngine, completion.Truncation!.Status);
        Assert.Equal(TruncationPerformer.Ese, completion.Truncation.PerformedBy);

        // Incremental: only the new log; the chain links to the full.
        var inc = await BackupAsync(plugin, target.Id, BackupKind.Incremental, EsentStrategies.BackupInstance);
        Assert.Equal(["SRU00021.log"], inc.Manifest!.Files.Select(f => f.Path));
        Assert.Equal(33, inc.Manifest.Files[0].Log!.Generation);
        Assert.Equal(new ChainInfo(manifest.SetId, manifest.SetId, 1), inc.Manifest.Chain);
        Assert.Equal(TruncationMode.DuringBackup, inc.Manifest.Truncation.Mode);
        AssertHashesMatch(inc);
        Assert.Null((await plugin.CompleteBackupAsync(new CompletionRequest(inc.Manifest, true))).Error);

        await AssertVerifiesAndRestoresAsync(plugin, full, inc);
    }

    [FakeEsentFact]
    public async Task Streaming_full_and_incremental_truncate_only_when_completed_in_the_same_process()
    {
        await using var plugin = CreatePlugin(defaultStrategy: EsentStrategies.Streaming);
        var target = Assert.Single(await DiscoverAsync(plugin, TargetKind.InProcessInstance));

        var full = await BackupAsync(plugin, target.Id, BackupKind.Full, strategy: null);   // the configured default
        var manifest = full.Manifest!;
        Assert.Equal(EsentStrategies.Streaming, manifest.Producer.Strategy);
        Assert.Equal(["SRUDB.dat", "SRUDB.pat", "SRU00020.log"], manifest.Files.Select(f => f.Path));
        Assert.True(manifest.Files[0].Database!.HasBackupTrailer);
        AssertHashesMatch(full);
        Assert.Equal(new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin) { ExpectedRange = new GenerationRange(25, 32) }, manifest.Truncation);
        Assert.Null(full.EngineTruncation);
        Assert.True(File.Exists(ArchivedLog(25)), "a streaming backup truncates nothing in phase one");
        Assert.Equal(1, FakeEsent.BackupActive(HandleOf(target)));   // ESE's backup stays open until the host's verdict

        var completion = await plugin.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.Null(completion.Error);
        var report = completion.Truncation!;
        Assert.Equal(TruncationStatus.Truncated, report.Status);
        Assert.Equal(TruncationPerformer.Plugin, report.PerformedBy);
        Assert.Equal(Enumerable.Range(25, 8).Select(g => (long)g), report.Removed.Select(r => r.Generation));
        Assert.All(report.Removed, r => Assert.False(File.Exists(r.Path)));
        Assert.Equal(0x101, FakeEsent.LastEndGrbit());   // Normal | TruncateDone
        Assert.Equal(0, FakeEsent.BackupActive(HandleOf(target)));

        var inc = await BackupAsync(plugin, target.Id, BackupKind.Incremental, EsentStrategies.Streaming);
        Assert.Equal(["SRU00021.log"], inc.Manifest!.Files.Select(f => f.Path));
        Assert.Equal(new ChainInfo(manifest.SetId, manifest.SetId, 1), inc.Manifest.Chain);
        var incReport = (await plugin.CompleteBackupAsync(new CompletionRequest(inc.Manifest, true))).Truncation!;
        Assert.Equal(TruncationStatus.Truncated, incReport.Status);
        Assert.Equal([33L], incReport.Removed.Select(r => r.Generation));

        await AssertVerifiesAndRestoresAsync(plugin, full, inc);
    }

    [FakeEsentFact]
    public async Task Streaming_set_completed_by_another_plugin_instance_is_SessionLost_and_truncates_nothing()
    {
        string targetId;
        BackupManifest manifest;
        var first = CreatePlugin();
        await using (first)
        {
            targetId = Assert.Single(await DiscoverAsync(first, TargetKind.InProcessInstance)).Id;
            manifest = (await BackupAsync(first, targetId, BackupKind.Full, EsentStrategies.Streaming)).Manifest!;
            Assert.Equal(0, FakeEsent.EndAbortCount());
        }

        // The process that staged the set let go of it: ESE's backup was ended as aborted, nothing truncated.
        Assert.Equal(1, FakeEsent.EndAbortCount());
        Assert.Equal(0x2, FakeEsent.LastEndGrbit());
        Assert.Equal(0, FakeEsent.CallCount("JetTruncateLogInstance"));
        Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.FullPrev));   // ESE records no full backup

        await using var second = CreatePlugin();
        var result = await second.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.Same(ErrorCodes.SessionLost, result.Error!.Code);
        Assert.Equal(TruncationStatus.Skipped, result.Truncation!.Status);
        Assert.Equal(TruncationPerformer.None, result.Truncation.PerformedBy);
        Assert.Empty(result.Truncation.Removed);
        Assert.All(Enumerable.Range(25, 8), g => Assert.True(File.Exists(ArchivedLog(g))));
        Assert.Equal(0, FakeEsent.CallCount("JetTruncateLogInstance"));
    }

    [FakeEsentFact]
    public async Task JetBackupInstance_set_completes_in_another_plugin_instance_because_ese_already_truncated()
    {
        BackupManifest manifest;
        var first = CreatePlugin();
        await using (first)
        {
            var targetId = Assert.Single(await DiscoverAsync(first, TargetKind.InProcessInstance)).Id;
            manifest = (await BackupAsync(first, targetId, BackupKind.Full, EsentStrategies.BackupInstance)).Manifest!;
        }

        await using var second = CreatePlugin();
        var result = await second.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true));
        Assert.Null(result.Error);
        Assert.Equal(TruncationStatus.DoneByEngine, result.Truncation!.Status);
        Assert.Equal(TruncationPerformer.Ese, result.Truncation.PerformedBy);
        Assert.Equal(new GenerationRange(25, 32), result.Truncation.Range);
        Assert.Equal(0, FakeEsent.EndAbortCount());   // JetBackupInstance had finished; nothing was left to end
    }

    [FakeEsentFact]
    public async Task A_database_read_failure_fails_the_backup_through_the_engine_and_leaves_nothing()
    {
        await using var plugin = CreatePlugin();
        var target = Assert.Single(await DiscoverAsync(plugin, TargetKind.InProcessInstance));
        FakeEsent.InjectError("db-read", -1018, 0);

        var result = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, Staging) { CreateStagingDirectory = true, Strategy = EsentStrategies.Streaming });

        Assert.False(result.Succeeded);
        Assert.Same(ErrorCodes.ReadVerifyFailure, result.Error!.Code);
        Assert.Equal(Database, result.Error.File);
        Assert.Empty(Directory.EnumerateFileSystemEntries(Staging));   // nothing appears in staging
        Assert.Equal(1, FakeEsent.EndAbortCount());
        Assert.True(File.Exists(ArchivedLog(25)));
        Assert.Empty(await _catalog.GetChainAsync(target.Id));
    }

    private static nuint HandleOf(BackupTarget target)
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        Assert.True(Ese.Windows.Esent.EsentApis.Native.Instances.GetInstanceInfo(out var instances) >= 0);
        return Assert.Single(instances, i => i.Name == target.InstanceName).Instance;
    }

    /// <summary>Every manifest entry's hash is the staged file's, and the staged files verify with the Format verifier.</summary>
    private static void AssertHashesMatch(BackupResult result)
    {
        foreach (var file in result.Manifest!.Files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(result.SetDirectory!, file.Path));
            Assert.Equal(file.Size, bytes.Length);
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }
    }

    private async Task AssertVerifiesAndRestoresAsync(EsePlugin plugin, BackupResult full, BackupResult inc)
    {
        foreach (var set in new[] { full, inc })
        {
            var verified = await plugin.VerifySetAsync(new VerifySetRequest(set.SetDirectory!));
            Assert.True(verified.IsClean, string.Join("; ", verified.Findings.Select(f => f.Message)));
            var files = await plugin.VerifyFilesAsync(new VerifyFilesRequest([.. set.Manifest!.Files.Where(f => f.Role != FileRole.Patch).Select(f => Path.Combine(set.SetDirectory!, f.Path))]) { CrossFileChecks = false });
            Assert.False(files.HasCorruption || files.HasErrors, "staged files verify with the Format verifier");
        }

        // Files only: the full's database and .pat, the logs of both sets.
        var layout = Temp.Combine("restore-files");
        var restored = await plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!, inc.SetDirectory!], layout));
        Assert.True(restored.Succeeded, restored.Error?.ToString());
        Assert.Equal(["SRU00020.log", "SRU00021.log", "SRUDB.dat", "SRUDB.pat"], Directory.EnumerateFiles(layout).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(new GenerationRange(32, 33), restored.LogRange);

        // Through ESE: JetRestoreInstance (the fake) replays into a clean database at the destination.
        var destination = Temp.Combine("restore-ese");
        var eseRestored = await plugin.RestoreAsync(new RestoreRequest([full.SetDirectory!, inc.SetDirectory!], destination) { Mode = RestoreMode.EseRestore });
        Assert.True(eseRestored.Succeeded, eseRestored.Error?.ToString());
        Assert.Equal(1, FakeEsent.CallCount("JetRestoreInstanceW"));
        Assert.False(Directory.Exists(Path.Combine(destination, ".esebackup-restore-layout")), "the layout is removed once ESE restored it");
        var inspection = await plugin.InspectFileAsync(Path.Combine(destination, "SRUDB.dat"));
        Assert.Equal("CleanShutdown", inspection.Details["state"]?.GetValue<string>());
    }
}
