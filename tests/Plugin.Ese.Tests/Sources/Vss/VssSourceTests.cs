using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Windows.Vss;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>Discovery and whole backups through the real interop and requester against the vssapi.dll ABI fake.</summary>
[Collection(FakeVssCollection.Name)]
public sealed class VssSourceTests
{
    [FakeVssFact]
    public async Task Discovery_finds_only_the_ese_writer_component_among_the_machines_writers()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();

        var targets = await FakeVssWorld.DiscoverAsync(source);

        var target = Assert.Single(targets);
        Assert.Equal(TargetKind.VssWriter, target.Kind);
        Assert.Equal(VssTargetFactory.TargetId(FakeVssWorld.NtdsWriterId, world.LogicalPath, "ntds"), target.Id);
        Assert.Equal(Path.Combine(world.DatabaseDirectory, "SRUDB.dat"), Assert.Single(target.Databases).Path);
        Assert.Equal("SRU", target.Logs!.BaseName);
        Assert.Equal(Path.Combine(world.DatabaseDirectory, "SRU.chk"), target.CheckpointPath);
        Assert.Equal(world.InstanceId, target.Vss!.WriterInstanceId);
        Assert.Equal("NTDS", target.Vss.WriterName);
        Assert.Null(source.LastDiscoveryError);

