using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using Microsoft.Extensions.Logging;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>
/// Strategy <c>jet-backup-instance</c>: ESE's own JetBackupInstanceW writes the set into a fresh
/// directory inside the set's work directory; the session then offers those files with
/// <see cref="SourceFile.StagedPath"/> so the engine verifies and hashes them in place.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Full = <c>JET_bitBackupAtomic</c>: ESE writes into <c>&lt;dir&gt;/temp</c> and renames it to
/// <c>&lt;dir&gt;/new</c> only on success. Incremental = <c>JET_bitBackupIncremental</c>, non-atomic
/// (atomic incremental loses the directory's parent in the ESE source, reference §7).</item>
/// <item>A non-atomic incremental goes into a fresh, empty directory. ESE decides whether it may continue the
/// chain from the database headers alone: every attached database needs a recorded full backup
/// (<c>JET_errMissingFullBackup</c>, -560), and the oldest log on disk may not be more than one generation above
/// the newest one the headers' full or incremental backup records (<c>JET_errMissingFileToBackup</c>, -569).
/// Nothing in the target directory takes part: <c>backup.cxx</c> has a check of log names in that directory
/// (<c>JET_errInvalidLogSequence</c>, -515), but its only caller passes no directory, so it never runs.</item>
/// <item>Copy backups are impossible through this call (it always truncates): they are refused up front.</item>
/// <item>ESE truncates the logs itself before returning, so the truncation is reported during phase
/// one (<see cref="StagedOutcome.EngineTruncation"/>, performed by ESE, mode "during backup"): the
/// session compares the archived logs before and after the call.</item>
/// <item>Progress: ESE's Begin/Complete notifications (full only). An exception thrown by the host's
/// progress callback is contained in the native callback and fails the backup afterwards — after ESE
/// already truncated, which the error says.</item>
/// <item>Cancellation calls JetStopBackupInstance; ESE then stops with <c>JET_errBackupAbortByServer</c>.</item>
/// </list>
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class EsentBackupInstanceSession : EsentSessionBase
{
    private readonly string _directory;
    private IReadOnlyList<SourceFile> _files = [];
    private IReadOnlyList<TruncatedLog> _removed = [];
    private volatile bool _running;

    private EsentBackupInstanceSession(EsentSessionContext context)
        : base(context)
    {
        _directory = Path.Combine(context.Backup.WorkDirectory, EsentStrategies.BackupInstanceDirectory);
    }

    /// <inheritdoc />
    public override string Strategy => EsentStrategies.BackupInstance;

    /// <summary>True when a cancel request arrived but ESE completed (and truncated) anyway.</summary>
    public bool CancelledTooLate { get; private set; }

    /// <inheritdoc />
    public override bool MustFinishStaging => CancelledTooLate;

    /// <summary>Runs JetBackupInstanceW; the session, or the error.</summary>
    public static async Task<(EsentBackupInstanceSession? Session, PluginError? Error)> RunAsync(EsentSessionContext context, CancellationToken cancellationToken)
    {
        if (context.Backup.Kind == BackupKind.Copy)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errInvalidBackup, $"JetBackupInstance cannot make a copy backup of {context.Info.Label} (it always truncates logs); use the jet-streaming strategy."));
        }

        var session = new EsentBackupInstanceSession(context);
        PluginError? error;
        try
        {
            error = await session.RunCoreAsync(cancellationToken);
        }
        catch (OperationCanceledException ex)
        {
            session.AbortCore(EsentFailures.ToError(ex, context.Info.Label));
            await session.DisposeAsync();
            throw;
        }

        if (error is null)
        {
            return (session, null);
        }

        session.AbortCore(error);
        await session.DisposeAsync();
        return (null, error);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<SourceFile> GetFilesAsync(CancellationToken cancellationToken)
        => EsentFailures.Guard(EnumerateAsync(cancellationToken), (_, error) => { AbortCore(error); return ValueTask.CompletedTask; }, Context.Info.Label, cancellationToken);

    /// <inheritdoc />
    public override ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken)
    {
        lock (Sync)
        {
            ThrowIfAborted();
            if (State != SessionState.Running)
            {
                throw new InvalidOperationException("OnStagedAsync was already called.");
            }

            State = SessionState.Staged;
        }

        var engineReport = EngineReport(hostSucceeded: false);
        var plan = new TruncationPlan(TruncationMode.DuringBackup, TruncationPerformer.Ese) { ExpectedRange = engineReport.Range };
        return ValueTask.FromResult(new StagedOutcome(plan, engineReport));
    }

    /// <inheritdoc />
    protected override TruncationReport CompleteCore(bool hostSucceeded) => EngineReport(hostSucceeded);

    /// <inheritdoc />
    protected override void AbortNative()
    {
        if (_running)
        {
            LogIgnored(Context.Apis.Instances.StopBackup(Context.Instance), "JetStopBackupInstance");
        }

        DeleteDirectory();
    }

    private TruncationReport EngineReport(bool hostSucceeded)
    {
        var reason = (_removed.Count > 0
            ? $"JetBackupInstance truncated {_removed.Count} log(s) itself during phase one, before the host's verdict" + (hostSucceeded ? "." : "; a host failure cannot bring them back.")
            : "JetBackupInstance truncated nothing: no log below the checkpoint was made unnecessary by this backup.")
            + (CancelledTooLate ? " The backup was cancelled, but the stop request reached ESE too late: ESE completed the backup, so the set was staged to keep what it truncated." : string.Empty);
        return NewReport(hostSucceeded, _removed.Count > 0 ? TruncationStatus.DoneByEngine : TruncationStatus.NothingToTruncate, TruncationPerformer.Ese, _removed, reason);
    }

    private async IAsyncEnumerable<SourceFile> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var file in _files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (Sync)
            {
                ThrowIfAborted();
            }

            yield return file;
        }
    }

    private async Task<PluginError?> RunCoreAsync(CancellationToken cancellationToken)
    {
        var info = Context.Info;
        var incremental = Kind == BackupKind.Incremental;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (Directory.Exists(_directory) && Directory.EnumerateFileSystemEntries(_directory).Any())
            {
                return EseErrorMapper.Detected(JetErr.JET_errBackupDirectoryNotEmpty, $"The directory {_directory} for JetBackupInstance is not empty.", _directory);
            }

            Directory.CreateDirectory(_directory);
            var before = EsentTruncation.ListLogsBefore(info);
            var grbit = incremental ? JetBackupGrbit.Incremental : JetBackupGrbit.Atomic;
            var sink = new EsentStatusToProgress(Context.Progress, $"JetBackupInstance ({Kind}) of {info.Label}");

            var (err, callbackFailure) = await BackupInstanceAsync(grbit, sink, cancellationToken);

            _removed = EsentTruncation.Removed(before);
            if (err >= 0 && cancellationToken.IsCancellationRequested)
            {
                // JetStopBackupInstance only sets a flag that ESE's own begin step clears: a cancel landing between our
                // registration and that step is lost, and ESE completes and truncates. The set then holds the only copy of
                // the truncated logs, so it is kept and the cancel is reported as having come too late.
                CancelledTooLate = true;
                Context.Logger.LogWarning("JetBackupInstance of {Target} completed although the backup was cancelled (the stop request came too late); the set is kept because ESE already truncated.", info.Label);
            }

            if (err < 0)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException("JetBackupInstance was stopped (JetStopBackupInstance) because the backup was cancelled.", cancellationToken);
                }

                return Failure(err, "JetBackupInstanceW", _directory);
            }

            if (callbackFailure is not null)
            {
                return CallbackFailed(callbackFailure);
            }

            var resultDirectory = incremental ? _directory : Path.Combine(_directory, "new");
            _files = Classify(resultDirectory);
            return null;
        }
        catch (IOException ex)
        {
            return new PluginError(ErrorCodes.DiskIO, $"Preparing or reading {_directory} for JetBackupInstance of {info.Label} failed: {ex.Message}") { File = _directory };
        }
        catch (UnauthorizedAccessException ex)
        {
            return new PluginError(ErrorCodes.PermissionDenied, $"Access to {_directory} for JetBackupInstance of {info.Label} was denied: {ex.Message}") { File = _directory };
        }
        finally
        {
            _running = false;
        }
    }

    /// <summary>Runs JetBackupInstance on a worker thread; a cancel asks ESE to stop (JetStopBackupInstance) while it runs.</summary>
    private async Task<(int Err, Exception? CallbackFailure)> BackupInstanceAsync(JetBackupGrbit grbit, EsentStatusToProgress sink, CancellationToken cancellationToken)
    {
        _running = true;
        using (cancellationToken.Register(() =>
        {
            if (_running)
            {
                _ = Context.Apis.Instances.StopBackup(Context.Instance);
            }
        }))
        {
            var result = await Task.Run(
                () =>
                {
                    var e = Context.Apis.Backup.BackupInstance(Context.Instance, _directory, grbit, sink, out var failure);
                    return (e, failure);
                },
                CancellationToken.None);
            _running = false;
            return result;
        }
    }

    /// <summary>The host's progress callback threw while ESE ran: the backup fails, and says what ESE had already truncated.</summary>
    private PluginError CallbackFailed(Exception callbackFailure)
    {
        var info = Context.Info;
        var removed = EsentTruncation.RangeOf(_removed.Select(r => r.Generation));
        return EseErrorMapper.Detected(
            JetErr.JET_errCallbackFailed,
            $"The host's progress callback threw {callbackFailure.GetType().Name} during JetBackupInstance of {info.Label} ({callbackFailure.Message}); the backup is failed. ESE ignores callback results and had already finished"
            + (removed is null ? "." : $" and truncated log generations {removed}."))
            with
        {
            TargetId = Context.Backup.Target.Id,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["eseName"] = nameof(JetErr.JET_errCallbackFailed),
                ["eseTruncated"] = removed?.ToString() ?? string.Empty,
            },
        };
    }

    private List<SourceFile> Classify(string directory)
    {
        var info = Context.Info;
        var databasesByName = info.Databases.GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key!, g => g.First(), StringComparer.OrdinalIgnoreCase);
        var databases = new List<SourceFile>();
        var patches = new List<SourceFile>();
        var logs = new List<(long Generation, SourceFile File)>();
        var others = new List<SourceFile>();
        foreach (var file in new DirectoryInfo(directory).EnumerateFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (file.Extension.Equals(".pat", StringComparison.OrdinalIgnoreCase))
            {
                patches.Add(Staged(file, FileRole.Patch, null, null));
            }
            else if (LogFileName.ArchivedGeneration(file.Name, info.BaseName) is { } generation)
            {
                logs.Add((generation, Staged(file, FileRole.Log, Path.Combine(info.LogDirectory, file.Name), generation)));
            }
            else if (databasesByName.TryGetValue(file.Name, out var source))
            {
                databases.Add(Staged(file, FileRole.Database, source, null));
            }
            else
            {
                others.Add(Staged(file, FileRole.Other, null, null));
            }
        }

        return [.. databases, .. patches, .. logs.OrderBy(l => l.Generation).Select(l => l.File), .. others];
    }

    private static LocalSourceFile Staged(FileInfo file, FileRole role, string? source, long? generation) => new()
    {
        RelativePath = file.Name,
        Role = role,
        SourcePath = source,
        Length = file.Length,
        Generation = generation,
        StagedPath = file.FullName,
    };

    private void DeleteDirectory()
    {
        try
        {
            if (Directory.Exists(_directory))
            {
                Directory.Delete(_directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: the engine removes the whole work directory of a failed set anyway.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>
/// Phase two of a <c>jet-backup-instance</c> set whose live session is gone (another process staged it):
/// JetBackupInstance truncated during phase one, so there is nothing left to do but say so.
/// </summary>
internal sealed class EsentFinishedBackupSession(BackupManifest manifest, TimeProvider time) : ISourceSession
{
    /// <inheritdoc />
    public string Strategy => EsentStrategies.BackupInstance;

    /// <inheritdoc />
    public IAsyncEnumerable<SourceFile> GetFilesAsync(CancellationToken cancellationToken)
        => throw new InvalidOperationException("A finished JetBackupInstance set has no files to stage.");

    /// <inheritdoc />
    public ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken)
        => throw new InvalidOperationException("A finished JetBackupInstance set is already staged.");

    /// <inheritdoc />
    public ValueTask<TruncationReport> CompleteAsync(BackupManifest completed, bool hostSucceeded, TruncationIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completed);
        var range = manifest.Truncation.ExpectedRange;
        return ValueTask.FromResult(TruncationReports.Create(
            SetRef.Of(manifest),
            hostSucceeded,
            range is null ? TruncationStatus.NothingToTruncate : TruncationStatus.DoneByEngine,
            TruncationPerformer.Ese,
            range is null
                ? "JetBackupInstance truncated nothing during phase one; there is nothing left to do."
                : $"JetBackupInstance truncated generations {range} itself during phase one, in the process that staged the set" + (hostSucceeded ? "." : "; a host failure cannot bring them back."),
            time.GetUtcNow(),
            range: range));
    }

    /// <inheritdoc />
    public ValueTask AbortAsync(PluginError? reason) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
