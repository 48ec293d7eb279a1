using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>
/// Strategy <c>jet-streaming</c>: the external backup API, driven in the order ESE enforces
/// (reference/ese-backup-api.md §6).
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>Begin (in <see cref="EsentInstanceSource.BeginAsync(SourceBackupContext, IProgress{OperationProgress}?, CancellationToken)"/>):
/// JetBeginExternalBackupInstance(0 | Incremental). Copy = a full stream that is never truncated.</item>
/// <item>Full/copy: every database from JetGetAttachInfoInstanceW, each opened, read to its end
/// (header twice + pages + trailer page) and closed before the next: ESE has one file slot. Then an
/// empty <c>&lt;db&gt;.pat</c> per database, so the set has the layout JetRestoreInstance needs (§6.6).</item>
/// <item>Then the first JetGetLogInfoInstance2W (rolls the log; databases can no longer be opened) and
/// every listed log, read to its end.</item>
/// <item>Staged: JetGetTruncateLogInfoInstanceW gives the expected truncation for the manifest, and (with
/// sizes) the "before" snapshot of phase two: ESE fixed that range at the first log call (§6.4).</item>
/// <item>Phase two, host succeeded (full/incremental): JetTruncateLogInstance,
/// JetEndExternalBackupInstance2(Normal | TruncateDone); the report lists the files of the snapshot that
/// are actually gone. Copy: End(Normal), ESE records a copy backup.</item>
/// <item>Phase two, host failed: End(Abort). The set was read correctly, but the host does not have it:
/// stamping the database headers with a backup (a "copy" for a full, a "differential" for an
/// incremental) would record a backup that exists nowhere, so the session ends the way ESE records an
/// aborted backup. Logs stay either way.</item>
/// <item>Any failure, cancellation or exception (including one from the host's progress callback):
/// close the open file and End(Abort); <c>JET_errNoBackup</c> from End (ESE already tore the backup
/// down, e.g. after a log read failure) is expected and ignored.</item>
/// </list>
/// A failed database read fails the whole backup (ESE would only drop that database from its set, but a
/// set without one of its databases is not a backup of the target).
/// </remarks>
[SupportedOSPlatform("windows")]
internal sealed class EsentStreamingSession : EsentSessionBase
{
    private AlignedBuffer? _buffer;
    private EsentStreamedReader? _open;
    private bool _enumerated;
    private bool _allFilesRead;
    private int _filesRead;
    private long _bytesRead;
    private SortedDictionary<long, (string Path, long Size)>? _truncatable;

    private EsentStreamingSession(EsentSessionContext context)
        : base(context)
    {
    }

    /// <inheritdoc />
    public override string Strategy => EsentStrategies.Streaming;

    /// <summary>The log range ESE reported (JET_LOGINFO_W) once the log phase started.</summary>
    public Abstractions.Targets.GenerationRange? CopyRange { get; private set; }

