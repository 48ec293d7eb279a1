using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Windows.Esent;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>What a session works with.</summary>
/// <param name="Apis">The esent.dll areas.</param>
/// <param name="Instance">The instance (borrowed: the session never terminates it).</param>
/// <param name="Info">What the source knows about the instance.</param>
/// <param name="Backup">The engine's request.</param>
/// <param name="Progress">Where progress goes.</param>
/// <param name="Options">Source options.</param>
/// <param name="Logger">Logger.</param>
/// <param name="Time">Clock for report times.</param>
[SupportedOSPlatform("windows")]
internal sealed record EsentSessionContext(
    EsentApis Apis,
    SafeJetInstanceHandle Instance,
    EsentInstanceInfo Info,
    SourceBackupContext Backup,
    EsentProgress Progress,
    EsentSourceOptions Options,
    ILogger Logger,
    TimeProvider Time);

/// <summary>
/// The native session both strategies share: running → staged → completed, or aborted from anywhere before
/// completion. Abort is idempotent; disposing a session that was neither completed nor aborted aborts it. The
/// two-phase rules (idempotent verdicts, conflicts, journal, lock) are the engine's (<c>StagedSets</c>).
/// </summary>
[SupportedOSPlatform("windows")]
internal abstract class EsentSessionBase : ISourceSession
{
    private bool _disposed;

    /// <summary>Creates the session.</summary>
    protected EsentSessionBase(EsentSessionContext context)
    {
        Context = context;
    }

    /// <summary>Where the session stands.</summary>
    protected enum SessionState
    {
        /// <summary>Files are being produced or read.</summary>
        Running,

        /// <summary>The engine staged every file.</summary>
        Staged,

        /// <summary>Phase two ran.</summary>
        Completed,

        /// <summary>Ended without success.</summary>
        Aborted,
    }

    /// <inheritdoc />
    public abstract string Strategy { get; }

    /// <inheritdoc />
    public virtual bool MustFinishStaging => false;

    /// <summary>Why the session was aborted, when it was.</summary>
    public PluginError? FailureReason { get; private set; }

    /// <summary>What the session works with.</summary>
    protected EsentSessionContext Context { get; }

    /// <summary>Serialises native calls and state changes (the engine may abort from another thread).</summary>
    protected Lock Sync { get; } = new();

    /// <summary>Current state.</summary>
    protected SessionState State { get; set; } = SessionState.Running;

    /// <summary>Shorthand for the backup kind.</summary>
    protected BackupKind Kind => Context.Backup.Kind;

    /// <inheritdoc />
    public abstract IAsyncEnumerable<SourceFile> GetFilesAsync(CancellationToken cancellationToken);

    /// <inheritdoc />
    public abstract ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken);

    /// <inheritdoc />
    public async ValueTask<TruncationReport> CompleteAsync(BackupManifest manifest, bool hostSucceeded, TruncationIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(intent);
        if (!string.Equals(manifest.SetId, Context.Backup.SetId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"The manifest is for set {manifest.SetId}, this session made set {Context.Backup.SetId}.", nameof(manifest));
        }

        lock (Sync)
        {
            if (State == SessionState.Aborted)
            {
                return NewReport(hostSucceeded, TruncationStatus.Failed, TruncationPerformer.None, [], "The backup session was aborted before completion; nothing was truncated.")
                    with
                { Error = FailureReason ?? new PluginError(ErrorCodes.SessionLost, $"The backup session of {Context.Info.Label} was aborted.") };
            }

            if (State != SessionState.Staged)
            {
                // Idempotency and verdict conflicts are the engine's state machine's: it asks a session once.
                throw new InvalidOperationException(State == SessionState.Completed
                    ? "CompleteAsync was already called for this session."
                    : "CompleteAsync is phase two: the set must be staged first (OnStagedAsync).");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();

        // Every native call of phase two ends ESE's backup one way or another: it is the point of no return.
        await intent(PlannedRemovals(hostSucceeded));
        lock (Sync)
        {
            var report = CompleteCore(hostSucceeded);
            State = SessionState.Completed;
            return report;
        }
    }

    /// <summary>What phase two is about to remove from disk (journaled first); none by default.</summary>
    protected virtual IReadOnlyList<TruncatedLog> PlannedRemovals(bool hostSucceeded) => [];

    /// <inheritdoc />
    public ValueTask AbortAsync(PluginError? reason)
    {
        AbortCore(reason);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            AbortCore(new PluginError(ErrorCodes.Cancelled, $"The backup session of {Context.Info.Label} was disposed without being completed."));
            lock (Sync)
            {
                ReleaseResources();
                Context.Instance.Dispose();
            }
        }

        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Ends the session without success (idempotent; a completed session stays completed).</summary>
    protected void AbortCore(PluginError? reason)
    {
        lock (Sync)
        {
            if (State is SessionState.Completed or SessionState.Aborted)
            {
                return;
            }

            State = SessionState.Aborted;
            FailureReason = reason;
            AbortNative();
        }

        Context.Logger.LogWarning("Backup of {Target} ({Strategy}) aborted: {Reason}", Context.Info.Label, Strategy, reason?.Message ?? "no reason given");
        Context.Progress.TryReport(ProgressPhase.Fail, reason?.Message ?? $"The backup of {Context.Info.Label} was aborted.");
    }

    /// <summary>Phase two, under the lock, once the set is staged.</summary>
    protected abstract TruncationReport CompleteCore(bool hostSucceeded);

    /// <summary>Releases native state on abort (under the lock).</summary>
    protected abstract void AbortNative();

    /// <summary>Frees buffers (under the lock) when the session is disposed.</summary>
    protected virtual void ReleaseResources()
    {
    }

    /// <summary>Throws the abort reason when the session was aborted.</summary>
    protected void ThrowIfAborted()
    {
        if (State == SessionState.Aborted)
        {
            throw new PluginException(FailureReason ?? new PluginError(ErrorCodes.Cancelled, $"The backup of {Context.Info.Label} was aborted."));
        }
    }

    /// <summary>Maps a failed native call to a <see cref="PluginError"/> naming the target and file.</summary>
    protected PluginError Failure(int jetErr, string operation, string? file = null)
        => EseErrorMapper.ToPluginError(jetErr, operation, Context.Info.Label, file, Context.Backup.Target.Id);

    /// <summary>Aborts with <paramref name="error"/> and returns the exception to throw.</summary>
    protected PluginException Fail(PluginError error)
    {
        AbortCore(error);
        return new PluginException(error);
    }

    /// <summary>A report for this session's set.</summary>
    protected TruncationReport NewReport(bool hostSucceeded, TruncationStatus status, TruncationPerformer by, IReadOnlyList<TruncatedLog> removed, string reason)
        => TruncationReports.Create(new SetRef(Context.Backup.SetId, Context.Backup.Target.Id, Kind), hostSucceeded, status, by, reason, Context.Time.GetUtcNow(), removed);

    /// <summary>Logs a native failure that does not change the outcome (e.g. End after the engine tore the backup down).</summary>
    protected void LogIgnored(int jetErr, string operation)
    {
        if (jetErr < 0 && jetErr != (int)JetErr.JET_errNoBackup)
        {
            Context.Logger.LogWarning("{Operation} on {Target} returned {Error}", operation, Context.Info.Label, JetErrTable.Get(jetErr));
        }
    }
}
