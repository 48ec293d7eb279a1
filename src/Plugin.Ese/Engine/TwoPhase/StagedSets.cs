using System.Collections.Concurrent;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Engine.Locking;
using EseBackupPlugin.Ese.Engine.Ports;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine.TwoPhase;

/// <summary>Recreates a session able to complete a set whose staging session is gone, or null when the source cannot.</summary>
internal delegate ValueTask<ISourceSession?> ResumeSession(BackupManifest manifest, CancellationToken cancellationToken);

/// <summary>
/// The one two-phase state machine every source runs through: staged → completing → completed(succeeded | failed),
/// or staged → abandoned (by the host, or when the lease ends). It owns what the rules of the contract promise:
/// <list type="bullet">
/// <item>the journal (<see cref="SetJournal"/>): written before the manifest is returned, before truncation (with what
/// is about to be removed) and after it (with the report), so the first verdict wins across restarts;</item>
/// <item>idempotency (the same verdict returns the recorded report), verdict conflicts (<c>AlreadyCompleted</c>,
/// nothing changes), unknown sets (<c>SetNotFound</c>);</item>
/// <item>the target lock between the phases, and the lease after which it is released and the set can only fail;</item>
/// <item>guarded catalog records: a catalog failure after truncation is a <c>CatalogFailure</c> next to the full
/// report, and a repeated completion re-delivers the recorded report.</item>
/// </list>
/// Sources only supply their stage / complete / abort steps (<see cref="ISourceSession"/>).
/// </summary>
internal sealed class StagedSets : IAsyncDisposable
{
    private readonly SetJournal _journal;
    private readonly GuardedCatalog _catalog;
    private readonly TargetLockManager _locks;
    private readonly ResumeSession _resume;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lease;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Held> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public StagedSets(SetJournal journal, GuardedCatalog catalog, TargetLockManager locks, ResumeSession resume, TimeProvider time, TimeSpan lease, ILogger logger)
    {
        _journal = journal;
        _catalog = catalog;
        _locks = locks;
        _resume = resume;
        _time = time;
        _lease = lease;
        _logger = logger;
    }

    /// <summary>Sets staged in this process whose session and target lock wait for the host's verdict.</summary>
    public int HeldCount => _held.Count;

    /// <summary>The journal (for diagnostics and tests).</summary>
    public SetJournal Journal => _journal;

    /// <summary>Phase one is done: records the set in the journal (before the manifest goes anywhere).</summary>
    /// <exception cref="IOException">The journal could not be written.</exception>
    public void Stage(BackupManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var now = _time.GetUtcNow();
        _journal.Write(new JournalEntry
        {
            SetId = manifest.SetId,
            TargetId = manifest.Target.Id,
            Kind = manifest.Kind,
            TargetKind = manifest.Target.Kind,
            Strategy = manifest.Producer.Strategy,
            StagedAt = now,
            LeaseExpiresAt = now + _lease,
            State = StagedSetState.Staged,
        });
    }

    /// <summary>The set was withdrawn before the host saw it (its catalog refused it): it never existed.</summary>
    public void Withdraw(string setId)
    {
        try
        {
            _journal.Delete(setId);
        }
        catch (IOException ex)
        {
            _logger.LogWarning(ex, "Could not remove the journal record of withdrawn set {SetId}.", setId);
        }
    }

