using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Requester;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>The failure rules of reference §4.1 and §1.7, driven through the real interop against the ABI fake.</summary>
[Collection(FakeVssCollection.Name)]
public sealed class VssFailureTests
{
    private static async Task<SourceSessionStartResult> BeginAsync(FakeVssWorld world, BackupKind kind = BackupKind.Full, VssSourceOptions? options = null, CancellationToken cancellationToken = default)
    {
        var source = world.CreateSource(options);
        var target = await world.TargetAsync(source);
        var start = await source.BeginAsync(world.Context(target, kind), cancellationToken);
        return new SourceSessionStartResult(source, start.Session, start.Error);
    }

    [FakeVssFact]
    public async Task Snapshot_set_in_progress_is_retried_with_back_off_until_it_clears()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("StartSnapshotSet", 1, 2, FakeFault.Sync, VssHResults.VSS_E_SNAPSHOT_SET_IN_PROGRESS);

        var result = await BeginAsync(world);

        Assert.Null(result.Error);
        Assert.Equal(3, FakeVssLibrary.LogLines.Count(l => l == "StartSnapshotSet"));
        Assert.Equal(2, FakeVssLibrary.LogLines.Count(l => l.StartsWith("StartSnapshotSet -> 0x80042316", StringComparison.Ordinal)));
        await result.Session!.DisposeAsync();
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Snapshot_set_in_progress_past_the_deadline_fails_without_anything_to_abort()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("StartSnapshotSet", 1, 0, FakeFault.Sync, VssHResults.VSS_E_SNAPSHOT_SET_IN_PROGRESS);
        var options = world.Options;
        options.SnapshotSetRetryDeadline = TimeSpan.FromMilliseconds(200);

        var result = await BeginAsync(world, options: options);

        AssertVssFailure(result.Error, "requester", "StartSnapshotSet", "VSS_E_SNAPSHOT_SET_IN_PROGRESS");
        Assert.Equal("true", result.Error!.Details!["retryable"]);
        Assert.True(FakeVssLibrary.LogLines.Count(l => l == "StartSnapshotSet") >= 3, "expected several attempts");
        // No set was ever started: nothing to abort.
        Assert.Equal(0, FakeVssLibrary.Count("AbortBackup"));
        Assert.Empty(await world.Journal.GetSnapshotSetsAsync(CancellationToken.None));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Prepare_for_backup_failure_aborts_the_started_set()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("PrepareForBackup", 1, 1, FakeFault.Async, VssHResults.VSS_E_UNEXPECTED_WRITER_ERROR);

        var result = await BeginAsync(world);