    /// <summary>JetBeginExternalBackupInstance; the session, or ESE's refusal.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The session is returned to the engine, which disposes it; on failure it is aborted.")]
    public static (EsentStreamingSession? Session, PluginError? Error) Begin(EsentSessionContext context)
    {
        var grbit = context.Backup.Kind == BackupKind.Incremental ? JetBackupGrbit.Incremental : JetBackupGrbit.None;
        var err = context.Apis.Backup.BeginExternalBackup(context.Instance, grbit);
        if (err < 0)
        {
            return (null, EseErrorMapper.ToPluginError(err, "JetBeginExternalBackupInstance", context.Info.Label, null, context.Backup.Target.Id));
        }

        var session = new EsentStreamingSession(context);
        try
        {
            context.Progress.Report(ProgressPhase.Begin, $"jet-streaming {context.Backup.Kind} backup of {context.Info.Label} started");
        }
        catch (ProgressCallbackException ex)
        {
            var error = EsentFailures.ToError(ex, context.Info.Label);
            session.AbortCore(error);
            return (null, error);
        }

        return (session, null);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<SourceFile> GetFilesAsync(CancellationToken cancellationToken)
    {
        lock (Sync)
        {
            if (_enumerated)
            {
                throw new InvalidOperationException("The files of a streaming backup can be enumerated once.");
            }

            _enumerated = true;
        }

        return EsentFailures.Guard(EnumerateAsync(cancellationToken), OnEnumerationFailedAsync, Context.Info.Label, cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken)
    {
        TruncationPlan plan;
        lock (Sync)
        {
            ThrowIfAborted();
            if (State != SessionState.Running || !_allFilesRead || _open is not null)
            {
                throw new InvalidOperationException("OnStagedAsync needs every file read to its end first.");
            }

            if (Kind == BackupKind.Copy)
            {
                plan = new TruncationPlan(TruncationMode.Never, TruncationPerformer.None);
            }
            else
            {
                var err = Context.Apis.Backup.GetTruncateLogInfo(Context.Instance, out var logs);
                if (err < 0)
                {
                    throw Fail(Failure(err, "JetGetTruncateLogInfoInstanceW"));
                }

                // ESE fixed the truncate range at the first log call (reference §6.4): this list is what
                // JetTruncateLogInstance will delete in phase two, so it is also the "before" snapshot.
                _truncatable = Snapshot(logs);
                plan = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin)
                {
                    ExpectedRange = EsentTruncation.RangeOf(Generations(logs)),
                };
            }

            State = SessionState.Staged;
        }

        try
        {
            Context.Progress.Report(ProgressPhase.Complete, $"jet-streaming: {_filesRead} files, {_bytesRead} bytes read from {Context.Info.Label}", _filesRead, _filesRead, _bytesRead, _bytesRead);
        }
        catch (ProgressCallbackException ex)
        {
            throw Fail(EsentFailures.ToError(ex, Context.Info.Label));
        }

        return ValueTask.FromResult(new StagedOutcome(plan));
    }

    /// <inheritdoc />
    protected override TruncationReport CompleteCore(bool hostSucceeded)
    {
        var apis = Context.Apis.Backup;
        var instance = Context.Instance;
        if (!hostSucceeded)
        {
            LogIgnored(apis.EndExternalBackup(instance, JetBackupEndGrbit.Abort), "JetEndExternalBackupInstance2(Abort)");
            return NewReport(false, TruncationStatus.Skipped, TruncationPerformer.None, [], "The host reported a failure: no log was truncated and the backup was ended as aborted, so no database header records a backup the host does not have.");
        }

        if (Kind == BackupKind.Copy)
        {
            var endErr = apis.EndExternalBackup(instance, JetBackupEndGrbit.Normal);
            LogIgnored(endErr, "JetEndExternalBackupInstance2(Normal)");
            return NewReport(true, TruncationStatus.NotAllowed, TruncationPerformer.None, [], "A copy backup never truncates logs; ESE records it as a copy backup (bkinfoCopyPrev)." + EndNote(endErr));
        }

        var err = apis.TruncateLog(instance);
        if (err >= 0)
        {
            var removed = EsentTruncation.Removed(_truncatable ?? new());
            var endErr = apis.EndExternalBackup(instance, JetBackupEndGrbit.Normal | JetBackupEndGrbit.TruncateDone);
            LogIgnored(endErr, "JetEndExternalBackupInstance2(Normal|TruncateDone)");
            var reason = removed.Count > 0
                ? $"JetTruncateLogInstance removed {removed.Count} log(s), generations {EsentTruncation.RangeOf(removed.Select(r => r.Generation))}: ESE's range runs from the oldest log on disk up to the checkpoint, capped at the logs this backup copied."
                : "JetTruncateLogInstance found no log below the checkpoint that this backup made unnecessary.";
            return NewReport(true, removed.Count > 0 ? TruncationStatus.Truncated : TruncationStatus.NothingToTruncate, TruncationPerformer.Plugin, removed, reason + EndNote(endErr));
        }

        // ESE marks the logs truncated before deleting them and stops at the first delete that fails, so some may be
        // gone already: report what actually left the disk, exactly as on success.
        var error = Failure(err, "JetTruncateLogInstance");
        var gone = EsentTruncation.Removed(_truncatable ?? new());
        LogIgnored(apis.EndExternalBackup(instance, JetBackupEndGrbit.Normal), "JetEndExternalBackupInstance2(Normal)");
        var what = gone.Count == 0
            ? "no log was removed"
            : $"{gone.Count} log(s) were removed before it failed (generations {EsentTruncation.RangeOf(gone.Select(r => r.Generation))}), the rest were kept";
        return NewReport(true, TruncationStatus.Failed, TruncationPerformer.Plugin, gone, $"Truncation failed: {what}. The backup was ended without truncation, so ESE records it as a {(Kind == BackupKind.Full ? "copy" : "differential")} backup; a later incremental may need a new full.")
            with
        { Error = error };
    }

    /// <inheritdoc />
    protected override IReadOnlyList<TruncatedLog> PlannedRemovals(bool hostSucceeded) =>
        hostSucceeded && Kind != BackupKind.Copy && _truncatable is { } listed
            ? [.. listed.Select(kv => new TruncatedLog(kv.Value.Path, kv.Key, kv.Value.Size))]
            : [];

    /// <inheritdoc />
    protected override void AbortNative()
    {
        if (_open is { } open)
        {
            LogIgnored(Context.Apis.Backup.CloseFile(Context.Instance, open.Handle), "JetCloseFileInstance");
            _open = null;
        }

        LogIgnored(Context.Apis.Backup.EndExternalBackup(Context.Instance, JetBackupEndGrbit.Abort), "JetEndExternalBackupInstance2(Abort)");
    }

    /// <inheritdoc />
    protected override void ReleaseResources()
    {
        ((IDisposable?)_buffer)?.Dispose();
        _buffer = null;
    }

    private static string EndNote(int endErr)
        => endErr < 0 ? $" JetEndExternalBackupInstance2 then returned {JetErrTable.Get(endErr)}." : string.Empty;

    private static long GenerationOf(string path) => LogFileName.ArchivedGeneration(Path.GetFileName(path)) ?? 0;

    private static IEnumerable<long> Generations(IEnumerable<string> paths) => paths.Select(GenerationOf).Where(g => g > 0);

    /// <summary>The listed logs by generation, with their sizes now (what <see cref="EsentTruncation.Removed"/> compares against).</summary>
    private static SortedDictionary<long, (string Path, long Size)> Snapshot(IEnumerable<string> paths)
    {
        var result = new SortedDictionary<long, (string Path, long Size)>();
        foreach (var path in paths)
        {
            result[GenerationOf(path)] = (path, File.Exists(path) ? new FileInfo(path).Length : 0L);
        }

        return result;
    }

    private ValueTask OnEnumerationFailedAsync(Exception exception, PluginError error)
    {
        AbortCore(error);
        return ValueTask.CompletedTask;
    }

    private async IAsyncEnumerable<SourceFile> EnumerateAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        var apis = Context.Apis.Backup;
        if (Kind != BackupKind.Incremental)
        {
            IReadOnlyList<string> databases;
            lock (Sync)
            {
                ThrowIfAborted();
                var err = apis.GetAttachInfo(Context.Instance, out databases);
                if (err < 0)
                {
                    throw new PluginException(Failure(err, "JetGetAttachInfoInstanceW"));
                }
            }

            var duplicate = databases.GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                throw new PluginException(EseErrorMapper.Detected(JetErr.JET_errInvalidPath, $"{Context.Info.Label} has several databases named {duplicate.Key}; a backup set is flat, so their files would collide."));
            }

            foreach (var database in databases)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var file = new EsentStreamedFile(this, isDatabase: true) { RelativePath = Path.GetFileName(database), Role = FileRole.Database, SourcePath = database };
                yield return file;
                cancellationToken.ThrowIfCancellationRequested();
                AfterFile(file);
            }

