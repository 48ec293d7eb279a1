using System.Diagnostics;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Locking;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Staging;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>
/// The one backup engine every source runs through: plan (the source) → copy (read once: verify + hash
/// + write) → manifest → atomic commit in staging → phase two (truncation by whoever owns it). It keeps
/// the guarantees of the design: nothing appears in staging on failure, no log is truncated unless the
/// host completes with success, one backup per target at a time, corruption fails the backup naming
/// file and page.
/// </summary>
internal sealed class BackupEngine : IAsyncDisposable
{
    private readonly IReadOnlyList<IBackupSource> _sources;
    private readonly GuardedCatalog _catalog;
    private readonly TargetLockManager _locks;
    private readonly StagingArea _staging;
    private readonly OnePassCopier _copier;
    private readonly IStagingFileSystem _fileSystem;
    private readonly ProducerStamp _producer;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StagedSets _sets;
    private readonly FileStager _stager;
    private readonly int _parallelFiles;

    public BackupEngine(
        IEnumerable<IBackupSource> sources,
        OnePassCopier copier,
        GuardedCatalog catalog,
        IStagingFileSystem fileSystem,
        EngineOptions options,
        SetJournal journal,
        ProducerStamp producer,
        TimeProvider time,
        ILogger<BackupEngine> logger)
    {
        _sources = [.. sources];
        _catalog = catalog;
        _locks = new TargetLockManager(options.LockDirectory ?? TargetLockManager.DefaultDirectory);
        _sets = new StagedSets(journal, catalog, _locks, ResumeAsync, time, options.StagedSetLease, logger);
        _staging = new StagingArea(fileSystem, time, logger);
        _copier = copier;
        _stager = new FileStager(logger);

        // Bounded by the buffers: parallel copies share them, so memory stays that of one copy.
        _parallelFiles = Math.Clamp(options.ParallelFiles > 0 ? options.ParallelFiles : Environment.ProcessorCount, 1, Math.Max(1, copier.MaxShares));
        _fileSystem = fileSystem;
        _producer = producer;
        _time = time;
        _logger = logger;
    }

    /// <summary>Sets staged in this process and waiting for the host's verdict.</summary>
    public int PendingCount => _sets.HeldCount;

    /// <summary>The two-phase state machine (for tests and diagnostics).</summary>
    internal StagedSets Sets => _sets;

    /// <summary>
    /// Finds a target by id among every source's targets: under <paramref name="searchPaths"/>, where the source
    /// remembers finding it and where the host's catalog last saw it. An id that cannot be used (it names several
    /// copies) is an error.
    /// </summary>
    public async Task<(BackupTarget? Target, IBackupSource? Source, PluginError? Error)> FindTargetAsync(string targetId, IReadOnlyList<string> searchPaths, CancellationToken ct)
    {
        var (seenAt, catalogError) = await CatalogLocationsAsync(targetId, ct);
        var paths = searchPaths.Concat(seenAt).Distinct(StringComparer.Ordinal).ToList();
        foreach (var source in _sources.Where(s => s.Capabilities.Available && s.MayOwn(targetId)))
        {
            var found = await source.FindAsync(targetId, paths, ct);
            if (found.Target is { } target)
            {
                return (target, source, null);
            }

            if (found.Error is { } error)
            {
                return (null, null, error);
            }
        }

        return (null, null, catalogError);
    }

    /// <summary>Where the host's catalog last saw the target (the location its newest set was made from).</summary>
    private async Task<(IReadOnlyList<string> Locations, PluginError? Error)> CatalogLocationsAsync(string targetId, CancellationToken ct)
    {
        var (chain, error) = await ReadChainAsync(targetId, ct);
        return chain is { Count: > 0 } && chain[^1].Manifest.Target.Location is { } l && Path.IsPathFullyQualified(l) && Directory.Exists(l)
            ? ([l], null)
            : ([], error);
    }