        AssertVssFailure(result.Error, "requester", "PrepareForBackup", "VSS_E_UNEXPECTED_WRITER_ERROR");
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("DoSnapshotSet"));
        Assert.Empty(await world.Journal.GetSnapshotSetsAsync(CancellationToken.None));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Add_to_snapshot_set_failure_aborts_the_started_set()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("AddToSnapshotSet", 1, 1, FakeFault.Sync, VssHResults.VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED);

        var result = await BeginAsync(world);

        AssertVssFailure(result.Error, "requester", "AddToSnapshotSet", "VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED");
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_snapshot_that_never_finishes_is_cancelled_at_the_deadline_and_aborted()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("DoSnapshotSet", 1, 1, FakeFault.Never, 0);
        var options = world.Options;
        options.AsyncTimeout = TimeSpan.FromMilliseconds(300);

        var result = await BeginAsync(world, options: options);

        AssertVssFailure(result.Error, "requester", "DoSnapshotSet", "VSS_S_ASYNC_PENDING");
        Assert.Contains("did not finish within 0.3 s", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(1, FakeVssLibrary.Count("Cancel DoSnapshotSet"));
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("SetBackupSucceeded"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Cancellation_while_waiting_cancels_the_operation_and_aborts()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("DoSnapshotSet", 1, 1, FakeFault.Never, 0);
        using var cancel = new CancellationTokenSource();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await source.BeginAsync(world.Context(target, BackupKind.Full), cancel.Token));

        Assert.Equal(1, FakeVssLibrary.Count("Cancel DoSnapshotSet"));
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task The_target_writer_failing_at_prepare_is_reported_by_name_phase_and_hresult()
    {
        using var world = new FakeVssWorld();
        VssFake.SetWriterFailure(world.EseWriter, "PrepareForBackup", VssWriterState.FailedAtPrepareBackup, VssHResults.VSS_E_WRITERERROR_RETRYABLE);

        var result = await BeginAsync(world);

        AssertVssFailure(result.Error, "NTDS", "PrepareForBackup", "VSS_E_WRITERERROR_RETRYABLE");
        Assert.Equal("VSS_WS_FAILED_AT_PREPARE_BACKUP", result.Error!.Details!["writerState"]);
        Assert.Contains("'NTDS'", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(VssHResults.VSS_E_WRITERERROR_RETRYABLE, result.Error.NativeStatus);
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("DoSnapshotSet"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task The_target_writer_failing_at_freeze_marks_the_component_failed_after_the_snapshot()
    {
        using var world = new FakeVssWorld();
        VssFake.SetWriterFailure(world.EseWriter, "DoSnapshotSet", VssWriterState.FailedAtFreeze, VssHResults.VSS_E_WRITERERROR_TIMEOUT);

        var result = await BeginAsync(world);

        AssertVssFailure(result.Error, "NTDS", "DoSnapshotSet", "VSS_E_WRITERERROR_TIMEOUT");
        Assert.Equal("VSS_WS_FAILED_AT_FREEZE", result.Error!.Details!["writerState"]);
        Assert.Equal(1, FakeVssLibrary.Count("DoSnapshotSet"));
        Assert.Contains(FakeVssLibrary.LogLines, l => l.StartsWith("SetBackupSucceeded", StringComparison.Ordinal) && l.EndsWith("ok=0", StringComparison.Ordinal));
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("BackupComplete"));
        Assert.Equal(7, world.LiveArchivedLogs.Count);
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task An_ese_error_the_writer_wrapped_with_sign_extension_is_named_with_eses_number()
    {
        // ESE's writer builds MAKE_HRESULT(SEVERITY_ERROR, 0xE5E, err) with the negative err: -1018 arrives as 0xFFFFFC06.
        using var world = new FakeVssWorld();
        var hr = unchecked((int)0xFFFFFC06);
        VssFake.SetWriterFailure(world.EseWriter, "DoSnapshotSet", VssWriterState.FailedAtFreeze, hr);

        var result = await BeginAsync(world);

        AssertVssFailure(result.Error, "NTDS", "DoSnapshotSet", "FACILITY_ESE(-1018)");
        Assert.Equal("-1018", result.Error!.Details!["eseError"]);
        Assert.Equal("JET_errReadVerifyFailure", result.Error.Details["eseName"]);
        Assert.Equal(hr, result.Error.NativeStatus);
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Another_writer_failing_only_warns()
    {
        using var world = new FakeVssWorld();
        VssFake.SetWriterFailure(world.OtherWriters["WM3.xml"], "DoSnapshotSet", VssWriterState.FailedAtFreeze, VssHResults.VSS_E_WRITERERROR_NONRETRYABLE);

        var result = await BeginAsync(world, BackupKind.Copy);

        Assert.Null(result.Error);
        var session = (VssSession)result.Session!;
        Assert.Contains(session.Requester.Warnings, w => w.Contains("System Writer", StringComparison.Ordinal) && w.Contains("VSS_E_WRITERERROR_NONRETRYABLE", StringComparison.Ordinal));
        await session.DisposeAsync();
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_failing_backup_complete_reports_truncation_as_failed_with_the_writer_error()
    {
        using var world = new FakeVssWorld();
        VssFake.SetWriterFailure(world.EseWriter, "BackupComplete", VssWriterState.FailedAtBackupComplete, VssHResults.VSS_E_WRITERERROR_NONRETRYABLE);
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);

        var (report, _) = await VssSourceTests.RunAsync(world, source, target, BackupKind.Full, hostSucceeded: true);

        Assert.Equal(Abstractions.Manifest.TruncationStatus.Failed, report.Status);
        AssertVssFailure(report.Error, "NTDS", "BackupComplete", "VSS_E_WRITERERROR_NONRETRYABLE");
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_writer_that_does_not_answer_is_named()
    {
        using var world = new FakeVssWorld();
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        VssFake.SetWriterFailure(world.EseWriter, "Identify", VssWriterState.FailedAtIdentify, VssHResults.VSS_E_WRITER_NOT_RESPONDING);

        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);

        AssertVssFailure(start.Error, "NTDS", "Identify", "VSS_E_WRITER_NOT_RESPONDING");
        Assert.Equal(0, FakeVssLibrary.Count("StartSnapshotSet"));
        Assert.Equal(0, FakeVssLibrary.Count("AbortBackup"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task Failures_of_synchronous_calls_name_the_call()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        VssFake.SetFault("CreateVssBackupComponents", 2, 1, FakeFault.Sync, VssHResults.E_ACCESSDENIED);

        var result = await BeginAsync(world);

        AssertVssFailure(result.Error, "requester", "Initialize", "E_ACCESSDENIED");
        Assert.Equal("CreateVssBackupComponents", result.Error!.Details!["call"]);
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_database_missing_from_the_shadow_copy_fails_and_tells_the_writer()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var source = world.CreateSource();
        var target = await world.TargetAsync(source);
        File.Delete(Path.Combine(world.DatabaseDirectory, "SRUDB.dat"));

        var start = await source.BeginAsync(world.Context(target, BackupKind.Full), CancellationToken.None);

        Assert.Equal(ErrorCodes.MissingFileToBackup, start.Error!.Code);
        Assert.Contains(FakeVssLibrary.LogLines, l => l.StartsWith("SetBackupSucceeded", StringComparison.Ordinal) && l.EndsWith("ok=0", StringComparison.Ordinal));
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        VssSourceTests.AssertNothingLeaked();
    }

    [FakeVssFact]
    public async Task A_set_that_cannot_be_journalled_is_aborted()
    {
        using var world = new FakeVssWorld(otherWriters: false);
        var source = world.CreateSource(journal: new BrokenJournal());
        var target = await world.TargetAsync(source);

        var start = await source.BeginAsync(world.Context(target, BackupKind.Copy), CancellationToken.None);

        Assert.Equal(ErrorCodes.CatalogFailure, start.Error!.Code);
        Assert.Equal(1, FakeVssLibrary.Count("StartSnapshotSet"));
        Assert.Equal(1, FakeVssLibrary.Count("AbortBackup"));
        Assert.Equal(0, FakeVssLibrary.Count("PrepareForBackup"));
        VssSourceTests.AssertNothingLeaked();
    }

    private static void AssertVssFailure(PluginError? error, string writer, string phase, string hresultName)
    {
        Assert.NotNull(error);
        Assert.Equal(ErrorCodes.VssFailure, error.Code);
        Assert.Equal(writer, error.Details!["writer"]);
        Assert.Equal(phase, error.Details["phase"]);
        Assert.Equal(hresultName, error.Details["hresultName"]);
        Assert.Contains(hresultName, error.Message, StringComparison.Ordinal);
        Assert.NotNull(error.TargetId);
    }

    /// <summary>A journal whose storage fails (full disk, lost share).</summary>
    private sealed class BrokenJournal : ISnapshotSetCatalog
    {
        public ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<SnapshotSetRecord>>([]);

        public ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken) => throw new IOException("disk full");

        public ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed record SourceSessionStartResult(VssSource Source, Ese.Engine.Ports.ISourceSession? Session, PluginError? Error);
}