            foreach (var database in databases)
            {
                yield return new InMemorySourceFile
                {
                    RelativePath = Path.GetFileNameWithoutExtension(database) + ".pat",
                    Role = FileRole.Patch,
                };
            }
        }

        IReadOnlyList<string> logs;
        lock (Sync)
        {
            ThrowIfAborted();
            if (_open is not null)
            {
                throw new InvalidOperationException("A database is still open; ESE allows the log phase only when every file is closed.");
            }

            var err = apis.GetLogInfo(Context.Instance, out logs, out var info);
            if (err < 0)
            {
                throw new PluginException(Failure(err, "JetGetLogInfoInstance2W"));
            }

            CopyRange = info.GenHigh >= info.GenLow && info.GenLow > 0 ? new Abstractions.Targets.GenerationRange(info.GenLow, info.GenHigh) : null;
        }

        foreach (var log in logs)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetFileName(log);
            var generation = LogFileName.ArchivedGeneration(name);
            var file = new EsentStreamedFile(this, isDatabase: false)
            {
                RelativePath = name,
                Role = generation is null ? FileRole.Other : FileRole.Log,
                SourcePath = log,
                Generation = generation,
            };
            yield return file;
            cancellationToken.ThrowIfCancellationRequested();
            AfterFile(file);
        }

        _allFilesRead = true;
    }

    /// <summary>Called when the engine asks for the next file: the previous one must have been read to its end.</summary>
    private void AfterFile(EsentStreamedFile file)
    {
        lock (Sync)
        {
            ThrowIfAborted();
            if (file.Reader is { } reader && ReferenceEquals(_open, reader))
            {
                CloseReader(reader);
                ThrowIfAborted();
            }

            if (file.Reader is not { FullyRead: true })
            {
                throw new PluginException(EseErrorMapper.Detected(JetErr.JET_errInvalidBackupSequence, $"{file.SourcePath} of {Context.Info.Label} was not read to its end before the next file was requested; ESE only counts a file as backed up once it was read completely.", file.SourcePath));
            }
        }

        Context.Progress.Report(ProgressPhase.Progress, $"jet-streaming: {file.RelativePath} read", _filesRead, 0, _bytesRead, 0, file.RelativePath);
    }

    internal EsentStreamedReader Open(EsentStreamedFile file)
    {
        lock (Sync)
        {
            ThrowIfAborted();
            if (_open is not null)
            {
                throw new InvalidOperationException("ESE has one backup file slot per instance: read the open file to its end and dispose its reader first.");
            }

            var path = file.SourcePath!;
            var err = Context.Apis.Backup.OpenFile(Context.Instance, path, out var handle, out var size);
            if (err < 0 || handle is null)
            {
                throw Fail(Failure(err, "JetOpenFileInstanceW", path));
            }

            var page = Context.Info.PageSize;
            _buffer ??= new AlignedBuffer(Math.Max(Context.Options.ReadBufferBytes, 3 * page), page);
            _open = new EsentStreamedReader(this, path, handle, size, file.IsDatabase);
            file.Reader = _open;
            return _open;
        }
    }

    internal unsafe int Read(EsentStreamedReader reader, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // A file that is not read to its end is not backed up: the backup cannot go on.
            AbortCore(new PluginError(ErrorCodes.Cancelled, $"The backup of {Context.Info.Label} was cancelled while reading {reader.Path}.") { File = reader.Path });
            cancellationToken.ThrowIfCancellationRequested();
        }

        lock (Sync)
        {
            ThrowIfAborted();
            if (!ReferenceEquals(_open, reader))
            {
                throw new InvalidOperationException("This reader is closed.");
            }

            if (reader.PendingCount > 0)
            {
                return reader.TakePending(_buffer!.Span, destination.Span);
            }

            if (reader.Received >= reader.Length || destination.IsEmpty)
            {
                return 0;
            }

            var page = Context.Info.PageSize;
            var minimum = reader.FirstRead ? (reader.IsDatabase ? 3 : 2) * page : page;
            var usable = destination.Length / page * page;
            using var pin = destination.Pin();
            var direct = AlignedBuffer.IsAligned(pin.Pointer) && usable >= minimum;
            var target = direct ? (byte*)pin.Pointer : _buffer!.Pointer;
            var count = direct ? usable : _buffer!.Length;
            var err = Context.Apis.Backup.ReadFile(Context.Instance, reader.Handle, target, count, out var got);
            if (err < 0)
            {
                var error = Failure(err, "JetReadFileInstance", reader.Path) with { Offset = reader.Received };
                throw Fail(error);
            }

            if (got <= 0 || got > count || reader.Received + got > reader.Length)
            {
                throw Fail(new PluginError(ErrorCodes.InternalError, string.Create(CultureInfo.InvariantCulture, $"JetReadFileInstance delivered {got} bytes at offset {reader.Received} of {reader.Length} for {reader.Path} of {Context.Info.Label}.")) { File = reader.Path, Offset = reader.Received });
            }

            reader.Received += got;
            reader.FirstRead = false;
            if (direct)
            {
                return got;
            }

            reader.SetPending(got);
            return reader.TakePending(_buffer!.Span, destination.Span);
        }
    }

    internal void Close(EsentStreamedReader reader)
    {
        lock (Sync)
        {
            if (ReferenceEquals(_open, reader))
            {
                CloseReader(reader);
            }
        }
    }

    /// <summary>Closes the file in ESE; a failure aborts the session (and is thrown by the next call).</summary>
    private void CloseReader(EsentStreamedReader reader)
    {
        var err = Context.Apis.Backup.CloseFile(Context.Instance, reader.Handle);
        _open = null;
        if (err < 0)
        {
            AbortCore(Failure(err, "JetCloseFileInstance", reader.Path));
            return;
        }

        if (reader.FullyRead)
        {
            _filesRead++;
            _bytesRead += reader.Length;
        }
    }
}

