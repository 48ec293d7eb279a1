using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using Microsoft.Extensions.Logging.Abstractions;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Sources.Vss.Requester;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>The portable requester logic on its own: waiting rules, truncation plan, path mapping, component choice.</summary>
public sealed class VssLogicTests
{
    /// <summary>A scripted IVssAsync: the QueryStatus results in order (the last one repeats).</summary>
    private sealed class ScriptedAsync(params int[] results) : IVssAsyncApi
    {
        private int _next;

        public int Waits { get; private set; }

        public int Cancels { get; private set; }

        public int Cancel()
        {
            Cancels++;
            return 0;
        }

        public int Wait(uint milliseconds)
        {
            Waits++;
            return 0;
        }

        public int QueryStatus(out int operationResult)
        {
            operationResult = Cancels > 0 ? VssHResults.VSS_S_ASYNC_CANCELLED : results[Math.Min(_next++, results.Length - 1)];
            return 0;
        }

        public void Dispose()
        {
        }
    }

    private static VssAsyncOutcome Wait(IVssAsyncApi op, TimeSpan? timeout = null, CancellationToken token = default) =>
        VssAsyncWaiter.Wait(op, timeout ?? TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1), TimeProvider.System, token);

    [Fact]
    public void Pending_is_waited_through_and_finished_is_success()
    {
        using var op = new ScriptedAsync(VssHResults.VSS_S_ASYNC_PENDING, VssHResults.VSS_S_ASYNC_PENDING, VssHResults.VSS_S_ASYNC_FINISHED);
        Assert.Equal(new VssAsyncOutcome(VssAsyncEnd.Finished, VssHResults.VSS_S_ASYNC_FINISHED), Wait(op));
        Assert.Equal(3, op.Waits);
        Assert.Equal(0, op.Cancels);
    }

    [Fact]
    public void The_inner_failure_is_the_outcome_even_though_query_status_succeeded()
    {
        using var op = new ScriptedAsync(VssHResults.VSS_S_ASYNC_PENDING, VssHResults.VSS_E_FLUSH_WRITES_TIMEOUT);
        Assert.Equal(new VssAsyncOutcome(VssAsyncEnd.Failed, VssHResults.VSS_E_FLUSH_WRITES_TIMEOUT), Wait(op));
    }

    [Fact]
    public void A_deadline_cancels_the_operation()
    {
        using var op = new ScriptedAsync(VssHResults.VSS_S_ASYNC_PENDING);
        var outcome = Wait(op, TimeSpan.FromMilliseconds(30));
        Assert.Equal(VssAsyncEnd.TimedOut, outcome.End);
        Assert.Equal(1, op.Cancels);
        Assert.True(op.Waits > 1);
    }

    [Fact]
    public void Caller_cancellation_cancels_the_operation_and_vss_cancellation_is_reported_as_such()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        using var op = new ScriptedAsync(VssHResults.VSS_S_ASYNC_PENDING);
        Assert.Equal(VssAsyncEnd.CancelledByCaller, Wait(op, token: cts.Token).End);
        Assert.Equal(1, op.Cancels);

        using var cancelled = new ScriptedAsync(VssHResults.VSS_S_ASYNC_CANCELLED);
        Assert.Equal(VssAsyncEnd.CancelledByVss, Wait(cancelled).End);
    }

    private static ManifestFile Log(long generation) => new($"SRU{generation:X5}.log", FileRole.Log, 65536, "x") { Log = new LogFacts(generation) };

    [Fact]
    public void Expected_truncation_stops_below_the_checkpoint_and_below_a_dirty_databases_first_required_log()
    {
        var files = new List<ManifestFile> { Log(25), Log(26), Log(27), Log(28), Log(29), Log(30) };
        Assert.Equal(new GenerationRange(25, 29), VssTruncation.ExpectedRange(files));

        files.Add(new ManifestFile("SRU.chk", FileRole.Checkpoint, 8192, "x") { Checkpoint = new CheckpointFacts(28) });
        Assert.Equal(new GenerationRange(25, 27), VssTruncation.ExpectedRange(files));

        files.Add(new ManifestFile("db.edb", FileRole.Database, 8192, "x") { Database = new DatabaseFacts(4096, 0x620, 0x14, "DirtyShutdown") { RequiredLogRange = new GenerationRange(26, 30) } });
        Assert.Equal(new GenerationRange(25, 25), VssTruncation.ExpectedRange(files));

        files.Add(new ManifestFile("db2.edb", FileRole.Database, 8192, "x") { Database = new DatabaseFacts(4096, 0x620, 0x14, "DirtyShutdown") { RequiredLogRange = new GenerationRange(25, 30) } });
        Assert.Null(VssTruncation.ExpectedRange(files));
        Assert.Null(VssTruncation.ExpectedRange([]));
    }

    [Fact]
    public void Copy_plans_no_truncation_and_full_or_incremental_delegate_it_to_the_writer()
    {
        var files = new[] { Log(10), Log(11) };
        Assert.Equal(new TruncationPlan(TruncationMode.Never, TruncationPerformer.None), VssTruncation.Plan(BackupKind.Copy, files));
        foreach (var kind in new[] { BackupKind.Full, BackupKind.Incremental })
        {
            var plan = VssTruncation.Plan(kind, files);
            Assert.Equal(TruncationMode.OnSuccessfulCompletion, plan.Mode);
            Assert.Equal(TruncationPerformer.VssWriter, plan.Performer);
            Assert.Equal(new GenerationRange(10, 10), plan.ExpectedRange);
        }
    }

    [Theory]
    [InlineData(@"C:\Windows\NTDS", @"C:\", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy12", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy12\Windows\NTDS")]
    [InlineData(@"C:\Windows\NTDS\", @"c:\", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3\Windows\NTDS")]
    [InlineData(@"D:\Mount\Logs", @"D:\Mount\", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy4", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy4\Logs")]
    [InlineData(@"E:\", @"E:\", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy5", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy5\")]
    [InlineData("/srv/vol/ntds", "/srv/vol/", "/srv/shadows/s1", "/srv/shadows/s1/ntds")]
    public void Paths_map_into_the_shadow_device_with_a_separator_after_the_device(string original, string mountPoint, string device, string expected)
    {
        Assert.Equal(expected, VssPaths.ToShadowPath(original, mountPoint, device));
    }

    [Fact]
    public void A_path_outside_the_volume_is_refused()
    {
        Assert.Throws<ArgumentException>(() => VssPaths.ToShadowPath(@"D:\data", @"C:\", @"\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1"));
        Assert.True(VssPaths.IsUnder(@"C:\Windows\NTDS", @"c:\windows"));
        Assert.False(VssPaths.IsUnder(@"C:\WindowsOld", @"C:\Windows"));
        Assert.Equal(@"C:\Windows\NTDS\ntds.dit", VssPaths.Join(@"C:\Windows\NTDS", "ntds.dit"));
    }

    [Fact]
    public void Mandatory_components_come_along_and_sub_components_are_implicit()
    {
        const string Xml = """
            <WRITER_METADATA version="1.2">
              <IDENTIFICATION writerId="76FE1AC4-15F7-4BCD-987E-8E1ACB462FB7" instanceId="11111111-1111-1111-1111-111111111111" friendlyName="Microsoft Exchange Writer"/>
              <BACKUP_LOCATIONS>
                <DATABASE logicalPath="Microsoft Exchange Server\Microsoft Information Store\SRV" componentName="db1" selectable="yes">
                  <DATABASE_FILES path="D:\db1" filespec="db1.edb"/>
                  <DATABASE_LOGFILES path="D:\db1" filespec="E00*.log"/>
                </DATABASE>
                <FILE_GROUP logicalPath="Microsoft Exchange Server\Microsoft Information Store\SRV\db1" componentName="extra" selectable="no">
                  <FILE_LIST path="D:\db1\extra" filespec="*"/>
                </FILE_GROUP>
                <DATABASE logicalPath="Microsoft Exchange Server\Microsoft Information Store\SRV" componentName="db2" selectable="yes">
                  <DATABASE_FILES path="E:\db2" filespec="db2.edb"/>
                </DATABASE>
                <FILE_GROUP componentName="Always" selectable="no">
                  <FILE_LIST path="F:\cfg" filespec="*.xml"/>
                </FILE_GROUP>
              </BACKUP_LOCATIONS>
            </WRITER_METADATA>
            """;
        var writer = VssWriterMetadataParser.Parse(Xml);
        var known = EseWriterCatalog.Recognize(writer)!;

        var plan = VssBackupPlan.Create(writer, known, writer.InstanceId, @"Microsoft Exchange Server\Microsoft Information Store\SRV", "DB1")!;

        Assert.Equal(["db1", "Always"], plan.Explicit.Select(c => c.Name));
        Assert.Equal(["db1", "extra", "Always"], plan.WithFiles.Select(c => c.Name));
        Assert.Equal([@"D:\db1", @"D:\db1\extra", @"F:\cfg"], plan.Directories);
        Assert.All(plan.Selection, s => Assert.Equal(writer.WriterId, s.WriterId));
        Assert.Null(VssBackupPlan.Create(writer, known, writer.InstanceId, "nope", "db1"));
    }

    [Fact]
    public void File_spec_backup_type_masks_select_what_each_backup_type_copies()
    {
        var all = new VssFileDescriptor("p", "*", false) { BackupTypeMask = (VssFileSpecBackupType)3855 };
        var fullOnly = new VssFileDescriptor("p", "*", false) { BackupTypeMask = VssFileSpecBackupType.FullBackupRequired | VssFileSpecBackupType.FullSnapshotRequired };
        var unstated = new VssFileDescriptor("p", "*", false);
        Assert.True(all.AppliesTo(VssBackupType.Incremental));
        Assert.False(fullOnly.AppliesTo(VssBackupType.Incremental));
        Assert.True(fullOnly.AppliesTo(VssBackupType.Copy));
        Assert.True(unstated.AppliesTo(VssBackupType.Incremental));
    }

    [Fact]
    public async Task The_requester_refuses_steps_out_of_order()
    {
        await using var requester = new VssBackupRequester(new NoVss(), new VssSourceOptions(), new InMemoryVssSnapshotSetJournal(), NullLogger.Instance, TimeProvider.System, "t");
        Assert.Equal(VssRequesterState.Created, requester.State);
        await Assert.ThrowsAsync<InvalidOperationException>(() => requester.SetBackupSucceededAsync(true, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => requester.CreateSnapshotSetAsync(["C:\\"], CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => requester.BackupCompleteAsync(CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => requester.GatherWriterMetadataAsync(CancellationToken.None));

        // Nothing was started: aborting has nothing to tell VSS.
        await requester.AbortAsync();
        Assert.Equal(VssRequesterState.Failed, requester.State);
    }

    [Fact]
    public async Task Without_vss_the_source_says_why_and_refuses_backups()
    {
        var source = new VssSource(new VssSourceOptions(), new InMemoryVssSnapshotSetJournal(), api: null, logger: null, time: null, unavailableReason: "VSS needs Windows (vssapi.dll).");
        Assert.False(source.Capabilities.Available);
        Assert.Equal("VSS needs Windows (vssapi.dll).", source.Capabilities.UnavailableReason);
        var target = new BackupTarget { Id = "vss-x", Kind = TargetKind.VssWriter, DisplayName = "x", Vss = new VssComponentInfo(Guid.NewGuid(), "w", "", "c") };
        var start = await source.BeginAsync(new Ese.Engine.Ports.SourceBackupContext(target, BackupKind.Copy, null, [], "s", "w"), CancellationToken.None);
        Assert.Equal(Abstractions.Errors.ErrorCodes.PlatformNotSupported, start.Error!.Code);
        await foreach (var unexpected in source.DiscoverAsync(new DiscoveryRequest(), CancellationToken.None))
        {
            Assert.Fail("discovered " + unexpected.Id + " without VSS");
        }
    }

    /// <summary>An IVssApi that must never be called.</summary>
    private sealed class NoVss : IVssApi
    {
        public int ComSecurityResult => 0;

        public Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken) => throw new InvalidOperationException("no VSS call expected");

        public int CreateBackupComponents(out IVssBackupComponentsApi? components) => throw new InvalidOperationException("no VSS call expected");

        public int GetVolumePathName(string path, out string? mountPoint) => throw new InvalidOperationException("no VSS call expected");

        public int GetVolumeNameForVolumeMountPoint(string mountPoint, out string? volumeName) => throw new InvalidOperationException("no VSS call expected");
    }
}
