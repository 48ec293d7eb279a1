using System.Text.Json;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using EseBackupPlugin.Ese.Tests.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Sources.Vss;
using Microsoft.Extensions.Time.Testing;

namespace EseBackupPlugin.Ese.Tests.Engine.TwoPhase;

/// <summary>The conformance suite's facts run where the native fakes are built (off Windows).</summary>
public sealed class ConformanceFactAttribute : FactAttribute
{
    public ConformanceFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "The esent.dll and vssapi.dll ABI fakes are only built off Windows.";
        }
    }
}

/// <summary>
/// One completion conformance suite, run against every source (<see cref="FileSetCompletionConformanceTests"/>,
/// <see cref="EsentStreamingCompletionConformanceTests"/>, <see cref="VssCompletionConformanceTests"/>): every verdict
/// sequence, abandon, lease expiry, the catalog failing before and after truncation, restarts and cancellation. After
/// each case <see cref="AssertInvariantsAsync"/> checks the promise: no log a restore of the recorded chain needs is
/// missing, the report is available and true, the chain is intact, the target is not left locked.
/// </summary>
public abstract class CompletionConformanceTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromHours(1);
    private readonly Dictionary<string, string> _setDirectories = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<string, string> _logsBeforeStaging = new Dictionary<string, string>();

    private protected CompletionConformanceTests(IConformanceWorld world)
    {
        World = world;
        Plugin = ConformanceWorlds.Plugin(world, Catalog, Clock, Lease);
    }

    private protected IConformanceWorld World { get; }

    private protected FaultyCatalog Catalog { get; } = new();

    private protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));

    private protected EsePlugin Plugin { get; private set; }

    [ConformanceFact]
    public async Task Success_truncates_what_the_report_says_and_the_chain_holds()
    {
        var staged = await StageAsync();
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Null(result.Error);
        Assert.True(result.Truncation!.HostSucceeded);
        await AssertInvariantsAsync(staged, verdict: true);
    }

    [ConformanceFact]
    public async Task Failure_keeps_every_log()
    {
        var staged = await StageAsync();
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, false));
        Assert.Null(result.Error);
        Assert.Empty(result.Truncation!.Removed);
        await AssertInvariantsAsync(staged, verdict: false);
    }

    [ConformanceFact]
    public async Task Success_then_failure_is_refused_and_changes_nothing()
    {
        var staged = await StageAsync();
        var first = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        var logs = World.LiveLogs();
        var second = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, false));
        Assert.Equal(ErrorCodes.AlreadyCompleted, second.Error!.Code);
        Assert.Equal(Json(first.Truncation!), Json(second.Truncation!));
        AssertNoLogRemoved(logs);
        await AssertInvariantsAsync(staged, verdict: true);
    }

    [ConformanceFact]
    public async Task Failure_then_success_is_refused_and_truncates_nothing()
    {
        var staged = await StageAsync();
        await Plugin.CompleteBackupAsync(new CompletionRequest(staged, false));
        var second = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Equal(ErrorCodes.AlreadyCompleted, second.Error!.Code);
        Assert.False(second.Truncation!.HostSucceeded);
        await AssertInvariantsAsync(staged, verdict: false);
    }

    [ConformanceFact]
    public async Task The_same_verdict_twice_returns_the_recorded_report_also_after_a_restart()
    {
        var staged = await StageAsync();
        var first = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        var again = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Equal(Json(first.Truncation!), Json(again.Truncation!));
        Assert.Equal(first.Error?.Code, again.Error?.Code);

        await RestartAsync();
        var afterRestart = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Equal(Json(first.Truncation!), Json(afterRestart.Truncation!));
        Assert.Equal(ErrorCodes.AlreadyCompleted, (await Plugin.CompleteBackupAsync(new CompletionRequest(staged, false))).Error!.Code);
        await AssertInvariantsAsync(staged, verdict: true);
    }

    [ConformanceFact]
    public async Task An_unknown_set_is_SetNotFound_and_reaches_no_catalog()
    {
        var staged = await StageAsync();
        var madeUp = staged with { SetId = "20261203T000000Z-madeup00" };
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(madeUp, true));
        Assert.Equal(ErrorCodes.SetNotFound, result.Error!.Code);
        Assert.Null(result.Truncation);
        Assert.Equal(ErrorCodes.SetNotFound, (await Plugin.AbandonBackupAsync(madeUp.SetId)).Error!.Code);
        Assert.Null(await Catalog.GetSetAsync(madeUp.SetId));
        Assert.Equal(0, Catalog.RecordTruncationCalls);
        AssertNoLogRemoved(_logsBeforeStaging);

        // A manifest whose id is ours but whose target is not is refused too.
        var forged = staged with { Target = staged.Target with { Id = "forged-target" } };
        Assert.Equal(ErrorCodes.SetNotFound, (await Plugin.CompleteBackupAsync(new CompletionRequest(forged, true))).Error!.Code);
        AssertNoLogRemoved(_logsBeforeStaging);
    }

    [ConformanceFact]
    public async Task Abandon_keeps_every_log_releases_the_target_and_leaves_only_failure()
    {
        var staged = await StageAsync();
        var abandoned = await Plugin.AbandonBackupAsync(staged.SetId);
        Assert.Null(abandoned.Error);
        Assert.Equal(TruncationStatus.Skipped, abandoned.Truncation!.Status);
        Assert.Equal(Json(abandoned.Truncation), Json((await Plugin.AbandonBackupAsync(staged.SetId)).Truncation!));
        Assert.Equal(ErrorCodes.AlreadyCompleted, (await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true))).Error!.Code);
        var failed = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, false));
        Assert.Null(failed.Error);
        Assert.Equal(Json(abandoned.Truncation), Json(failed.Truncation!));
        await AssertInvariantsAsync(staged, verdict: false);
    }

    [ConformanceFact]
    public async Task After_the_lease_a_new_backup_proceeds_and_the_old_set_can_only_fail()
    {
        var staged = await StageAsync();
        var target = await World.TargetAsync(Plugin);
        var busy = await Plugin.BackupAsync(Request(target, BackupKind.Copy));
        Assert.Equal(ErrorCodes.BackupInProgress, busy.Error!.Code);   // held between the phases

        Clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var refused = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Equal(ErrorCodes.LeaseExpired, refused.Error!.Code);
        Assert.Empty(refused.Truncation!.Removed);
        AssertNoLogRemoved(_logsBeforeStaging);
        var failed = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, false));
        Assert.Equal(ErrorCodes.LeaseExpired, failed.Error!.Code);   // the recorded report says why it ended
        Assert.False(failed.Truncation!.HostSucceeded);
        await AssertInvariantsAsync(staged, verdict: false);
    }

    [ConformanceFact]
    public async Task A_catalog_failing_before_truncation_removes_nothing_and_the_set_can_complete_later()
    {
        var staged = await StageAsync();
        Catalog.FailChain = true;
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Catalog.FailChain = false;
        if (result.Truncation is null)
        {
            // The source read the chain before truncating (file sets): nothing happened, the set is still staged.
            Assert.Equal(ErrorCodes.CatalogFailure, result.Error!.Code);
            AssertNoLogRemoved(_logsBeforeStaging);
            Assert.Equal(StagedSetState.Staged, Journal(staged).State);
            result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        }

        Assert.NotNull(result.Truncation);
        await AssertInvariantsAsync(staged, verdict: true);
    }

    [ConformanceFact]
    public async Task A_catalog_failing_after_truncation_still_returns_the_full_report_and_the_repeat_delivers_it()
    {
        var staged = await StageAsync();
        Catalog.FailRecordTruncation = true;
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Equal(ErrorCodes.CatalogFailure, result.Error!.Code);
        Assert.True(result.Error.IsTransient);
        var report = result.Truncation!;
        Assert.All(report.Removed, r => Assert.False(File.Exists(r.Path), r.Path));
        Assert.Equal(CatalogSetState.Staged, (await Catalog.GetSetAsync(staged.SetId))!.State);

        Catalog.FailRecordTruncation = false;
        var repeat = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        Assert.Equal(Json(report), Json(repeat.Truncation!));
        Assert.Equal(CatalogStates.AfterCompletion(report), (await Catalog.GetSetAsync(staged.SetId))!.State);
        await AssertInvariantsAsync(staged, verdict: true);
    }

    [ConformanceFact]
    public async Task Cancellation_before_completion_changes_nothing_and_after_truncation_is_ignored()
    {
        var staged = await StageAsync();
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Plugin.CompleteBackupAsync(new CompletionRequest(staged, true), cancelled.Token));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Plugin.AbandonBackupAsync(staged.SetId, cancelled.Token));
        }

        AssertNoLogRemoved(_logsBeforeStaging);
        Assert.Equal(StagedSetState.Staged, Journal(staged).State);

        // Cancelled once truncation has run (while the catalog records it): completion runs to its end and reports.
        using var late = new CancellationTokenSource();
        Catalog.OnRecordTruncation = late.Cancel;
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true), late.Token);
        Catalog.OnRecordTruncation = null;
        Assert.NotNull(result.Truncation);
        Assert.True(late.IsCancellationRequested);
        await AssertInvariantsAsync(staged, verdict: true);
    }

    [ConformanceFact]
    public async Task A_restart_between_the_phases_keeps_the_journal_truthful()
    {
        var staged = await StageAsync();
        await RestartAsync();
        var result = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, true));
        if (World.CompletesAcrossRestarts)
        {
            Assert.Null(result.Error);
        }
        else
        {
            // The engine session died with the plugin, which ended it without truncating: say so, and record it.
            Assert.Equal(ErrorCodes.SessionLost, result.Error!.Code);
            Assert.Empty(result.Truncation!.Removed);
            AssertNoLogRemoved(_logsBeforeStaging);
        }

        await AssertInvariantsAsync(staged, verdict: true);
    }

    public void Dispose()
    {
        Plugin.DisposeAsync().AsTask().GetAwaiter().GetResult();
        World.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected async Task<BackupManifest> StageAsync()
    {
        _logsBeforeStaging = World.LiveLogs();
        var target = await World.TargetAsync(Plugin);
        var result = await Plugin.BackupAsync(Request(target, BackupKind.Full));
        Assert.True(result.Succeeded, result.Error?.ToString());
        _setDirectories[result.Manifest!.SetId] = result.SetDirectory!;
        Assert.Equal(StagedSetState.Staged, Journal(result.Manifest).State);
        return result.Manifest;
    }

    private protected async Task RestartAsync()
    {
        await Plugin.DisposeAsync();
        Plugin = ConformanceWorlds.Plugin(World, Catalog, Clock, Lease);
    }

    private BackupRequest Request(BackupTarget target, BackupKind kind) =>
        new(target.Id, kind, Path.Combine(World.Root, "staging")) { CreateStagingDirectory = true, SearchPaths = target.Location is { } l ? [l] : [] };

    private protected JournalEntry Journal(BackupManifest manifest) => Plugin.Engine.Sets.Journal.Read(manifest.SetId)!;

    /// <summary>Every log of <paramref name="before"/> is still there (an engine may add generations: a backup rolls the log).</summary>
    private void AssertNoLogRemoved(IReadOnlyDictionary<string, string> before)
    {
        var now = World.LiveLogs();
        Assert.All(before.Keys, p => Assert.True(now.ContainsKey(p), $"{p} was removed"));
    }

    private static string Json(TruncationReport report) => JsonSerializer.Serialize(report, ContractJsonContext.Default.TruncationReport);

    /// <summary>The promise, after any sequence: checked through the journal, the catalog, the disk and a new backup.</summary>
    private protected async Task AssertInvariantsAsync(BackupManifest staged, bool verdict)
    {
        // The report is available and true: the journal holds the first verdict's report, the repeat returns it, and the
        // catalog (after the repeat delivered it) files the set accordingly.
        var entry = Journal(staged);
        Assert.True(entry.State is StagedSetState.Completed or StagedSetState.Abandoned, $"journal state {entry.State}");
        Assert.Equal(verdict, entry.Verdict);
        var repeat = await Plugin.CompleteBackupAsync(new CompletionRequest(staged, verdict));
        Assert.Equal(Json(entry.Report!), Json(repeat.Truncation!));
        Assert.True(repeat.Error is null || repeat.Error.Code == entry.Report!.Error?.Code, repeat.Error?.ToString());
        var report = entry.Report!;
        var filed = await Catalog.GetSetAsync(staged.SetId);
        Assert.Equal(CatalogStates.AfterCompletion(report), filed!.State);
        Assert.True(entry.CatalogRecorded);

        // What the report lists is gone; everything else that was there before staging is still there, unchanged.
        var now = World.LiveLogs();
        var removed = report.Removed.Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        Assert.All(removed, p => Assert.False(now.ContainsKey(p), $"{p} is reported removed but exists"));
        if (report.PerformedBy != TruncationPerformer.VssWriter)
        {
            foreach (var (path, hash) in _logsBeforeStaging.Where(kv => !removed.Contains(kv.Key)))
            {
                Assert.True(now.ContainsKey(path), $"{path} is gone but the report does not say so");
            }
        }

        if (!verdict)
        {
            AssertNoLogRemoved(_logsBeforeStaging);
        }

        // Nothing the recorded chain needs is missing: each removed generation is in a set of the chain or older than
        // its full; and the chain restores.
        var chain = await Catalog.GetChainAsync(staged.Target.Id);
        if (report.PerformedBy == TruncationPerformer.Plugin && report.Removed.Count > 0)
        {
            Assert.Equal(staged.SetId, chain[^1].Manifest.SetId);
            var held = chain.SelectMany(e => e.Manifest.Files).Where(f => f.Log is { WasCurrentLog: false }).Select(f => f.Log!.Generation).ToHashSet();
            var first = chain[0].Manifest.LogRange?.Low;
            Assert.All(report.Removed, r => Assert.True(held.Contains(r.Generation) || r.Generation < first, $"generation {r.Generation} went but the chain does not hold it"));
        }

        if (chain.Count > 0)
        {
            var destination = Path.Combine(World.Root, "restore-" + Guid.NewGuid().ToString("N")[..8]);
            var restore = await Plugin.RestoreAsync(new RestoreRequest([.. chain.Select(e => _setDirectories[e.Manifest.SetId])], destination));
            Assert.True(restore.Succeeded, restore.Error?.ToString());
        }

        // The target is not left locked: another backup starts (and is abandoned, keeping every log).
        var target = await World.TargetAsync(Plugin);
        var next = await Plugin.BackupAsync(Request(target, BackupKind.Copy));
        Assert.True(next.Succeeded, next.Error?.ToString());
        Assert.Null((await Plugin.AbandonBackupAsync(next.Manifest!.SetId)).Error);
    }
}

/// <summary>The suite on a file set (real files, truncation by the plugin).</summary>
public sealed class FileSetCompletionConformanceTests() : CompletionConformanceTests(new FileSetWorld());

/// <summary>The suite on an in-process instance, strategy jet-streaming (JetTruncateLogInstance), through the esent.dll fake.</summary>
[Collection(FakeEsentCollection.Name)]
public sealed class EsentStreamingCompletionConformanceTests() : CompletionConformanceTests(new EsentStreamingWorld());

/// <summary>The suite on a VSS writer (BackupComplete), through the vssapi.dll fake.</summary>
[Collection(FakeVssCollection.Name)]
public sealed class VssCompletionConformanceTests() : CompletionConformanceTests(new VssWorld());