/// <summary>A file of a streaming backup; opening it opens it in ESE.</summary>
[SupportedOSPlatform("windows")]
internal sealed class EsentStreamedFile : SourceFile
{
    private readonly EsentStreamingSession _session;

    internal EsentStreamedFile(EsentStreamingSession session, bool isDatabase)
    {
        _session = session;
        IsDatabase = isDatabase;
    }

    internal bool IsDatabase { get; }

    internal EsentStreamedReader? Reader { get; set; }

    /// <inheritdoc />
    public override ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ISourceReader>(_session.Open(this));
    }
}

/// <summary>
/// Reads one backup file through JetReadFileInstance. Reads straight into the engine's buffer when it
/// is page-aligned and large enough, otherwise through the session's aligned buffer.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class EsentStreamedReader : ISourceReader
{
    private readonly EsentStreamingSession _session;
    private int _pendingOffset;

    internal EsentStreamedReader(EsentStreamingSession session, string path, SafeJetBackupFileHandle handle, long length, bool isDatabase)
    {
        _session = session;
        Path = path;
        Handle = handle;
        Length = length;
        IsDatabase = isDatabase;
    }

    /// <inheritdoc />
    public long Length { get; }

    internal string Path { get; }

    internal SafeJetBackupFileHandle Handle { get; }

    internal bool IsDatabase { get; }

    internal long Received { get; set; }

    internal bool FirstRead { get; set; } = true;

    internal int PendingCount { get; private set; }

    internal bool FullyRead => Received == Length && PendingCount == 0;

    /// <inheritdoc />
    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        => ValueTask.FromResult(_session.Read(this, buffer, cancellationToken));

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _session.Close(this);
        return ValueTask.CompletedTask;
    }

    internal void SetPending(int count)
    {
        PendingCount = count;
        _pendingOffset = 0;
    }

    internal int TakePending(ReadOnlySpan<byte> buffer, Span<byte> destination)
    {
        var n = Math.Min(PendingCount, destination.Length);
        buffer.Slice(_pendingOffset, n).CopyTo(destination);
        _pendingOffset += n;
        PendingCount -= n;
        return n;
    }
}
