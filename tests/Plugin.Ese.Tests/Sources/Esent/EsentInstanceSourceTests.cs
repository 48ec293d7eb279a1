using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Sources.Esent;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>
/// The in-process instance source, end to end through the real interop against the esent.dll ABI fake:
/// a real Windows SRUM file set (logs 25–32, checkpoint 32) opened in a private instance, backed up with
/// both strategies, completed or aborted, with errors injected where the fake cannot produce them.
/// </summary>
[Collection(FakeEsentCollection.Name)]
public sealed class EsentInstanceSourceTests : FakeEsentTestBase
{
    private const int EndNormal = 0x1;
    private const int EndAbort = 0x2;
    private const int TruncateDone = 0x100;

    private readonly byte[] _liveDatabase;

    public EsentInstanceSourceTests()
    {
        _liveDatabase = File.ReadAllBytes(Database);
    }

    private string Staging => Temp.Combine("staging");

    private string ArchivedLog(long generation) => Path.Combine(SetDirectory, $"SRU{generation:X5}.log");

    [FakeEsentFact]
    public async Task Discovery_reports_the_opened_file_set_with_a_stable_id()
    {
        var source = new EsentInstanceSource(Options);
        Assert.True(source.Capabilities.Available);
        Assert.Equal([EsentStrategies.BackupInstance, EsentStrategies.Streaming], source.Capabilities.Strategies);
        Assert.Equal(TruncationPerformer.Ese, source.Capabilities.Truncation);
        Assert.True(source.Capabilities.TruncatesDuringBackup);

        string id;
        await using (var opened = await OpenAsync(source))
        {
            var target = Assert.Single(await DiscoverAsync(source));
            id = target.Id;
            Assert.Equal(opened.Target, target with { }, new TargetComparer());
            Assert.StartsWith(EsentTargetIdentity.SignaturePrefix, id, StringComparison.Ordinal);
            Assert.Equal(TargetKind.InProcessInstance, target.Kind);
            Assert.Equal(opened.InstanceName, target.InstanceName);
            var database = Assert.Single(target.Databases);
            Assert.Equal(Database, database.Path);
            Assert.Equal("CleanShutdown", database.State);
            Assert.Equal(4096, database.PageSize);
            Assert.Equal(_liveDatabase.Length, database.Size);
            Assert.NotNull(database.DatabaseSignature);
            Assert.Equal("SRU", target.Logs!.BaseName);
            Assert.Equal(SetDirectory, target.Logs.Directory);
            Assert.Equal([new GenerationRange(25, 31)], target.Logs.Present);
            Assert.Empty(target.Logs.Missing);
            Assert.Equal(32, target.Logs.CurrentGeneration);
            Assert.Equal(32, target.Logs.CheckpointGeneration);
            Assert.Equal("09a08e76-2022-03-10T19:32:38.517Z-", target.Logs.LogSignature);   // EseSignature's text, as file-set targets write it
            Assert.Equal([BackupKind.Full, BackupKind.Incremental, BackupKind.Copy], target.SupportedBackupKinds);
            Assert.Empty(await DiscoverAsync(source, TargetKind.FileSet));
        }

        Assert.Empty(await DiscoverAsync(source));
        var again = await source.OpenFileSetAsync(new EsentFileSetSpec(SetDirectory) { InstanceName = "another-name" });
        await using (again.Instance!)
        {
            Assert.Equal(id, again.Instance!.Target.Id);   // from the log signature, not the instance name
        }
    }

    [FakeEsentFact]
    public async Task Opening_a_set_sets_the_parameters_esent_needs()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        Assert.Equal("SRU", opened.Layout.BaseName);
        Assert.Equal(64, opened.Layout.LogFileSizeKiB);   // the fake refuses JetInit3 with JET_errLogFileSizeMismatch otherwise
        Assert.Equal(4096, opened.Layout.PageSize);
        var log = FakeEsent.CallLog();
        Assert.True(log.ToList().IndexOf("JetInit3W") > log.ToList().IndexOf("JetCreateInstance2W"));
        Assert.Contains("JetAttachDatabaseW", log);