        // Discovery copies nothing: no snapshot set, every object and string released.
        Assert.Equal(0, FakeVssLibrary.Count("StartSnapshotSet"));
        Assert.Equal(1, FakeVssLibrary.Count("SetBackupState select=1 bootable=0 type=5 partial=0"));
        Assert.Equal(1, FakeVssLibrary.Count("GatherWriterMetadata"));
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Copy_backup_reads_the_shadow_copy_tells_the_writer_and_never_truncates()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);

        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        Assert.Null(start.Error);
        await using var session = (VssSession)start.Session!;
        Assert.Equal("vss", session.Strategy);

        // The files come from the shadow device, in ESE order, without reserve or pre-formatted logs.
        var shadowFiles = session.Files.OfType<ShadowCopySourceFile>().ToList();
        Assert.All(shadowFiles, f => Assert.StartsWith(world.ShadowRoot, f.ShadowPath, StringComparison.Ordinal));
        Assert.All(shadowFiles, f => Assert.StartsWith(world.DatabaseDirectory, f.SourcePath, StringComparison.Ordinal));
        Assert.Equal(
            ["SRUDB.dat", "SRU00019.log", "SRU0001A.log", "SRU0001B.log", "SRU0001C.log", "SRU0001D.log", "SRU0001E.log", "SRU0001F.log", "SRU00020.log", "SRU.chk", "vss-writer-metadata.xml"],
            session.Files.Select(f => f.RelativePath));
        var current = Assert.Single(session.Files, f => f.WasCurrentLog);
        Assert.Equal(32, current.Generation);
        Assert.EndsWith("SRU.log", current.SourcePath, StringComparison.Ordinal);
        Assert.Equal(25, session.Files.Single(f => f.RelativePath == "SRU00019.log").Generation);

        var staged = await FakeEngine.StageAsync(session, world.Temp.Combine("set"));
        foreach (var f in staged.Where(f => f.Role != FileRole.Other))
        {
            var original = f.Log?.WasCurrentLog == true ? "SRU.log" : f.Path;
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestData.Ese(FakeVssWorld.EseSet, original)))), f.Sha256);
        }

        var outcome = await session.OnStagedAsync(new StagedSetInfo(world.Temp.Combine("set"), staged, 0), CancellationToken.None);
        Assert.Equal(new TruncationPlan(TruncationMode.Never, TruncationPerformer.None), outcome.Truncation);
        var manifest = FakeEngine.Manifest(target, BackupKind.Copy, "set", staged, outcome);
        var document = VssBackupComponentsDocument.Parse(manifest.VssBackupComponentsDocument!);
        Assert.Equal(VssBackupType.Copy, document.BackupType);
        Assert.Equal(session.Requester.SnapshotSetId, document.SnapshotSetId);
        Assert.True(document.FindComponent(FakeVssWorld.NtdsWriterId, world.LogicalPath, "ntds")!.BackupSucceeded);

        var report = await session.CompleteAsync(manifest, hostSucceeded: true, CancellationToken.None);

        Assert.Equal(TruncationStatus.NotAllowed, report.Status);
        Assert.Equal(TruncationPerformer.None, report.PerformedBy);
        Assert.Equal(7, world.LiveArchivedLogs.Count);
        // Discovery and the backup both declare VSS_BT_COPY (5).
        Assert.Equal(2, FakeVssLibrary.Count("SetBackupState select=1 bootable=0 type=5 partial=0"));
        Assert.Equal(1, FakeVssLibrary.Count("BackupComplete"));
        Assert.Equal(0, FakeVssLibrary.Count("AbortBackup"));
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Full_backup_follows_the_sequence_and_delegates_truncation_to_the_writer()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        var before = FakeVssLibrary.LogLines.Length;

        var (report, outcome) = await RunAsync(world, source, target, BackupKind.Full, hostSucceeded: true);

        var calls = FakeVssLibrary.LogLines.Skip(before).Select(l => l.Split(' ')[0]).ToList();
        var expected = new[]
        {
            "CreateVssBackupComponents", "InitializeForBackup", "SetContext", "SetBackupState", "GatherWriterMetadata", "GatherWriterStatus",
            "AddComponent", "FreeWriterMetadata", "StartSnapshotSet", "IsVolumeSupported", "AddToSnapshotSet", "PrepareForBackup",
            "GatherWriterStatus", "DoSnapshotSet", "GatherWriterStatus", "SetBackupSucceeded", "SaveAsXML", "BackupComplete",
            "GatherWriterStatus", "SaveAsXML", "DeleteSnapshots", "Release",
        };
        Assert.Equal(expected, calls.Where(c => !c.StartsWith("Truncate", StringComparison.Ordinal)));
        Assert.Contains("SetBackupState select=1 bootable=0 type=1 partial=0", FakeVssLibrary.LogLines);
        Assert.Contains($"SetBackupSucceeded lp={world.LogicalPath} name=ntds ok=1", FakeVssLibrary.LogLines);
        Assert.Equal(0, FakeVssLibrary.Count("AbortBackup"));

        Assert.Equal(new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.VssWriter) { ExpectedRange = new GenerationRange(25, 31) }, outcome.Truncation);
        Assert.Equal(TruncationStatus.DelegatedToWriter, report.Status);
        Assert.Equal(TruncationPerformer.VssWriter, report.PerformedBy);
        Assert.Equal(new GenerationRange(25, 31), report.Range);
        Assert.True(report.HostSucceeded);
        // The simulated ESE writer really dropped the logs below its checkpoint (generation 32) at BackupComplete.
        Assert.Contains("Truncate below generation 32: removed 7 log(s)", FakeVssLibrary.LogLines);
        Assert.Empty(world.LiveArchivedLogs);
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Database_and_logs_on_two_volumes_are_shadow_copied_together()
    {
        using var world = new FakeVssWorld(otherWriters: false, logsOnSecondVolume: true);
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);

        var start = await source.BeginAsync(world.Context(target, BackupKind.Full), CancellationToken.None);
        Assert.Null(start.Error);
        var session = (VssSession)start.Session!;
        Assert.Equal(2, FakeVssLibrary.Count("AddToSnapshotSet"));
        Assert.Equal(2, session.Requester.Volumes.Select(v => v.DeviceObject).Distinct().Count());
        var files = session.Files.OfType<ShadowCopySourceFile>().ToList();
        Assert.StartsWith(session.Requester.Volumes[0].DeviceObject!, files.Single(f => f.Role == FileRole.Database).ShadowPath, StringComparison.Ordinal);
        Assert.All(files.Where(f => f.Role != FileRole.Database), f => Assert.StartsWith(session.Requester.Volumes[1].DeviceObject!, f.ShadowPath, StringComparison.Ordinal));
        Assert.Equal(9, files.Count(f => f.Role == FileRole.Log || f.Role == FileRole.Checkpoint));

        var staged = await FakeEngine.StageAsync(session, world.Temp.Combine("set"));
        var outcome = await session.OnStagedAsync(new StagedSetInfo(world.Temp.Combine("set"), staged, 0), CancellationToken.None);
        var report = await session.CompleteAsync(FakeEngine.Manifest(target, BackupKind.Full, "set", staged, outcome), true, CancellationToken.None);
        Assert.Equal(TruncationStatus.DelegatedToWriter, report.Status);
        Assert.Empty(world.LiveArchivedLogs);
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Incremental_backup_of_a_writer_that_declares_it_stages_only_the_new_logs()
    {
        using var world = new FakeVssWorld("Microsoft Exchange Writer", FakeVssWorld.ExchangeWriterId, VssBackupSchema.Incremental | VssBackupSchema.Differential);
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        Assert.Contains(BackupKind.Incremental, target.SupportedBackupKinds);
        var chain = new[] { new CatalogEntry(PreviousFull(target, high: 30), CatalogSetState.Completed, DateTimeOffset.UtcNow) };

        var start = await source.BeginAsync(world.Context(target, BackupKind.Incremental, chain), CancellationToken.None);
        Assert.Null(start.Error);
        await using var session = (VssSession)start.Session!;
        Assert.Equal(["SRU0001E.log", "SRU0001F.log", "SRU00020.log", "vss-writer-metadata.xml"], session.Files.Select(f => f.RelativePath));
        Assert.Contains("SetBackupState select=1 bootable=0 type=2 partial=0", FakeVssLibrary.LogLines);

        var staged = await FakeEngine.StageAsync(session, world.Temp.Combine("inc"));
        var outcome = await session.OnStagedAsync(new StagedSetInfo(world.Temp.Combine("inc"), staged, 0), CancellationToken.None);
        Assert.Equal(TruncationPerformer.VssWriter, outcome.Truncation.Performer);
        Assert.Equal(new GenerationRange(30, 31), outcome.Truncation.ExpectedRange);
        var report = await session.CompleteAsync(FakeEngine.Manifest(target, BackupKind.Incremental, "inc", staged, outcome), true, CancellationToken.None);
        Assert.Equal(TruncationStatus.DelegatedToWriter, report.Status);
        Assert.Equal(1, FakeVssLibrary.Count("BackupComplete"));
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Incremental_needs_a_full_first_and_a_writer_that_declares_incremental()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        var calls = FakeVssLibrary.LogLines.Length;

        var noChain = await source.BeginAsync(world.Context(target, BackupKind.Incremental), CancellationToken.None);
        Assert.Equal(ErrorCodes.MissingFullBackup, noChain.Error!.Code);
        Assert.Equal(calls, FakeVssLibrary.LogLines.Length);

        var chain = new[] { new CatalogEntry(PreviousFull(target, high: 30), CatalogSetState.Completed, DateTimeOffset.UtcNow) };
        var ntds = await source.BeginAsync(world.Context(target, BackupKind.Incremental, chain), CancellationToken.None);
        Assert.Equal(ErrorCodes.InvalidBackup, ntds.Error!.Code);
        Assert.Contains("does not declare incremental", ntds.Error.Message, StringComparison.Ordinal);
        Assert.Equal(0, FakeVssLibrary.Count("StartSnapshotSet"));
        Assert.Equal(0, FakeVssLibrary.Count("AbortBackup"));
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Host_failure_after_staging_reports_false_and_sends_no_backup_complete()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);

        var (report, _) = await RunAsync(world, source, target, BackupKind.Full, hostSucceeded: false);

        Assert.Equal(TruncationStatus.Skipped, report.Status);
        Assert.Equal(TruncationPerformer.None, report.PerformedBy);
        Assert.False(report.HostSucceeded);
        var lines = FakeVssLibrary.LogLines;
        var ok = Array.FindIndex(lines, l => l.EndsWith("ok=1", StringComparison.Ordinal));
        var failed = Array.FindIndex(lines, l => l.EndsWith("ok=0", StringComparison.Ordinal));
        Assert.True(ok >= 0 && failed > ok, "the verdict must be withdrawn after the host failed");
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("BackupComplete"));
        Assert.Equal(7, world.LiveArchivedLogs.Count);
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Corrupt_page_in_the_snapshot_aborts_with_false_and_nothing_is_truncated()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        var start = await source.BeginAsync(world.Context(target, BackupKind.Full), CancellationToken.None);
        await using var session = (VssSession)start.Session!;

        // Damage one byte of a database page inside the shadow copy, as a bad sector would.
        var database = session.Files.OfType<ShadowCopySourceFile>().Single(f => f.Role == FileRole.Database);
        await using (var stream = new FileStream(database.ShadowPath, FileMode.Open, FileAccess.ReadWrite))
        {
            stream.Position = 4096 * 5 + 100;
            var b = stream.ReadByte();
            stream.Position--;
            stream.WriteByte((byte)(b ^ 0x40));
        }

        // The engine: reads every file, finds the page differs from what was written (its checksum check), aborts.
        var staged = await FakeEngine.StageAsync(session, world.Temp.Combine("set"));
        var stagedDb = staged.Single(f => f.Role == FileRole.Database);
        Assert.NotEqual(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestData.Ese(FakeVssWorld.EseSet, "SRUDB.dat")))), stagedDb.Sha256);
        await session.AbortAsync(new PluginError(ErrorCodes.ReadVerifyFailure, "page 4 of SRUDB.dat failed checksum verification") { Page = 4 });

        Assert.Contains($"SetBackupSucceeded lp={world.LogicalPath} name=ntds ok=0", FakeVssLibrary.LogLines);
        Assert.Equal(0, FakeVssLibrary.Count($"SetBackupSucceeded lp={world.LogicalPath} name=ntds ok=1"));
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("BackupComplete"));
        Assert.Equal(7, world.LiveArchivedLogs.Count);
        Assert.True(session.HasEnded);

        // Abort is idempotent, and a later completion reports that nothing happened.
        await session.AbortAsync(null);
        var report = await session.CompleteAsync(FakeEngine.Manifest(target, BackupKind.Full, "set", staged, new StagedOutcome(VssTruncation.Plan(BackupKind.Full, staged))), true, CancellationToken.None);
        Assert.Equal(TruncationStatus.Skipped, report.Status);
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_second_backup_of_the_same_target_waits_for_the_first()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        var first = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        await using (first.Session!)
        {
            var second = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
            Assert.Equal(ErrorCodes.BackupInProgress, second.Error!.Code);
        }

        var third = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        Assert.Null(third.Error);
        await third.Session!.DisposeAsync();
        // Disposing an unfinished session aborts it.
        Assert.Equal(2, FakeVssLibrary.Count("AbortBackup"));
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Process_com_security_is_set_once_with_the_reference_values()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var source = world.CreateSource();
        _ = await FakeVssWorld.DiscoverAsync(source);
        _ = await FakeVssWorld.DiscoverAsync(source);

        Assert.Equal(1, FakeVssLibrary.SecurityCalls);
        var args = FakeVssLibrary.SecurityArguments;
        Assert.Equal((-1, 6u, 3u, 0x20u, 0u), args);
        // The fake exports both names Windows' vssapi.dll has; the requester binds the one Windows binds first.
        Assert.Equal("CreateVssBackupComponentsInternal", VssFake.CreateExportBound);
        Assert.Contains("CreateVssBackupComponents export=Internal", FakeVssLibrary.LogLines);
        Assert.DoesNotContain("CreateVssBackupComponents export=decorated", FakeVssLibrary.LogLines);
    }

    [FakeVssFact]
    public void Without_the_internal_export_the_decorated_name_is_bound_from_the_same_library()
    {
        // The fallback order, run against the real fake library with the first name hidden (older vssapi.dll builds).
        var library = System.Runtime.InteropServices.NativeLibrary.Load(Path.Combine(AppContext.BaseDirectory, "vssapi.dll"));
        nint Lookup(string name) => System.Runtime.InteropServices.NativeLibrary.TryGetExport(library, name, out var a) ? a : 0;
        var names = VssNative.CreateBackupComponentsExports(System.Runtime.InteropServices.Architecture.X64);

        var first = VssNative.ResolveFirst(names, Lookup);
        var fallback = VssNative.ResolveFirst(names, n => n == "CreateVssBackupComponentsInternal" ? 0 : Lookup(n));

        Assert.Equal("CreateVssBackupComponentsInternal", first!.Value.Name);
        Assert.Equal("?CreateVssBackupComponents@@YAJPEAPEAVIVssBackupComponents@@@Z", fallback!.Value.Name);
        Assert.NotEqual(first.Value.Address, fallback.Value.Address);
    }

    [FakeVssFact]
    public async Task The_public_constructor_enables_the_native_path_from_options()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var options = new VssSourceOptions { NativeLibraryDirectory = AppContext.BaseDirectory };
        var source = new VssSource(options, world.Journal);

        Assert.True(source.Capabilities.Available);
        Assert.Equal(TargetKind.VssWriter, source.Kind);
        Assert.Equal([BackupKind.Full, BackupKind.Incremental, BackupKind.Copy], source.Capabilities.BackupKinds);
        Assert.Equal(TruncationPerformer.VssWriter, source.Capabilities.Truncation);
        Assert.False(source.Capabilities.TruncatesDuringBackup);
        Assert.Equal(["vss"], source.Capabilities.Strategies);
        Assert.Single(await FakeVssWorld.DiscoverAsync(source));
    }

    [FakeVssFact]
    public async Task Writer_class_include_and_exclude_lists_reach_vss_and_keep_the_target_writer()
    {
        using var world = new FakeVssWorld();
        var target = await world.TargetAsync(world.CreateSource());
        var options = world.Options;
        options.ExcludeWriterClasses.Add(FakeVssWorld.SystemWriterId);
        options.ExcludeWriterClasses.Add(FakeVssWorld.NtdsWriterId);
        var source = world.CreateSource(options);

        // Discovery honours the list as it stands: an excluded writer is not offered.
        Assert.Empty(await FakeVssWorld.DiscoverAsync(source));
        Assert.Contains($"DisableWriterClasses {FakeVssWorld.SystemWriterId}", FakeVssLibrary.LogLines);
        Assert.Contains($"DisableWriterClasses {FakeVssWorld.NtdsWriterId}", FakeVssLibrary.LogLines);
        var before = FakeVssLibrary.LogLines.Length;

        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        Assert.Null(start.Error);
        await start.Session!.DisposeAsync();
        // A backup never excludes the writer it backs up.
        Assert.Contains($"DisableWriterClasses {FakeVssWorld.SystemWriterId}", FakeVssLibrary.LogLines.Skip(before));
        Assert.DoesNotContain($"DisableWriterClasses {FakeVssWorld.NtdsWriterId}", FakeVssLibrary.LogLines.Skip(before));

        var only = new VssSourceOptions { AsyncWaitSlice = TimeSpan.FromMilliseconds(20) };
        only.IncludeWriterClasses.Add(FakeVssWorld.SystemWriterId);
        var restricted = world.CreateSource(only);
        var started = await restricted.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        Assert.Null(started.Error);
        await started.Session!.DisposeAsync();
        Assert.Contains($"EnableWriterClasses {FakeVssWorld.NtdsWriterId}", FakeVssLibrary.LogLines);
        AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Pending_async_operations_are_waited_for_until_they_finish()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("GatherWriterMetadata", 1, 1, FakeFault.Pending, 5);
        VssFake.SetFault("DoSnapshotSet", 1, 1, FakeFault.Pending, 3);
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);

        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);
        Assert.Null(start.Error);
        await start.Session!.DisposeAsync();
        AssertNothingLeaked();
    }

    internal static async Task<(TruncationReport Report, StagedOutcome Outcome)> RunAsync(FakeVssWorld world, VssSource source, BackupTarget target, BackupKind kind, bool hostSucceeded)
    {
        var start = await source.BeginAsync(world.Context(target, kind), CancellationToken.None);
        Assert.Null(start.Error);
        await using var session = start.Session!;
        var directory = world.Temp.Combine("set-" + Guid.NewGuid().ToString("N")[..6]);
        var staged = await FakeEngine.StageAsync(session, directory);
        var outcome = await session.OnStagedAsync(new StagedSetInfo(directory, staged, 0), CancellationToken.None);
        var manifest = FakeEngine.Manifest(target, kind, Path.GetFileName(directory), staged, outcome);
        var report = await session.CompleteAsync(manifest, hostSucceeded, CancellationToken.None);
        return (report, outcome);
    }

    internal static void AssertNothingLeaked()
    {
        Assert.Equal(0, FakeVssLibrary.LiveObjects);
        Assert.Equal(0, FakeVssLibrary.LiveSnapshotSets);
        Assert.False(FakeVssLibrary.SetInProgress);
        Assert.Equal(0, FakeVssLibrary.LiveBstrs);
        Assert.Equal(0, FakeVssLibrary.LivePropertyStrings);
        Assert.DoesNotContain(FakeVssLibrary.LogLines, l => l.StartsWith("NOTIMPL", StringComparison.Ordinal));
    }

    private static BackupManifest PreviousFull(BackupTarget target, long high) => new()
    {
        SetId = "full-1",
        Target = new TargetIdentity(target.Id, target.Kind, target.DisplayName),
        Kind = BackupKind.Full,
        StartedAt = DateTimeOffset.UtcNow,
        FinishedAt = DateTimeOffset.UtcNow,
        Chain = new ChainInfo("full-1", null, 0),
        Producer = new ProducerInfo("ese", "0", "1.0", "vss", "test"),
        Files = [],
        LogRange = new GenerationRange(25, high),
        Truncation = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.VssWriter),
        Verification = new VerificationSummary(0, 0, 0, 0, 0),
    };
}