    /// <summary>The target's chain from the host's catalog, or a <see cref="ErrorCodes.CatalogFailure"/> naming what failed.</summary>
    private async Task<(IReadOnlyList<CatalogEntry>? Chain, PluginError? Error)> ReadChainAsync(string targetId, CancellationToken ct)
    {
        try
        {
            return (await _catalog.GetChainAsync(targetId, ct), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "The host's catalog could not read the chain of target {TargetId}.", targetId);
            return (null, new PluginError(ErrorCodes.CatalogFailure, $"The host's catalog could not read the backup chain of target {targetId}: {ex.Message}. Nothing was staged and no log was truncated.")
            {
                TargetId = targetId,
                Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["catalogCall"] = nameof(IBackupCatalog.GetChainAsync), ["exception"] = ex.GetType().Name },
            });
        }
    }

    /// <summary>Phase one, into a set directory in the request's staging directory.</summary>
    public Task<BackupResult> BackupAsync(BackupRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
        => BackupAsync(request, null, progress, ct);

    /// <summary>
    /// Phase one. With <paramref name="stream"/>, the set is written to it as a tar stream (see <see cref="TarSetTarget"/>)
    /// and the staging directory only serves as scratch space; otherwise it is staged as a set directory.
    /// </summary>
    public async Task<BackupResult> BackupAsync(BackupRequest request, SetStream? stream, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = _time.GetUtcNow();
        var clock = _time.GetTimestamp();
        var setId = request.SetId ?? NewSetId(started);
        _logger.LogInformation("Backup {SetId}: {Kind} of target {TargetId} into {Staging} begins.", setId, request.Kind, request.TargetId, request.StagingDirectory);
        var (run, error) = await OpenRunAsync(request, setId, started, clock, ct);
        if (run is null)
        {
            return Fail(setId, request.TargetId, error!);
        }

        await using (run)
        {
            run.Mark("find+lock");
            var result = await RunAsync(run, stream, progress, ct);
            run.Mark("release");
            _logger.LogInformation("Backup {SetId} phases (ms): {Timings}.", setId, run.Timings());
            return result;
        }
    }

    /// <summary>
    /// Everything that is checked before the target is locked: the staging path, the target (found once, by id), the
    /// staging directory and the backup kind. Returns the run, holding the target's lock, or why there is none.
    /// </summary>
    private async Task<(BackupRun? Run, PluginError? Error)> OpenRunAsync(BackupRequest request, string setId, DateTimeOffset started, long clock, CancellationToken ct)
    {
        if (StagingRules.CheckPath(request.StagingDirectory, request.TargetId) is { } badPath)
        {
            return (null, badPath);
        }

        var staging = Path.GetFullPath(request.StagingDirectory);
        var (target, source, lookupError) = await ResolveTargetAsync(request, ct);
        if (target is null || source is null)
        {
            return (null, lookupError);
        }

        if ((CheckStaging(request, staging, target) ?? CheckKind(request.Kind, source, target)) is { } refused)
        {
            return (null, refused);
        }

        var targetLock = _locks.TryAcquire(target.Id, target.Location);
        if (targetLock is null && await _sets.ReleaseExpiredAsync(target.Id))
        {
            // A set staged earlier in this process outlived its lease: it was released, so this backup may proceed.
            targetLock = _locks.TryAcquire(target.Id, target.Location);
        }

        return targetLock is null
            ? (null, new PluginError(ErrorCodes.BackupInProgress, $"Another backup of '{target.DisplayName}' ({target.Id}) is running on this machine.") { TargetId = target.Id })
            : (new BackupRun(setId, request.Kind, staging, target, source, targetLock, _time, started, clock)
            {
                RequestedStrategy = request.Strategy,
                SearchPaths = request.SearchPaths,
                CarriedTarget = ReferenceEquals(target, request.Target),
            }, null);
    }

    /// <summary>The request's target, found by id; or why it cannot be backed up (not found, its log stream replaced).</summary>
    private async Task<(BackupTarget? Target, IBackupSource? Source, PluginError? Error)> ResolveTargetAsync(BackupRequest request, CancellationToken ct)
    {
        if (await AdoptAsync(request, ct) is { } adopted)
        {
            return adopted;
        }

        var (target, source, lookupError) = await FindTargetAsync(request.TargetId, request.SearchPaths, ct);
        if (target is not null && source is not null)
        {
            return (target, source, null);
        }

        if (lookupError is not null)
        {
            return (null, null, lookupError);
        }

        try
        {
            if (request.Kind == BackupKind.Incremental && await ReplacedStreamAsync(request.TargetId, ct) is { } replaced)
            {
                return (null, null, replaced);
            }
        }
        catch (PluginException ex)
        {
            return (null, null, ex.Error);
        }

        var searched = request.SearchPaths.Count > 0 ? " and " + string.Join(", ", request.SearchPaths) : string.Empty;
        return (null, null, new PluginError(ErrorCodes.TargetNotFound, $"Target '{request.TargetId}' was not found by any source (searched the configured locations, where it was discovered before{searched}).") { TargetId = request.TargetId });
    }

    /// <summary>
    /// The target the host resolved and sent with the request (issue 13: one discovery per backup), when its source takes
    /// it without searching; <see langword="null"/> when the engine must find the target by id.
    /// </summary>
    private async Task<(BackupTarget? Target, IBackupSource? Source, PluginError? Error)?> AdoptAsync(BackupRequest request, CancellationToken ct)
    {
        if (request.Target is not { } given || !string.Equals(given.Id, request.TargetId, StringComparison.Ordinal))
        {
            return null;
        }

        foreach (var source in _sources.Where(s => s.Kind == given.Kind && s.Capabilities.Available && s.MayOwn(given.Id)))
        {
            if (await source.AdoptAsync(given, ct) is { } lookup)
            {
                return lookup.Target is { } target ? (target, source, null) : (null, null, lookup.Error);
            }
        }

        return null;
    }

    /// <summary>
    /// A target the host carried says where the files are, never which databases a first full holds: the host may have
    /// discovered it before a database outside the log folder was there. A first full therefore looks where a search would
    /// (the request's search paths, the configured roots) and adds every database of the same target that the carried one
    /// does not list; the source's scan then reads them all. Later fulls know their databases from the chain as well.
    /// </summary>
    private async Task<BackupTarget> WidenCarriedTargetAsync(BackupRun run, CancellationToken ct)
    {
        var carried = run.Target;
        var found = await run.Source.FindAsync(carried.Id, run.SearchPaths, ct);
        if (found.Target is not { } now || !string.Equals(now.Location, carried.Location, StringComparison.Ordinal))
        {
            // Nothing wider is known (or the search resolved another copy): the source's own scan of the location decides.
            return carried;
        }

        var listed = carried.Databases.Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
        var missing = now.Databases.Where(d => !listed.Contains(d.Path)).ToList();
        if (missing.Count == 0)
        {
            return carried;
        }

        _logger.LogInformation("Backup {SetId}: the target the host carried does not list {Databases}; the first full includes them.", run.SetId, string.Join(", ", missing.Select(d => d.Path)));
        var widened = carried with { Databases = [.. carried.Databases, .. missing] };
        run.Refresh(widened);
        return widened;
    }

    /// <summary>The staging directory must lie outside the source and exist (it is created when the request allows).</summary>
    private PluginError? CheckStaging(BackupRequest request, string staging, BackupTarget target)
    {
        if (StagingRules.CheckOutsideSource(staging, target) is { } insideSource)
        {
            return insideSource;
        }

        if (Directory.Exists(staging))
        {
            return null;
        }

        if (!request.CreateStagingDirectory)
        {
            return new PluginError(ErrorCodes.InvalidPath, $"Staging directory '{staging}' does not exist (set CreateStagingDirectory to create it).") { File = staging, TargetId = target.Id };
        }

        try
        {
            _fileSystem.CreateDirectory(staging);
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            var cannot = ErrorMapping.FromWriteFailure(ex, staging, target.Id);
            return cannot with { Message = $"Creating staging directory '{staging}' failed: {cannot.Message}" };
        }
    }

    private static PluginError? CheckKind(BackupKind kind, IBackupSource source, BackupTarget target)
    {
        if (source.Capabilities.BackupKinds.Contains(kind) && target.SupportedBackupKinds.Contains(kind))
        {
            return null;
        }

        var why = target.Logs?.CircularLogging == true && kind == BackupKind.Incremental ? " (circular logging is on)" : string.Empty;
        return new PluginError(ErrorCodes.InvalidBackup, $"A {kind} backup of '{target.DisplayName}' is not possible{why}.") { TargetId = target.Id };
    }

    /// <summary>
    /// Phase one of a locked run: the chain, the set's work directory, the source's session, then staging. A failure
    /// of the staging directory itself (its leftovers, the work directory) is a write failure of that path.
    /// </summary>
    private async Task<BackupResult> RunAsync(BackupRun run, SetStream? stream, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var target = run.Target;
        try
        {
            _staging.RemoveLeftovers(run.Staging);
            var (readChain, chainError) = await ReadChainAsync(target.Id, ct);
            if (readChain is not { } chain)
            {
                return Fail(run, chainError!);
            }

            if (run.Kind == BackupKind.Incremental && chain.Count == 0)
            {
                return Fail(run, new PluginError(ErrorCodes.MissingFullBackup, $"An incremental backup of '{target.DisplayName}' needs a completed full backup first; the catalog has none for target {target.Id}.") { TargetId = target.Id });
            }

            run.Chain = chain;
            if (chain.Count == 0 && run.Kind != BackupKind.Incremental && run.CarriedTarget)
            {
                target = await WidenCarriedTargetAsync(run, ct);
            }

            run.Attach(OpenTarget(run.Staging, run.SetId, stream));
            run.Mark("chain");
            var start = await run.Source.BeginAsync(new SourceBackupContext(target, run.Kind, run.RequestedStrategy, chain, run.SetId, run.Work.WorkDirectory) { Progress = progress }, ct);
            if (start.Session is not { } session)
            {
                return Fail(run, start.Error ?? new PluginError(ErrorCodes.InternalError, "The source started no session and gave no reason.") { TargetId = target.Id });
            }

            run.Attach(session);
            run.Mark("begin");
            if (start.Target is { } now)
            {
                // What the source read now decides, not what a host held on to since its discovery.
                run.Refresh(now);
                if (CheckKind(run.Kind, run.Source, now) is { } refused)
                {
                    await session.AbortAsync(refused);
                    return Fail(run, refused);
                }
            }

            if (session.MustFinishStaging)
            {
                // The engine truncated despite the cancel: dropping the set now would lose those logs everywhere.
                _logger.LogWarning("Backup {SetId}: cancelled too late, the source's engine already truncated; staging the set to its end.", run.SetId);
                ct = CancellationToken.None;
            }

            return await StageAsync(run, progress, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(run, ErrorMapping.FromWriteFailure(ex, run.Staging, target.Id));
        }
        catch (PluginException ex)
        {
            // A guarded catalog call (the chain) failed before anything was staged.
            return Fail(run, ex.Error);
        }
    }

    /// <summary>
    /// Copies the session's files, builds the manifest and publishes the set. Any failure or cancellation from here on
    /// aborts the session (nothing is truncated); the run then releases what it holds.
    /// </summary>
    private async Task<BackupResult> StageAsync(BackupRun run, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var target = run.Target;
        var session = run.Session;
        try
        {
            var manifest = new ManifestBuilder();
            var stageError = await _stager.StageAsync(run, manifest, _parallelFiles, progress, ct);
            run.Mark("copy");
            if (stageError is not null)
            {
                await session.AbortAsync(stageError);
                Report(progress, ProgressPhase.Fail, manifest.Files.Count, manifest.Files.Count, manifest.Bytes, manifest.Bytes, null, stageError.Message);
                return Fail(run, stageError);
            }

            // Whatever the source planned, a full or copy without a database restores nothing: never stage one.
            if (run.Kind != BackupKind.Incremental && !manifest.HasDatabase)
            {
                var none = new PluginError(ErrorCodes.NoDatabasesToBackup, $"The {run.Kind} backup of '{target.DisplayName}' copied no database ({manifest.Files.Count} other file(s)): it would restore nothing, so it was not staged.") { TargetId = target.Id };
                await session.AbortAsync(none);
                return Fail(run, none);
            }

            var outcome = await session.OnStagedAsync(new StagedSetInfo(run.Work.WorkDirectory, manifest.Files, 0), ct);
            var built = manifest.Build(run, outcome, _producer.For(session.Strategy), _time.GetUtcNow());
            run.Mark("staged");
            return await PublishAsync(run, built, outcome, manifest.Bytes, progress, ct);
        }
        catch (OperationCanceledException)
        {
            await session.AbortAsync(new PluginError(ErrorCodes.Cancelled, "The backup was cancelled."));
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PluginException)
        {
            var error = ex is PluginException pe ? pe.Error : ErrorMapping.FromWriteFailure(ex, run.Work.WorkDirectory, target.Id);
            await session.AbortAsync(error);
            return Fail(run, error);
        }
    }

    /// <summary>
    /// Publishes a staged set: manifest last into the set, then the plugin's journal, then the host's catalog, then (for a
    /// stream) its end; only then is the set handed to the two-phase state machine with the run's session and lock.
    /// </summary>
    private async Task<BackupResult> PublishAsync(BackupRun run, BackupManifest manifest, StagedOutcome outcome, long bytes, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var (work, setId, target) = (run.Work, run.SetId, run.Target);
        await work.PublishAsync(manifest, ct);
        _logger.LogInformation("Backup {SetId}: staged {Files} files ({Bytes} bytes) in {Directory}.", setId, manifest.Files.Count, bytes, work.SetDirectory ?? work.WorkDirectory);
        run.Mark("manifest");
        try
        {
            // The plugin's own record comes first: from here on the set is known to be ours, whatever the catalog does.
            _sets.Stage(manifest);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            work.Withdraw();
            var journalError = new PluginError(ErrorCodes.DiskIO, $"The plugin's journal could not record set {setId}: {ex.Message}. The set was withdrawn from staging; no log was truncated.") { TargetId = target.Id, File = _sets.Journal.PathOf(setId) };
            await run.AbortAsync(journalError);
            return Fail(run, journalError);
        }

        run.Mark("journal");
        if (await RecordAsync(run, manifest, ct) is { } catalogError)
        {
            return Fail(run, catalogError);
        }

        run.Mark("catalog");
        try
        {
            // Only now may a stream end well: its consumer must never hold a valid archive of a set nobody recorded.
            await work.SealAsync(ct);
        }
        catch
        {
            // A stream that did not end well holds no set: the journal must not claim one.
            _sets.Withdraw(setId);
            throw;
        }

        run.HandOver((session, targetLock) => _sets.Hold(setId, target.Id, session, targetLock));
        Report(progress, ProgressPhase.Complete, manifest.Files.Count, manifest.Files.Count, bytes, bytes, null, null);
        return new BackupResult { Manifest = manifest, SetDirectory = work.SetDirectory, EngineTruncation = outcome.EngineTruncation };
    }

    /// <summary>
    /// The host's catalog records the set. A set the catalog does not know would never be stored or completed: when it
    /// refuses (or the call is cancelled), the set is withdrawn from staging and from the journal.
    /// </summary>
    private async Task<PluginError?> RecordAsync(BackupRun run, BackupManifest manifest, CancellationToken ct)
    {
        try
        {
            await _catalog.RecordBackupAsync(manifest, ct);
            return null;
        }
        catch (OperationCanceledException)
        {
            // The host will not store it, so it must not stay in staging looking complete (the caller aborts the session).
            run.Work.Withdraw();
            _sets.Withdraw(run.SetId);
            throw;
        }
        catch (PluginException ex)
        {
            run.Work.Withdraw();
            _sets.Withdraw(run.SetId);
            var catalogError = ex.Error with { Message = ex.Error.Message + $" Set {run.SetId} was withdrawn from staging; no log was truncated.", TargetId = run.Target.Id };
            await run.AbortAsync(catalogError);
            return catalogError;
        }
    }

    private BackupResult Fail(BackupRun run, PluginError error) => Fail(run.SetId, run.Target.Id, error);

    private BackupResult Fail(string setId, string targetId, PluginError error)
    {
        _logger.LogError("Backup {SetId} of {TargetId} failed: {Error}", setId, targetId, error);
        return BackupResult.Failure(error);
    }

    /// <summary>
    /// Why an incremental of a target that is no longer found cannot continue its chain, when the reason is that the
    /// chain's location now holds another log stream (the logs were reset or replaced). Target ids derive from the
    /// log stream, so such a target is simply "not found" by its old id; the operator needs to hear that a new full
    /// backup is required instead. <see langword="null"/> when there is no chain or nothing else is there.
    /// </summary>
    private async Task<PluginError?> ReplacedStreamAsync(string targetId, CancellationToken ct)
    {
        var (chain, _) = await ReadChainAsync(targetId, ct);
        if (chain is not { Count: > 0 } || chain[^1].Manifest.Target is not { Location: { } location } identity)
        {
            return null;
        }

        var place = Path.GetFullPath(location);
        foreach (var source in _sources.Where(s => s.Kind == identity.Kind && s.Capabilities.Available))
        {
            await foreach (var t in source.DiscoverAsync(new DiscoveryRequest { Paths = [place], Kinds = [source.Kind] }, ct))
            {
                if (t.Location is { } l && string.Equals(Path.GetFullPath(l), place, StringComparison.Ordinal) && t.Logs?.LogSignature is { } now && now != identity.LogSignature)
                {
                    return new PluginError(
                        ErrorCodes.NewFullBackupRequired,
                        $"The log stream at '{place}' changed since set {chain[^1].Manifest.SetId}: its logs now have signature {now} (target {t.Id}), the chain's have {identity.LogSignature}; the logs were reset or replaced. A new full backup is needed.")
                    {
                        TargetId = targetId,
                        File = place,
                        Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["eseName"] = "JET_errBadLogSignature", ["newTargetId"] = t.Id },
                    };
                }
            }
        }

        return null;
    }

    private ISetTarget OpenTarget(string staging, string setId, SetStream? stream)
    {
        var work = _staging.Begin(staging, setId);
        return stream is null
            ? new DirectorySetTarget(work, _fileSystem, _copier)
            : new TarSetTarget(work, stream.Stream, stream.Name, _copier, _time.GetUtcNow());
    }

    /// <summary>Phase two (see <see cref="StagedSets"/>).</summary>
    public Task<CompletionResult> CompleteAsync(CompletionRequest request, CancellationToken ct) => _sets.CompleteAsync(request, ct);

    /// <summary>Abandons a staged set (see <see cref="StagedSets"/>).</summary>
    public Task<CompletionResult> AbandonAsync(string setId, CancellationToken ct) => _sets.AbandonAsync(setId, ct);

    /// <summary>A session able to complete a set staged by a process whose session is gone, from its source.</summary>
    private async ValueTask<ISourceSession?> ResumeAsync(BackupManifest manifest, CancellationToken ct)
    {
        var source = _sources.FirstOrDefault(s => s.Kind == manifest.Target.Kind);
        return source is null ? null : await source.ResumeForCompletionAsync(manifest, ct);
    }

    private static string NewSetId(DateTimeOffset now) =>
        $"{now.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}"[..25];

    internal static void Report(IProgress<OperationProgress>? progress, ProgressPhase phase, int filesDone, int filesTotal, long bytesDone, long bytesTotal, string? file, string? message, Stopwatch? clock = null)
    {
        if (progress is null)
        {
            return;
        }

        try
        {
            progress.Report(new OperationProgress(OperationKind.Backup, phase, filesDone, filesTotal, bytesDone, Math.Max(bytesTotal, bytesDone))
            {
                CurrentFile = file,
                Message = message,
                BytesPerSecond = clock is { Elapsed.TotalSeconds: > 0 } c ? bytesDone / c.Elapsed.TotalSeconds : 0,
            });
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A host's progress handler must not break the backup.
        }
    }

    public ValueTask DisposeAsync() => _sets.DisposeAsync();
}