        var duplicate = await source.OpenFileSetAsync(new EsentFileSetSpec(SetDirectory));
        Assert.Null(duplicate.Instance);
        Assert.Equal(-1086, duplicate.Error!.Code.EseError);   // same directory, same derived instance name
    }

    [FakeEsentFact]
    public async Task Streaming_full_then_incremental_truncate_only_in_phase_two()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var target = opened.Target;

        var (full, fullSession, fullFiles, fullOutcome) = await StageAsync(source, target, BackupKind.Full, EsentStrategies.Streaming);
        await using (fullSession)
        {
            Assert.Equal(EsentStrategies.Streaming, fullSession.Strategy);
            Assert.Equal(["SRUDB.dat", "SRUDB.pat", "SRU00020.log"], fullFiles.Select(f => f.Source.RelativePath));
            Assert.Equal([FileRole.Database, FileRole.Patch, FileRole.Log], fullFiles.Select(f => f.Source.Role));
            Assert.Equal(32, fullFiles[2].Source.Generation);
            Assert.Equal(0, fullFiles[1].Length);
            EsentImage.AssertStreamedImage(fullFiles[0].Path, _liveDatabase, 32, 32);
            Assert.Equal(File.ReadAllBytes(ArchivedLog(32)), File.ReadAllBytes(fullFiles[2].Path));
            Assert.Equal(new GenerationRange(32, 32), ((EsentStreamingSession)fullSession).CopyRange);

            Assert.Equal(TruncationMode.OnSuccessfulCompletion, fullOutcome.Truncation.Mode);
            Assert.Equal(TruncationPerformer.Plugin, fullOutcome.Truncation.Performer);
            Assert.Equal(new GenerationRange(25, 32), fullOutcome.Truncation.ExpectedRange);
            Assert.Null(fullOutcome.EngineTruncation);
            Assert.True(File.Exists(ArchivedLog(25)), "nothing is truncated before phase two");

            var manifest = SessionDriver.Manifest(full, fullSession.Strategy, fullFiles, fullOutcome.Truncation);
            var report = await fullSession.CompleteAsync(manifest, hostSucceeded: true, CancellationToken.None);
            Assert.Equal(TruncationStatus.Truncated, report.Status);
            Assert.Equal(TruncationPerformer.Plugin, report.PerformedBy);
            Assert.Equal(Enumerable.Range(25, 8).Select(g => (long)g), report.Removed.Select(r => r.Generation));
            Assert.All(report.Removed, r => Assert.Equal(65536, r.Size));
            Assert.All(report.Removed, r => Assert.False(File.Exists(r.Path)));
            Assert.Equal(new GenerationRange(25, 32), report.Range);
            Assert.Equal(EndNormal | TruncateDone, FakeEsent.LastEndGrbit());
            var calls = FakeEsent.CallLog().ToList();
            var truncInfo = calls.LastIndexOf("JetGetTruncateLogInfoInstanceW");
            Assert.True(truncInfo < calls.IndexOf("JetTruncateLogInstance"));
            Assert.True(calls.IndexOf("JetTruncateLogInstance") < calls.LastIndexOf("JetEndExternalBackupInstance2"));
            Assert.Equal((32u, 32u), EsentImage.BkInfo(Database, EsentImage.FullPrev));

            // Repeats and conflicting verdicts are the engine's state machine's (CompletionConformanceTests); a session completes once.
            await Assert.ThrowsAsync<InvalidOperationException>(async () => await fullSession.CompleteAsync(manifest, false, CancellationToken.None));
            await fullSession.AbortAsync(null);
            Assert.Equal(0, FakeEsent.EndAbortCount());    // abort after completion changes nothing

            var chain = new[] { SessionDriver.Completed(manifest) };
            var (inc, incSession, incFiles, incOutcome) = await StageAsync(source, target, BackupKind.Incremental, EsentStrategies.Streaming, chain);
            await using (incSession)
            {
                var log = Assert.Single(incFiles);
                Assert.Equal(("SRU00021.log", FileRole.Log, 33L), (log.Source.RelativePath, log.Source.Role, log.Source.Generation!.Value));
                Assert.Equal(new GenerationRange(33, 33), incOutcome.Truncation.ExpectedRange);
                var incReport = await incSession.CompleteAsync(SessionDriver.Manifest(inc, incSession.Strategy, incFiles, incOutcome.Truncation), true, CancellationToken.None);
                Assert.Equal(TruncationStatus.Truncated, incReport.Status);
                Assert.Equal([33L], incReport.Removed.Select(r => r.Generation));
                Assert.Equal((33u, 33u), EsentImage.BkInfo(Database, EsentImage.IncPrev));
            }
        }
    }

    [FakeEsentFact]
    public async Task JetBackupInstance_full_then_incremental_report_ese_truncation()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var progress = new SyncProgress(_ => { });

        var (full, session, files, outcome) = await StageAsync(source, opened.Target, BackupKind.Full, strategy: null, progress: progress);
        await using (session)
        {
            Assert.Equal(EsentStrategies.BackupInstance, session.Strategy);
            Assert.Equal(["SRUDB.dat", "SRUDB.pat", "SRU00020.log"], files.Select(f => f.Source.RelativePath));
            var newDir = Path.Combine(full.WorkDirectory, EsentStrategies.BackupInstanceDirectory, "new");
            Assert.All(files, f => Assert.Equal(Path.Combine(newDir, f.Source.RelativePath), f.Source.StagedPath));
            Assert.Equal(Database, files[0].Source.SourcePath);
            Assert.Equal(32, files[2].Source.Generation);
            EsentImage.AssertStreamedImage(files[0].Path, _liveDatabase, 32, 32);
            Assert.Equal(2, FakeEsent.CallbackCount());
            Assert.Contains(progress.Reports, r => r.Phase == ProgressPhase.Begin && r.Message!.Contains("0/100", StringComparison.Ordinal));
            Assert.Contains(progress.Reports, r => r.Phase == ProgressPhase.Complete && r.Message!.Contains("100/100", StringComparison.Ordinal));

            Assert.Equal(TruncationMode.DuringBackup, outcome.Truncation.Mode);
            Assert.Equal(TruncationPerformer.Ese, outcome.Truncation.Performer);
            var engine = outcome.EngineTruncation!;
            Assert.Equal(TruncationStatus.DoneByEngine, engine.Status);
            Assert.Equal(TruncationPerformer.Ese, engine.PerformedBy);
            Assert.Equal(Enumerable.Range(25, 8).Select(g => (long)g), engine.Removed.Select(r => r.Generation));
            Assert.False(File.Exists(ArchivedLog(25)), "ESE truncated during phase one");

            var manifest = SessionDriver.Manifest(full, session.Strategy, files, outcome.Truncation);
            var report = await session.CompleteAsync(manifest, hostSucceeded: false, CancellationToken.None);
            Assert.Equal(TruncationStatus.DoneByEngine, report.Status);
            Assert.False(report.HostSucceeded);
            Assert.Contains("cannot bring them back", report.Reason, StringComparison.Ordinal);
            Assert.Equal((32u, 32u), EsentImage.BkInfo(Database, EsentImage.FullPrev));

            var (inc, incSession, incFiles, incOutcome) = await StageAsync(source, opened.Target, BackupKind.Incremental, null, [SessionDriver.Completed(manifest)]);
            await using (incSession)
            {
                var log = Assert.Single(incFiles);   // the stand-in for generation 32 was removed again
                Assert.Equal(("SRU00021.log", 33L), (log.Source.RelativePath, log.Source.Generation!.Value));
                Assert.Equal(65536, log.Length);
                Assert.Equal([33L], incOutcome.EngineTruncation!.Removed.Select(r => r.Generation));
                var incReport = await incSession.CompleteAsync(SessionDriver.Manifest(inc, incSession.Strategy, incFiles, incOutcome.Truncation), true, CancellationToken.None);
                Assert.True(incReport.HostSucceeded);
                Assert.Equal((33u, 33u), EsentImage.BkInfo(Database, EsentImage.IncPrev));
            }
        }
    }

    [FakeEsentFact]
    public async Task Copy_backup_streams_and_never_truncates()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var explicitRefusal = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Copy, Staging, EsentStrategies.BackupInstance), CancellationToken.None);
        Assert.Equal(ErrorCodes.InvalidBackup, explicitRefusal.Error!.Code);

        var (ctx, session, files, outcome) = await StageAsync(source, opened.Target, BackupKind.Copy, strategy: null);
        await using (session)
        {
            Assert.Equal(EsentStrategies.Streaming, session.Strategy);
            Assert.Equal(TruncationMode.Never, outcome.Truncation.Mode);
            var report = await session.CompleteAsync(SessionDriver.Manifest(ctx, session.Strategy, files, outcome.Truncation), true, CancellationToken.None);
            Assert.Equal(TruncationStatus.NotAllowed, report.Status);
            Assert.Equal(TruncationPerformer.None, report.PerformedBy);
            Assert.Empty(report.Removed);
            Assert.True(File.Exists(ArchivedLog(25)));
            Assert.Equal(EndNormal, FakeEsent.LastEndGrbit());
            Assert.Equal((32u, 32u), EsentImage.BkInfo(Database, EsentImage.CopyPrev));
            Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.FullPrev));
        }
    }

    [FakeEsentFact]
    public async Task Host_failure_ends_the_stream_as_aborted_and_keeps_every_log()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var (ctx, session, files, outcome) = await StageAsync(source, opened.Target, BackupKind.Full, EsentStrategies.Streaming);
        await using (session)
        {
            var report = await session.CompleteAsync(SessionDriver.Manifest(ctx, session.Strategy, files, outcome.Truncation), hostSucceeded: false, CancellationToken.None);
            Assert.Equal(TruncationStatus.Skipped, report.Status);
            Assert.Equal(TruncationPerformer.None, report.PerformedBy);
            Assert.Equal(EndAbort, FakeEsent.LastEndGrbit());
            Assert.All(Enumerable.Range(25, 8), g => Assert.True(File.Exists(ArchivedLog(g))));
            Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.FullPrev));
            Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.CopyPrev));
        }
    }

    [FakeEsentFact]
    public async Task A_cancel_that_reaches_JetBackupInstance_too_late_keeps_the_set_and_says_ESE_truncated()
    {
        // JetStopBackupInstance only sets a flag (and ESE's begin step clears it): a cancel that does not stop ESE lets it
        // complete and truncate. The token is checked after success too; the session then insists on being staged (the
        // set holds the only copy of the truncated logs) and its report says so instead of claiming a cancel.
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == ProgressPhase.Complete && !cts.IsCancellationRequested)
            {
                cts.Cancel();   // ESE's own "complete" notification, raised inside JetBackupInstance
            }
        });
        var ctx = SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance, null);
        var start = await source.BeginAsync(ctx, progress, cts.Token);
        Assert.True(cts.IsCancellationRequested);
        var session = start.Session!;
        await using (session)
        {
            Assert.Equal(EsentStrategies.BackupInstance, session.Strategy);
            Assert.Contains("JetStopBackupInstance", FakeEsent.CallLog());
            Assert.True(session.MustFinishStaging);
            var setDirectory = Path.Combine(Staging, ctx.SetId);
            using var native = new NativeBuffer(65536);
            var files = await SessionDriver.StageAsync(session, setDirectory, native.Memory);
            var outcome = await session.OnStagedAsync(SessionDriver.StagedInfo(setDirectory, files), CancellationToken.None);
            var engine = outcome.EngineTruncation!;
            Assert.Equal(TruncationStatus.DoneByEngine, engine.Status);
            Assert.Contains("reached ESE too late", engine.Reason, StringComparison.Ordinal);
            Assert.NotEmpty(engine.Removed);
            Assert.All(engine.Removed, r => Assert.False(File.Exists(r.Path), r.Path));
        }
    }

    [FakeEsentFact]
    public async Task A_truncation_that_fails_part_way_reports_every_log_that_left_the_disk()
    {
        // ESE marks the logs truncated before deleting them and stops at the first delete that fails: some are gone
        // when JetTruncateLogInstance returns its error. The fake fails up front, so the test removes two of the listed
        // logs the way ESE would have before failing; the report must name them, and only them.
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var (ctx, session, files, outcome) = await StageAsync(source, opened.Target, BackupKind.Full, EsentStrategies.Streaming);
        await using (session)
        {
            var sizes = new[] { 25L, 26L }.ToDictionary(g => g, g => new FileInfo(ArchivedLog(g)).Length);
            File.Delete(ArchivedLog(25));
            File.Delete(ArchivedLog(26));
            FakeEsent.InjectError("JetTruncateLogInstance", -1022, 0);
            var report = await session.CompleteAsync(SessionDriver.Manifest(ctx, session.Strategy, files, outcome.Truncation), true, CancellationToken.None);
            Assert.Equal(TruncationStatus.Failed, report.Status);
            Assert.Equal(-1022, report.Error!.Code.EseError);
            Assert.Equal([(25L, sizes[25]), (26L, sizes[26])], report.Removed.Select(r => (r.Generation, r.Size)));
            Assert.Equal(new GenerationRange(25, 26), report.Range);
            Assert.Contains("2 log(s) were removed before it failed", report.Reason, StringComparison.Ordinal);
            Assert.True(File.Exists(ArchivedLog(27)));
        }
    }

    [FakeEsentFact]
    public async Task A_failed_truncation_is_reported_and_the_backup_is_recorded_without_it()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var (ctx, session, files, outcome) = await StageAsync(source, opened.Target, BackupKind.Full, EsentStrategies.Streaming);
        await using (session)
        {
            FakeEsent.InjectError("JetTruncateLogInstance", -616, 0);
            var report = await session.CompleteAsync(SessionDriver.Manifest(ctx, session.Strategy, files, outcome.Truncation), true, CancellationToken.None);
            Assert.Equal(TruncationStatus.Failed, report.Status);
            Assert.Equal(-616, report.Error!.Code.EseError);
            Assert.Contains("JetTruncateLogInstance", report.Error.Message, StringComparison.Ordinal);
            Assert.Empty(report.Removed);
            Assert.Equal(EndNormal, FakeEsent.LastEndGrbit());      // ended without TruncateDone
            Assert.True(File.Exists(ArchivedLog(25)));
            Assert.Equal((32u, 32u), EsentImage.BkInfo(Database, EsentImage.CopyPrev));   // so ESE records a copy, not a full
            Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.FullPrev));
        }
    }

    [FakeEsentFact]
    public async Task Phase_two_reports_the_logs_listed_at_staging_without_asking_ese_again()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var (ctx, session, files, outcome) = await StageAsync(source, opened.Target, BackupKind.Full, EsentStrategies.Streaming);
        await using (session)
        {
            var asked = FakeEsent.CallLog().Count(c => c == "JetGetTruncateLogInfoInstanceW");
            Assert.True(asked > 0, "staging asks ESE what it will truncate");   // size first, then the list
            var report = await session.CompleteAsync(SessionDriver.Manifest(ctx, session.Strategy, files, outcome.Truncation), true, CancellationToken.None);
            Assert.Equal(TruncationStatus.Truncated, report.Status);
            Assert.Equal(asked, FakeEsent.CallLog().Count(c => c == "JetGetTruncateLogInfoInstanceW"));   // ESE fixed the range at the first log call
            Assert.Equal(Enumerable.Range(25, 8).Select(g => (long)g), report.Removed.Select(r => r.Generation));
            Assert.All(report.Removed, r => Assert.Equal(65536, r.Size));
            Assert.Equal(outcome.Truncation.ExpectedRange, report.Range);
        }
    }

    [FakeEsentTheory]
    [InlineData(65536, 0)]       // aligned, whole pages: read straight into the engine's buffer
    [InlineData(65536, 8)]       // misaligned: through the session's aligned buffer
    [InlineData(4096, 0)]        // smaller than the first read minimum (3 pages): through the aligned buffer, served in pieces
    [InlineData(100_000, 0)]     // aligned but not whole pages: the whole pages of it are used
    public async Task Any_engine_buffer_yields_the_same_bytes(int length, int misalign)
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        using var buffer = new NativeBuffer(length, misalign);
        var (_, session, files, _) = await StageAsync(source, opened.Target, BackupKind.Full, EsentStrategies.Streaming, buffer: buffer.Memory);
        await using (session)
        {
            EsentImage.AssertStreamedImage(files[0].Path, _liveDatabase, 32, 32);
            Assert.Equal(File.ReadAllBytes(ArchivedLog(32)), File.ReadAllBytes(files[2].Path));
        }
    }

    /// <summary>The codes the JetBackupInstance documentation names (reference §5.1).</summary>
    public static TheoryData<int, string> SeedCodes()
    {
        var data = new TheoryData<int, string>();
        foreach (var n in new[] { -505, -523, -1329, -1090, -526, -900, -1003, -1023, -516, -612, -510, -1029, -1018, -506, -1910, -1000, -1081 })
        {
            data.Add(n, EsentStrategies.Streaming);
            data.Add(n, EsentStrategies.BackupInstance);
        }

        return data;
    }

    [FakeEsentTheory]
    [MemberData(nameof(SeedCodes))]
    public async Task Every_seed_error_is_mapped_with_name_number_and_target(int jetErr, string strategy)
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        FakeEsent.InjectError(strategy == EsentStrategies.Streaming ? "JetBeginExternalBackupInstance" : "JetBackupInstanceW", jetErr, 0);
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, strategy), CancellationToken.None);

        Assert.Null(start.Session);
        var error = start.Error!;
        var info = JetErrTable.Get(jetErr);
        Assert.Equal(jetErr, error.Code.EseError);
        Assert.Equal(info.Name, error.Code.EseName);
        Assert.Equal(info.Name["JET_err".Length..], error.Code.Name);
        Assert.Equal(info.IsTransient, error.IsTransient);
        Assert.Equal(jetErr, error.NativeStatus);
        Assert.Equal(opened.Target.Id, error.TargetId);
        Assert.Contains(opened.InstanceName, error.Message, StringComparison.Ordinal);
        Assert.Contains(info.Name, error.Message, StringComparison.Ordinal);
        Assert.Contains(strategy == EsentStrategies.Streaming ? "JetBeginExternalBackupInstance" : "JetBackupInstanceW", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(ArchivedLog(25)));
    }

    [FakeEsentFact]
    public async Task A_second_backup_of_the_same_instance_is_BackupInProgress()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var first = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
        await using (first.Session!)
        {
            var second = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance), CancellationToken.None);
            Assert.Same(ErrorCodes.BackupInProgress, second.Error!.Code);
            Assert.True(second.Error.IsTransient);
            var third = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
            Assert.Same(ErrorCodes.BackupInProgress, third.Error!.Code);
        }

        Assert.Equal(1, FakeEsent.EndAbortCount());     // disposing the unfinished first session aborted it
        Assert.Equal(EndAbort, FakeEsent.LastEndGrbit());
    }

    [FakeEsentFact]
    public async Task Circular_logging_makes_incremental_an_InvalidBackup()
    {
        var source = new EsentInstanceSource(Options);
        var result = await source.OpenFileSetAsync(new EsentFileSetSpec(SetDirectory) { CircularLogging = true });
        await using var opened = result.Instance!;
        Assert.Equal([BackupKind.Full, BackupKind.Copy], opened.Target.SupportedBackupKinds);
        var chain = new[] { SessionDriver.Completed(FakeFullManifest(opened.Target, 32)) };
        foreach (var strategy in EsentStrategies.All)
        {
            var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Incremental, Staging, strategy, chain), CancellationToken.None);
            Assert.Same(ErrorCodes.InvalidBackup, start.Error!.Code);
        }
    }

    [FakeEsentFact]
    public async Task Logging_disabled_is_reported_at_discovery_and_refused_at_begin()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var api = Ese.Windows.Esent.EsentApis.Native.Instances;
        Assert.Equal(0, api.CreateInstance("no-logging", null, out var instance));
        using (instance)
        {
            Assert.Equal(0, api.SetParameter(instance, Ese.Windows.Esent.JetParam.Recovery, 0, "off"));
            Assert.Equal(0, api.SetParameter(instance, Ese.Windows.Esent.JetParam.SystemPath, 0, SetDirectory + "/"));
            Assert.Equal(0, api.SetParameter(instance, Ese.Windows.Esent.JetParam.LogFilePath, 0, SetDirectory + "/"));
            Assert.Equal(0, api.Init(instance, Ese.Windows.Esent.JetInitGrbit.None));
            Assert.Equal(0, api.BeginSession(instance, out var session));
            Assert.Equal(0, api.AttachDatabase(session, Database, Ese.Windows.Esent.JetAttachGrbit.None));

            var source = new EsentInstanceSource(Options);
            var target = Assert.Single(await DiscoverAsync(source));
            Assert.StartsWith(EsentTargetIdentity.NamePrefix, target.Id, StringComparison.Ordinal);   // no log signature: name fallback
            Assert.Equal(EsentTargetIdentity.FromNames("no-logging", [Database]), target.Id);
            Assert.Empty(target.SupportedBackupKinds);
            Assert.Equal(-516, Assert.Single(target.Warnings).Code.EseError);
            foreach (var strategy in EsentStrategies.All)
            {
                var start = await source.BeginAsync(SessionDriver.Context(target, BackupKind.Full, Staging, strategy), CancellationToken.None);
                Assert.Same(ErrorCodes.LoggingDisabled, start.Error!.Code);
            }
        }
    }

    [FakeEsentFact]
    public async Task Incremental_needs_a_full_in_the_catalog_and_in_ese()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);

        var noChain = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Incremental, Staging, EsentStrategies.Streaming), CancellationToken.None);
        Assert.Same(ErrorCodes.MissingFullBackup, noChain.Error!.Code);
        Assert.Equal(0, FakeEsent.CallCount("JetBeginExternalBackupInstance"));   // refused up front

        // the catalog has a full, but ESE never recorded one in the database header
        var chain = new[] { SessionDriver.Completed(FakeFullManifest(opened.Target, 32)) };
        foreach (var strategy in EsentStrategies.All)
        {
            var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Incremental, Staging, strategy, chain), CancellationToken.None);
            Assert.Same(ErrorCodes.MissingFullBackup, start.Error!.Code);
            Assert.Equal(-560, start.Error.NativeStatus);
        }

        var lost = new[] { SessionDriver.Completed(FakeFullManifest(opened.Target, 20)) };
        var gap = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Incremental, Staging, EsentStrategies.Streaming, lost), CancellationToken.None);
        Assert.Same(ErrorCodes.NewFullBackupRequired, gap.Error!.Code);
        Assert.Contains("21-24", gap.Error.Message, StringComparison.Ordinal);
    }

    [FakeEsentFact]
    public async Task Database_read_failure_aborts_the_stream()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        FakeEsent.InjectError("db-read", -1018, 2);
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
        await using var session = start.Session!;

        var ex = await Assert.ThrowsAsync<EseBackupPlugin.Abstractions.Errors.PluginException>(() => StageOnlyAsync(session));
        Assert.Same(ErrorCodes.ReadVerifyFailure, ex.Error.Code);
        Assert.Equal(Database, ex.Error.File);
        Assert.NotNull(ex.Error.Offset);
        Assert.Contains(Database, ex.Error.Message, StringComparison.Ordinal);
        AssertAbortedCleanly(opened);
        await session.AbortAsync(null);
        Assert.Equal(1, FakeEsent.EndAbortCount());   // idempotent
    }

    [FakeEsentFact]
    public async Task Log_read_failure_aborts_the_stream_even_though_ese_already_ended_it()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        FakeEsent.InjectError("log-read", -612, 0);
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
        await using var session = start.Session!;

        var ex = await Assert.ThrowsAsync<EseBackupPlugin.Abstractions.Errors.PluginException>(() => StageOnlyAsync(session));
        Assert.Same(ErrorCodes.LogReadVerifyFailure, ex.Error.Code);
        Assert.Equal(ArchivedLog(32), ex.Error.File);
        AssertAbortedCleanly(opened);     // End(Abort) was still called; the fake answered JET_errNoBackup
    }

    [FakeEsentTheory]
    [InlineData("db-read", -1018)]
    [InlineData("log-read", -612)]
    public async Task Read_failures_inside_JetBackupInstance_fail_without_truncating(string point, int jetErr)
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        FakeEsent.InjectError(point, jetErr, 1);
        var ctx = SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance);
        var start = await source.BeginAsync(ctx, CancellationToken.None);
        Assert.Equal(jetErr, start.Error!.Code.EseError);
        Assert.Equal(Path.Combine(ctx.WorkDirectory, EsentStrategies.BackupInstanceDirectory), start.Error.File);
        Assert.False(Directory.Exists(Path.Combine(ctx.WorkDirectory, EsentStrategies.BackupInstanceDirectory)), "nothing is left behind");
        Assert.True(File.Exists(ArchivedLog(25)), "no log truncated");
        Assert.Equal(1, FakeEsent.EndAbortCount());
        Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.FullPrev));
    }

    [FakeEsentFact]
    public async Task Cancellation_while_streaming_ends_the_backup_with_abort()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
        await using var session = start.Session!;
        using var cts = new CancellationTokenSource();
        using var buffer = new NativeBuffer(65536);
        var files = session.GetFilesAsync(cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await files.MoveNextAsync());
        var reader = await files.Current.OpenAsync(cts.Token);
        Assert.True(await reader.ReadAsync(buffer.Memory, cts.Token) > 0);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadAsync(buffer.Memory, cts.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await files.MoveNextAsync());
        await reader.DisposeAsync();
        await files.DisposeAsync();
        AssertAbortedCleanly(opened);
        Assert.True(File.Exists(ArchivedLog(25)));
    }

    [FakeEsentFact]
    public async Task Cancellation_during_JetBackupInstance_stops_it()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p =>
        {
            if (p.Phase == ProgressPhase.Begin)
            {
                cts.Cancel();   // runs inside ESE's status callback: the source calls JetStopBackupInstance
            }
        });
        var ctx = SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await source.BeginAsync(ctx, progress, cts.Token));
        Assert.Equal(1, FakeEsent.CallCount("JetStopBackupInstance"));
        Assert.Equal(1, FakeEsent.EndAbortCount());
        Assert.False(Directory.Exists(Path.Combine(ctx.WorkDirectory, EsentStrategies.BackupInstanceDirectory)));
        Assert.True(File.Exists(ArchivedLog(25)), "no log truncated");
        Assert.Equal((0u, 0u), EsentImage.BkInfo(Database, EsentImage.FullPrev));
        Assert.Contains(progress.Reports, r => r.Phase == ProgressPhase.Fail);
    }

    [FakeEsentFact]
    public async Task Progress_callback_exceptions_abort_the_stream()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);

        var throwAtBegin = new SyncProgress(p => throw new InvalidOperationException("host bug at " + p.Phase));
        var refused = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), throwAtBegin, CancellationToken.None);
        Assert.Equal(-2101, refused.Error!.Code.EseError);
        Assert.Contains("host bug at Begin", refused.Error.Message, StringComparison.Ordinal);
        Assert.Equal(1, FakeEsent.EndAbortCount());

        var throwLater = new SyncProgress(p =>
        {
            if (p.Phase == ProgressPhase.Progress)
            {
                throw new InvalidOperationException("host bug while copying");
            }
        });
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), throwLater, CancellationToken.None);
        await using var session = start.Session!;
        var ex = await Assert.ThrowsAsync<EseBackupPlugin.Abstractions.Errors.PluginException>(() => StageOnlyAsync(session));
        Assert.Equal(-2101, ex.Error.Code.EseError);
        Assert.IsType<ProgressCallbackException>(ex.InnerException);
        Assert.Equal(2, FakeEsent.EndAbortCount());
        Assert.Equal(0, FakeEsent.BackupActive(HandleOf(opened)));
    }

    [FakeEsentFact]
    public async Task Progress_callback_exception_inside_JetBackupInstance_is_contained_and_fails_the_backup()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var progress = new SyncProgress(p => throw new InvalidOperationException("host bug"));
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance), progress, CancellationToken.None);
        Assert.Null(start.Session);
        Assert.Equal(-2101, start.Error!.Code.EseError);
        Assert.Equal(-2101, FakeEsent.LastCallbackResult());        // the native side saw an error code, not an exception
        Assert.Equal("25-32", start.Error.Details!["eseTruncated"]); // and the error says what ESE already removed
        Assert.Contains("truncated log generations 25-32", start.Error.Message, StringComparison.Ordinal);
    }

    [FakeEsentFact]
    public async Task Files_must_be_read_to_their_end_one_at_a_time()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
        await using var session = start.Session!;
        using var buffer = new NativeBuffer(65536);
        var files = session.GetFilesAsync(CancellationToken.None).GetAsyncEnumerator();
        Assert.True(await files.MoveNextAsync());
        var first = files.Current;
        var reader = await first.OpenAsync(CancellationToken.None);
        Assert.Equal((long)(_liveDatabase.Length / 4096 + 1) * 4096, reader.Length);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await first.OpenAsync(CancellationToken.None));
        Assert.True(await reader.ReadAsync(buffer.Memory, CancellationToken.None) > 0);
        await reader.DisposeAsync();
        var ex = await Assert.ThrowsAsync<EseBackupPlugin.Abstractions.Errors.PluginException>(async () => await files.MoveNextAsync());
        Assert.Equal(-521, ex.Error.Code.EseError);
        await files.DisposeAsync();
        AssertAbortedCleanly(opened);
    }

    [FakeEsentFact]
    public async Task Injected_engine_states_map_to_their_codes()
    {
        var source = new EsentInstanceSource(Options);
        await using var opened = await OpenAsync(source);

        FakeEsent.InjectError("JetBackupInstanceW", -1000, 0);
        var term = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance), CancellationToken.None);
        Assert.Same(ErrorCodes.TermInProgress, term.Error!.Code);
        Assert.True(term.Error.IsTransient);

        FakeEsent.InjectError("JetBackupInstanceW", -1023, 0);
        var ctx = SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.BackupInstance);
        var path = await source.BeginAsync(ctx, CancellationToken.None);
        Assert.Same(ErrorCodes.InvalidPath, path.Error!.Code);
        Assert.Contains(Path.Combine(ctx.WorkDirectory, EsentStrategies.BackupInstanceDirectory), path.Error.Message, StringComparison.Ordinal);

        FakeEsent.InjectError("JetGetLogInfoInstance2W", -569, 0);
        var start = await source.BeginAsync(SessionDriver.Context(opened.Target, BackupKind.Full, Staging, EsentStrategies.Streaming), CancellationToken.None);
        await using var session = start.Session!;
        var ex = await Assert.ThrowsAsync<EseBackupPlugin.Abstractions.Errors.PluginException>(() => StageOnlyAsync(session));
        Assert.Same(ErrorCodes.MissingFileToBackup, ex.Error.Code);
        AssertAbortedCleanly(opened);
    }

    [FakeEsentFact]
    public async Task A_target_that_is_gone_is_TargetNotFound()
    {
        var source = new EsentInstanceSource(Options);
        BackupTarget target;
        await using (var opened = await OpenAsync(source))
        {
            target = opened.Target;
        }

        var start = await source.BeginAsync(SessionDriver.Context(target, BackupKind.Full, Staging, null), CancellationToken.None);
        Assert.Same(ErrorCodes.TargetNotFound, start.Error!.Code);
        var unknown = await source.BeginAsync(SessionDriver.Context(target, BackupKind.Full, Staging, "robocopy"), CancellationToken.None);
        Assert.Same(ErrorCodes.InvalidParameter, unknown.Error!.Code);
    }

    private static BackupManifest FakeFullManifest(BackupTarget target, long high)
    {
        var ctx = SessionDriver.Context(target, BackupKind.Full, "/nowhere", EsentStrategies.Streaming);
        var m = SessionDriver.Manifest(ctx, EsentStrategies.Streaming, [], new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin));
        return m with { LogRange = new GenerationRange(high, high) };
    }

    private static nuint HandleOf(EsentOpenInstance opened)
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        Assert.Equal(0, Ese.Windows.Esent.EsentApis.Native.Instances.GetInstanceInfo(out var all));
        return all.Single(i => i.Name == opened.InstanceName).Instance;
    }

    private static void AssertAbortedCleanly(EsentOpenInstance opened)
    {
        Assert.Equal(1, FakeEsent.EndAbortCount());
        Assert.Equal(EndAbort, FakeEsent.LastEndGrbit());
        Assert.Equal(0, FakeEsent.OpenFileCount());
        Assert.Equal(0, FakeEsent.BackupActive(HandleOf(opened)));
    }

    private async Task<EsentOpenInstance> OpenAsync(EsentInstanceSource source)
    {
        var result = await source.OpenFileSetAsync(new EsentFileSetSpec(SetDirectory));
        Assert.Null(result.Error);
        return result.Instance!;
    }

    private static async Task<List<BackupTarget>> DiscoverAsync(EsentInstanceSource source, params TargetKind[] kinds)
    {
        var list = new List<BackupTarget>();
        await foreach (var t in source.DiscoverAsync(new DiscoveryRequest { Kinds = kinds }, CancellationToken.None))
        {
            list.Add(t);
        }

        return list;
    }

    private async Task StageOnlyAsync(ISourceSession session)
    {
        using var buffer = new NativeBuffer(65536);
        await SessionDriver.StageAsync(session, Temp.Combine("set-" + Guid.NewGuid().ToString("N")[..6]), buffer.Memory);
    }

    private async Task<(SourceBackupContext Context, ISourceSession Session, List<StagedFile> Files, StagedOutcome Outcome)> StageAsync(
        EsentInstanceSource source, BackupTarget target, BackupKind kind, string? strategy, IReadOnlyList<CatalogEntry>? chain = null, IProgress<OperationProgress>? progress = null, Memory<byte>? buffer = null)
    {
        var ctx = SessionDriver.Context(target, kind, Staging, strategy, chain);
        var start = await source.BeginAsync(ctx, progress, CancellationToken.None);
        Assert.True(start.Session is not null, start.Error?.ToString());
        var setDirectory = Path.Combine(Staging, ctx.SetId);
        List<StagedFile> files;
        if (buffer is { } b)
        {
            files = await SessionDriver.StageAsync(start.Session!, setDirectory, b);
        }
        else
        {
            using var native = new NativeBuffer(65536);
            files = await SessionDriver.StageAsync(start.Session!, setDirectory, native.Memory);
        }

        var outcome = await start.Session!.OnStagedAsync(SessionDriver.StagedInfo(setDirectory, files), CancellationToken.None);
        return (ctx, start.Session!, files, outcome);
    }

    private sealed class TargetComparer : IEqualityComparer<BackupTarget>
    {
        public bool Equals(BackupTarget? x, BackupTarget? y)
            => x!.Id == y!.Id && x.InstanceName == y.InstanceName && x.Databases.Select(d => d.Path).SequenceEqual(y.Databases.Select(d => d.Path));

        public int GetHashCode(BackupTarget obj) => obj.Id.GetHashCode(StringComparison.Ordinal);
    }
}