    /// <summary>Keeps the staging session and the target lock until the verdict, an abandon, or the end of the lease.</summary>
    public void Hold(string setId, string targetId, ISourceSession session, TargetLock targetLock)
    {
        var held = new Held(targetId, session, targetLock);
        if (!_held.TryAdd(setId, held))
        {
            throw new InvalidOperationException($"Set '{setId}' is already held.");
        }

        held.Timer = _time.CreateTimer(_ => _ = ExpireAsync(setId), null, _lease, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Ends the held sets of <paramref name="targetId"/> whose lease has run out (a backup found the target locked).
    /// True when one was released.
    /// </summary>
    public async Task<bool> ReleaseExpiredAsync(string targetId)
    {
        var released = false;
        foreach (var (setId, held) in _held.ToArray())
        {
            if (held.TargetId == targetId)
            {
                released |= await ExpireAsync(setId);
            }
        }

        return released;
    }

    /// <summary>Phase two.</summary>
    public async Task<CompletionResult> CompleteAsync(CompletionRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var manifest = request.Manifest;
        ArgumentNullException.ThrowIfNull(manifest);
        var verdict = request.Succeeded;
        var gate = Gate(manifest.SetId);
        await gate.WaitAsync(ct);
        try
        {
            var entry = _journal.Read(manifest.SetId);
            if (entry is null)
            {
                return await UnknownAsync(manifest.SetId, manifest.Target.Id, ct);
            }

            if (entry.TargetId != manifest.Target.Id || entry.Kind != manifest.Kind)
            {
                return Refused(ErrorCodes.SetNotFound, $"The manifest passed is for a {manifest.Kind} set of target {manifest.Target.Id}, but set {entry.SetId} was staged as a {entry.Kind} set of target {entry.TargetId}.", entry, null);
            }

            if (entry.State == StagedSetState.Staged && LeaseEnded(entry))
            {
                entry = await EndAsync(entry, byLease: true);
            }

            if (entry.State is StagedSetState.Completed or StagedSetState.Abandoned)
            {
                return await RepeatAsync(entry, verdict);
            }

            if (entry.State == StagedSetState.Completing && entry.Verdict != verdict)
            {
                return Refused(ErrorCodes.AlreadyCompleted, $"Set {entry.SetId} is being completed with hostSucceeded={entry.Verdict}; the first verdict stands.", entry, null);
            }

            ct.ThrowIfCancellationRequested();
            return await RunAsync(entry, manifest, verdict, ct);
        }
        catch (IOException ex)
        {
            return new CompletionResult { Error = JournalFailure(ex, manifest.SetId, manifest.Target.Id) };
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Ends a staged set without success: logs kept, target released, recorded as failed.</summary>
    public async Task<CompletionResult> AbandonAsync(string setId, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(setId);
        var gate = Gate(setId);
        await gate.WaitAsync(ct);
        try
        {
            var entry = _journal.Read(setId);
            if (entry is null)
            {
                return await UnknownAsync(setId, null, ct);
            }

            switch (entry.State)
            {
                case StagedSetState.Completed when entry.Verdict == true:
                    return Refused(ErrorCodes.AlreadyCompleted, $"Set {setId} was already completed with success; it cannot be abandoned.", entry, entry.Report);
                case StagedSetState.Completing:
                    return Refused(ErrorCodes.AlreadyCompleted, $"Set {setId} is being completed with hostSucceeded={entry.Verdict}; it cannot be abandoned.", entry, null);
                case StagedSetState.Completed or StagedSetState.Abandoned:
                    return await RepeatAsync(entry, verdict: false);
            }

            ct.ThrowIfCancellationRequested();
            entry = await EndAsync(entry, byLease: LeaseEnded(entry));
            return await DeliverAsync(entry);
        }
        catch (IOException ex)
        {
            return new CompletionResult { Error = JournalFailure(ex, setId, null) };
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Ends every held session as aborted (nothing truncated); their records stay staged.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var setId in _held.Keys.ToList())
        {
            if (_held.TryRemove(setId, out var held))
            {
                await held.ReleaseAsync(new PluginError(ErrorCodes.Cancelled, $"The plugin was disposed before set {setId} was completed."));
            }
        }
    }

    private async Task<CompletionResult> RunAsync(JournalEntry entry, BackupManifest manifest, bool verdict, CancellationToken ct)
    {
        _held.TryRemove(entry.SetId, out var held);
        held?.Timer?.Dispose();
        var session = held?.Session;
        var targetLock = held?.Lock;
        var keep = false;
        try
        {
            if (session is null)
            {
                CompletionResult? early;
                (session, targetLock, early) = await ResumeAsync(entry, manifest, verdict, ct);
                if (early is not null || session is null)
                {
                    // ResumeAsync returns a session whenever it returns no early result.
                    return early!;
                }
            }

            var earlier = entry.Intent;
            var resumed = entry.State == StagedSetState.Completing;
            entry = Record(entry with { State = StagedSetState.Completing, Verdict = verdict });
            var pointOfNoReturn = false;
            TruncationReport report;
            try
            {
                report = await session.CompleteAsync(
                    manifest,
                    verdict,
                    planned =>
                    {
                        // Written before the first removal: a process killed from here on leaves a record of what may be gone.
                        entry = Record(entry with { Intent = [.. (earlier ?? []).Concat(planned).DistinctBy(l => l.Path)] });
                        pointOfNoReturn = true;
                        return ValueTask.CompletedTask;
                    },
                    ct);
            }
            catch (Exception ex) when (!pointOfNoReturn && ex is not OutOfMemoryException)
            {
                // Nothing irreversible happened: the set stays as it was, and the session keeps the target for a retry.
                Record(entry with { State = resumed ? StagedSetState.Completing : StagedSetState.Staged, Verdict = resumed ? verdict : null });
                if (held is not null)
                {
                    keep = true;
                    Rehold(entry.SetId, held);
                }

                if (ex is OperationCanceledException)
                {
                    throw;
                }

                return new CompletionResult { Error = ex is PluginException pe ? pe.Error : Unexpected(ex, entry) };
            }
            catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
            {
                report = TruncationReports.Create(entry.Set, verdict, TruncationStatus.Failed, TruncationPerformer.Plugin, "Truncation began and then failed; the report lists what left the disk.", _time.GetUtcNow(), TruncationReports.Gone(entry.Intent), error: ex is PluginException pe ? pe.Error : Unexpected(ex, entry));
            }

            entry = RecordCompleted(entry, manifest, verdict, TruncationReports.WithEarlierRemovals(report, earlier));
        }
        finally
        {
            if (!keep)
            {
                if (session is not null)
                {
                    await session.DisposeAsync();
                }

                targetLock?.Dispose();
            }
        }

        return await DeliverAsync(entry);
    }

    /// <summary>
    /// A set whose staging run has ended: takes the target's lock and asks the source to resume its session. A result
    /// ends the completion early (target busy, resume failed, session lost); the lock, when taken, is the caller's to release.
    /// </summary>
    private async Task<(ISourceSession? Session, TargetLock? Lock, CompletionResult? Early)> ResumeAsync(JournalEntry entry, BackupManifest manifest, bool verdict, CancellationToken ct)
    {
        var targetLock = _locks.TryAcquire(entry.TargetId, manifest.Target.Location);
        if (targetLock is null)
        {
            return (null, null, Refused(ErrorCodes.BackupInProgress, $"Another backup of target {entry.TargetId} is running; complete set {entry.SetId} when it has finished.", entry, null));
        }

        ISourceSession? session;
        try
        {
            session = await _resume(manifest, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Nothing happened yet: the set stays staged for a retry.
            return (null, targetLock, new CompletionResult { Error = ex is PluginException pe ? pe.Error : Unexpected(ex, entry) });
        }
        catch
        {
            targetLock.Dispose();
            throw;
        }

        if (session is not null)
        {
            return (session, targetLock, null);
        }

        try
        {
            return (null, targetLock, await DeliverAsync(Record(entry with { State = StagedSetState.Completed, Verdict = verdict, Report = Lost(entry, verdict) })));
        }
        catch
        {
            targetLock.Dispose();
            throw;
        }
    }

    /// <summary>Journals the completed set with its report (never yet in the catalog) and logs it.</summary>
    private JournalEntry RecordCompleted(JournalEntry entry, BackupManifest manifest, bool verdict, TruncationReport report)
    {
        if (manifest.Kind == BackupKind.Copy && report.Removed.Count > 0)
        {
            _logger.LogCritical("Source {Strategy} truncated logs for copy set {SetId}; this is a bug.", manifest.Producer.Strategy, manifest.SetId);
        }

        entry = Record(entry with { State = StagedSetState.Completed, Report = report, CatalogRecorded = false });
        _logger.LogInformation("Set {SetId} completed ({Verdict}): truncation {Status} by {Performer}, {Count} file(s) removed.", entry.SetId, verdict ? "succeeded" : "failed", report.Status, report.PerformedBy, report.Removed.Count);
        return entry;
    }

    /// <summary>A completed or abandoned set asked for again.</summary>
    private async Task<CompletionResult> RepeatAsync(JournalEntry entry, bool verdict)
    {
        var recorded = entry.Verdict ?? false;
        if (recorded == verdict)
        {
            return await DeliverAsync(entry);
        }

        return entry.State == StagedSetState.Abandoned && entry.LeaseExpired
            ? Refused(ErrorCodes.LeaseExpired, $"The lease of set {entry.SetId} ended at {entry.LeaseExpiresAt:O} before it was completed: it was released and can only be completed as failed. Back up again.", entry, entry.Report)
            : Refused(ErrorCodes.AlreadyCompleted, $"Set {entry.SetId} was already {(entry.State == StagedSetState.Abandoned ? "abandoned" : "completed")} with hostSucceeded={recorded}; the first verdict stands and nothing was changed.", entry, entry.Report);
    }

    /// <summary>Gives the recorded report to the catalog unless it already has it; a failure is reported, never thrown.</summary>
    private async Task<CompletionResult> DeliverAsync(JournalEntry entry)
    {
        var report = entry.Report!;
        if (!entry.CatalogRecorded)
        {
            try
            {
                if (!await CatalogHasAsync(report))
                {
                    // After truncation cancellation no longer applies: the report must reach the host.
                    await _catalog.RecordTruncationAsync(report, CancellationToken.None);
                }

                entry = Record(entry with { CatalogRecorded = true });
            }
            catch (PluginException ex)
            {
                _logger.LogError("Set {SetId}: the catalog did not record the completion: {Error}", entry.SetId, ex.Error);
                return new CompletionResult
                {
                    Truncation = report,
                    Error = ex.Error with
                    {
                        Message = ex.Error.Message + $" The logs were handled as the report says ({report.Status}, {report.Removed.Count} removed) and the plugin's journal holds the report: complete set {entry.SetId} again with the same verdict to deliver it.",
                        TargetId = entry.TargetId,
                    },
                };
            }
            catch (IOException ex)
            {
                // The catalog has it; only our note of that failed. The next repeat delivers it again, which is harmless.
                _logger.LogWarning(ex, "Set {SetId}: could not note the catalog's receipt in the journal.", entry.SetId);
            }
        }

        return new CompletionResult { Truncation = report, Error = report.Error };
    }

    private async Task<bool> CatalogHasAsync(TruncationReport report)
    {
        try
        {
            var known = await _catalog.GetSetAsync(report.SetId, CancellationToken.None);
            return known is not null && known.State == CatalogStates.AfterCompletion(report) && known.CompletedAt == report.At;
        }
        catch (PluginException)
        {
            return false;
        }
    }

    /// <summary>Abandons a staged set: aborts its live session (if this process holds it), keeps every log.</summary>
    private async Task<JournalEntry> EndAsync(JournalEntry entry, bool byLease)
    {
        if (_held.TryRemove(entry.SetId, out var held))
        {
            await held.ReleaseAsync(new PluginError(byLease ? ErrorCodes.LeaseExpired : ErrorCodes.Cancelled, $"Set {entry.SetId} was {(byLease ? "released because its lease ended" : "abandoned by the host")}."));
        }

        var reason = byLease
            ? $"The set's lease ended at {entry.LeaseExpiresAt:O} before the host completed it: the target was released and every log was kept."
            : "The host abandoned the set: the target was released and every log was kept.";
        var error = byLease ? new PluginError(ErrorCodes.LeaseExpired, $"Set {entry.SetId} was not completed within its lease (until {entry.LeaseExpiresAt:O}); it can only be completed as failed.") { TargetId = entry.TargetId } : null;
        _logger.LogWarning("Set {SetId} of {TargetId}: {Reason}", entry.SetId, entry.TargetId, reason);
        return Record(entry with
        {
            State = StagedSetState.Abandoned,
            Verdict = false,
            LeaseExpired = byLease,
            Report = TruncationReports.Create(entry.Set, false, TruncationStatus.Skipped, TruncationPerformer.None, reason, _time.GetUtcNow(), error: error),
            CatalogRecorded = false,
        });
    }

    /// <summary>The lease timer: ends a held set whose lease ran out. True when it did.</summary>
    private async Task<bool> ExpireAsync(string setId)
    {
        var gate = Gate(setId);
        await gate.WaitAsync();
        try
        {
            if (!_held.ContainsKey(setId) || _journal.Read(setId) is not { State: StagedSetState.Staged } entry || !LeaseEnded(entry))
            {
                return false;
            }

            await DeliverAsync(await EndAsync(entry, byLease: true));
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogError(ex, "Ending set {SetId} at the end of its lease failed.", setId);
            return false;
        }
        finally
        {
            gate.Release();
        }
    }

    private void Rehold(string setId, Held held)
    {
        _held[setId] = held;
        held.Timer = _time.CreateTimer(_ => _ = ExpireAsync(setId), null, _lease, Timeout.InfiniteTimeSpan);
    }

    private TruncationReport Lost(JournalEntry entry, bool verdict)
    {
        var gone = TruncationReports.Gone(entry.Intent);
        var error = verdict
            ? new PluginError(ErrorCodes.SessionLost, $"Set {entry.SetId} cannot truncate logs: its backup session ended with the process that staged it. The set itself is complete and restorable.") { TargetId = entry.TargetId }
            : null;
        return gone.Count > 0
            ? TruncationReports.Create(entry.Set, verdict, TruncationStatus.Failed, TruncationPerformer.Plugin, "The process completing this set ended during truncation; these logs left the disk before it did.", _time.GetUtcNow(), gone, error: error)
            : TruncationReports.Create(entry.Set, verdict, TruncationStatus.Skipped, TruncationPerformer.None, "The live backup session of this set is gone (the process that staged it ended); its engine ended the backup without truncating.", _time.GetUtcNow(), error: error);
    }

    private async Task<CompletionResult> UnknownAsync(string setId, string? targetId, CancellationToken ct)
    {
        CatalogEntry? known = null;
        try
        {
            known = await _catalog.GetSetAsync(setId, ct);
        }
        catch (PluginException)
        {
            // The answer only refines the message.
        }

        var message = known is null
            ? $"Set {setId} was not staged by this plugin (its journal in '{_journal.Directory}' has no record of it)."
            : $"Set {setId} is in the host's catalog ({known.State}), but this plugin's journal in '{_journal.Directory}' has no record of staging it: it was staged on another machine or with another state directory, so it cannot be completed here.";
        return new CompletionResult { Error = new PluginError(ErrorCodes.SetNotFound, message) { TargetId = targetId ?? known?.Manifest.Target.Id } };
    }

    private static CompletionResult Refused(ErrorCode code, string message, JournalEntry entry, TruncationReport? recorded) =>
        new() { Truncation = recorded, Error = new PluginError(code, message) { TargetId = entry.TargetId } };

    private static PluginError Unexpected(Exception ex, JournalEntry entry) =>
        new(ErrorCodes.InternalError, $"Completing set {entry.SetId} failed: {ex.GetType().Name}: {ex.Message}") { TargetId = entry.TargetId };

    private PluginError JournalFailure(IOException ex, string setId, string? targetId) =>
        new(ErrorCodes.DiskIO, $"The plugin's journal in '{_journal.Directory}' could not be used for set {setId}: {ex.Message}") { TargetId = targetId, File = _journal.PathOf(setId) };

    private JournalEntry Record(JournalEntry entry)
    {
        _journal.Write(entry);
        return entry;
    }

    private bool LeaseEnded(JournalEntry entry) => _time.GetUtcNow() >= entry.LeaseExpiresAt;

    private SemaphoreSlim Gate(string setId) => _gates.GetOrAdd(setId, _ => new SemaphoreSlim(1, 1));

    /// <summary>A set this process staged: its session and the target lock, until the verdict.</summary>
    private sealed class Held(string targetId, ISourceSession session, TargetLock targetLock)
    {
        public string TargetId { get; } = targetId;

        public ISourceSession Session { get; } = session;

        public TargetLock Lock { get; } = targetLock;

        public ITimer? Timer { get; set; }

        public async ValueTask ReleaseAsync(PluginError reason)
        {
            Timer?.Dispose();
            try
            {
                await Session.AbortAsync(reason);
            }
            finally
            {
                try
                {
                    await Session.DisposeAsync();
                }
                finally
                {
                    Lock.Dispose();
                }
            }
        }
    }
}
