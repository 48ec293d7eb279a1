using System.Diagnostics;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Copy;
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
        var setId = request.SetId ?? NewSetId(started);
        _logger.LogInformation("Backup {SetId}: {Kind} of target {TargetId} into {Staging} begins.", setId, request.Kind, request.TargetId, request.StagingDirectory);

        if (StagingRules.CheckPath(request.StagingDirectory, request.TargetId) is { } badPath)
        {
            return Fail(badPath);
        }

        var staging = Path.GetFullPath(request.StagingDirectory);
        var (target, source, lookupError) = await FindTargetAsync(request.TargetId, request.SearchPaths, ct);
        if (lookupError is not null && target is null)
        {
            return Fail(lookupError);
        }

        if (target is null || source is null)
        {
            try
            {
                if (request.Kind == BackupKind.Incremental && await ReplacedStreamAsync(request.TargetId, ct) is { } replaced)
                {
                    return Fail(replaced);
                }
            }
            catch (PluginException ex)
            {
                return Fail(ex.Error);
            }

            return Fail(new PluginError(ErrorCodes.TargetNotFound, $"Target '{request.TargetId}' was not found by any source (searched the configured locations, where it was discovered before{(request.SearchPaths.Count > 0 ? " and " + string.Join(", ", request.SearchPaths) : string.Empty)}).") { TargetId = request.TargetId });
        }

        if (StagingRules.CheckOutsideSource(staging, target) is { } insideSource)
        {
            return Fail(insideSource);
        }

        if (!Directory.Exists(staging))
        {
            if (!request.CreateStagingDirectory)
            {
                return Fail(new PluginError(ErrorCodes.InvalidPath, $"Staging directory '{staging}' does not exist (set CreateStagingDirectory to create it).") { File = staging, TargetId = target.Id });
            }

            try
            {
                _fileSystem.CreateDirectory(staging);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                var cannot = ErrorMapping.FromWriteFailure(ex, staging, target.Id);
                return Fail(cannot with { Message = $"Creating staging directory '{staging}' failed: {cannot.Message}" });
            }
        }

        if (!source.Capabilities.BackupKinds.Contains(request.Kind) || !target.SupportedBackupKinds.Contains(request.Kind))
        {
            var why = target.Logs?.CircularLogging == true && request.Kind == BackupKind.Incremental ? " (circular logging is on)" : string.Empty;
            return Fail(new PluginError(ErrorCodes.InvalidBackup, $"A {request.Kind} backup of '{target.DisplayName}' is not possible{why}.") { TargetId = target.Id });
        }

        var targetLock = _locks.TryAcquire(target.Id, target.Location);
        if (targetLock is null && await _sets.ReleaseExpiredAsync(target.Id))
        {
            // A set staged earlier in this process outlived its lease: it was released, so this backup may proceed.
            targetLock = _locks.TryAcquire(target.Id, target.Location);
        }

        if (targetLock is null)
        {
            return Fail(new PluginError(ErrorCodes.BackupInProgress, $"Another backup of '{target.DisplayName}' ({target.Id}) is running on this machine.") { TargetId = target.Id });
        }

        var keepLock = false;
        try
        {
            _staging.RemoveLeftovers(staging);
            var (readChain, chainError) = await ReadChainAsync(target.Id, ct);
            if (readChain is not { } chain)
            {
                return Fail(chainError!);
            }

            if (request.Kind == BackupKind.Incremental && chain.Count == 0)
            {
                return Fail(new PluginError(ErrorCodes.MissingFullBackup, $"An incremental backup of '{target.DisplayName}' needs a completed full backup first; the catalog has none for target {target.Id}.") { TargetId = target.Id });
            }

            using var work = OpenTarget(staging, setId, stream);
            var start = await source.BeginAsync(new SourceBackupContext(target, request.Kind, request.Strategy, chain, setId, work.WorkDirectory) { Progress = progress }, ct);
            if (start.Session is not { } session)
            {
                return Fail(start.Error ?? new PluginError(ErrorCodes.InternalError, "The source started no session and gave no reason.") { TargetId = target.Id });
            }

            if (session.MustFinishStaging)
            {
                // The engine truncated despite the cancel: dropping the set now would lose those logs everywhere.
                _logger.LogWarning("Backup {SetId}: cancelled too late, the source's engine already truncated; staging the set to its end.", setId);
                ct = CancellationToken.None;
            }

            var sessionHandedOver = false;
            try
            {
                var staged = await StageFilesAsync(session, target, work, progress, ct);
                if (staged.Error is { } stageError)
                {
                    await session.AbortAsync(stageError);
                    Report(progress, ProgressPhase.Fail, staged.Files.Count, staged.Files.Count, staged.Bytes, staged.Bytes, null, stageError.Message);
                    return Fail(stageError);
                }

                // Whatever the source planned, a full or copy without a database restores nothing: never stage one.
                if (request.Kind != BackupKind.Incremental && !staged.Files.Any(f => f.Role == FileRole.Database))
                {
                    var none = new PluginError(ErrorCodes.NoDatabasesToBackup, $"The {request.Kind} backup of '{target.DisplayName}' copied no database ({staged.Files.Count} other file(s)): it would restore nothing, so it was not staged.") { TargetId = target.Id };
                    await session.AbortAsync(none);
                    return Fail(none);
                }

                var outcome = await session.OnStagedAsync(new StagedSetInfo(work.WorkDirectory, staged.Files, 0), ct);
                var manifest = BuildManifest(setId, target, request.Kind, session.Strategy, chain, started, staged, outcome);
                await work.PublishAsync(manifest, ct);
                _logger.LogInformation("Backup {SetId}: staged {Files} files ({Bytes} bytes) in {Directory}.", setId, staged.Files.Count, staged.Bytes, work.SetDirectory ?? stream?.Name);
                try
                {
                    // The plugin's own record comes first: from here on the set is known to be ours, whatever the catalog does.
                    _sets.Stage(manifest);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    work.Withdraw();
                    var journalError = new PluginError(ErrorCodes.DiskIO, $"The plugin's journal could not record set {setId}: {ex.Message}. The set was withdrawn from staging; no log was truncated.") { TargetId = target.Id, File = _sets.Journal.PathOf(setId) };
                    await session.AbortAsync(journalError);
                    return Fail(journalError);
                }

                try
                {
                    await _catalog.RecordBackupAsync(manifest, ct);
                }
                catch (OperationCanceledException)
                {
                    // Cancelled while the catalog recorded it: the host will not store it, so it must not stay in
                    // staging looking complete (the outer handler aborts the session).
                    work.Withdraw();
                    _sets.Withdraw(setId);
                    throw;
                }
                catch (PluginException ex)
                {
                    // A set the host's catalog does not know would never be stored or completed: withdraw it.
                    work.Withdraw();
                    _sets.Withdraw(setId);
                    var catalogError = ex.Error with { Message = ex.Error.Message + $" Set {setId} was withdrawn from staging; no log was truncated.", TargetId = target.Id };
                    await session.AbortAsync(catalogError);
                    return Fail(catalogError);
                }

                // Only now may a stream end well: its consumer must never hold a valid archive of a set nobody recorded.
                try
                {
                    await work.SealAsync(ct);
                }
                catch
                {
                    // A stream that did not end well holds no set: the journal must not claim one.
                    _sets.Withdraw(setId);
                    throw;
                }

                _sets.Hold(setId, target.Id, session, targetLock);
                sessionHandedOver = true;
                keepLock = true;
                Report(progress, ProgressPhase.Complete, staged.Files.Count, staged.Files.Count, staged.Bytes, staged.Bytes, null, null);
                return new BackupResult { Manifest = manifest, SetDirectory = work.SetDirectory, EngineTruncation = outcome.EngineTruncation };
            }
            catch (OperationCanceledException)
            {
                await session.AbortAsync(new PluginError(ErrorCodes.Cancelled, "The backup was cancelled."));
                throw;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PluginException)
            {
                var error = ex is PluginException pe ? pe.Error : ErrorMapping.FromWriteFailure(ex, work.WorkDirectory, target.Id);
                await session.AbortAsync(error);
                return Fail(error);
            }
            finally
            {
                if (!sessionHandedOver)
                {
                    await session.DisposeAsync();
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The staging directory itself (its leftovers, the set's work directory): a write failure of that path.
            return Fail(ErrorMapping.FromWriteFailure(ex, staging, target.Id));
        }
        catch (PluginException ex)
        {
            // A guarded catalog call (the chain) failed before anything was staged.
            return Fail(ex.Error);
        }
        finally
        {
            if (!keepLock)
            {
                targetLock.Dispose();
            }
        }

        BackupResult Fail(PluginError error)
        {
            _logger.LogError("Backup {SetId} of {TargetId} failed: {Error}", setId, request.TargetId, error);
            return BackupResult.Failure(error);
        }
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

    private sealed record StagedFiles(List<ManifestFile> Files, long Bytes, long Pages, long Uninitialized, long LogUnits, PluginError? Error);

    private ISetTarget OpenTarget(string staging, string setId, SetStream? stream)
    {
        var work = _staging.Begin(staging, setId);
        return stream is null
            ? new DirectorySetTarget(work, _fileSystem, _copier)
            : new TarSetTarget(work, stream.Stream, stream.Name, _copier, _time.GetUtcNow());
    }

    private async Task<StagedFiles> StageFilesAsync(ISourceSession session, BackupTarget target, ISetTarget setTarget, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var files = new List<ManifestFile>();
        long bytes = 0, pages = 0, uninitialized = 0, logUnits = 0;
        var estimate = session.Estimate;
        var stopwatch = Stopwatch.StartNew();
        Report(progress, ProgressPhase.Begin, 0, estimate?.Files ?? 0, 0, estimate?.Bytes ?? 0, null, null);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        await foreach (var file in session.GetFilesAsync(ct))
        {
            if (!SetPaths.IsSafeRelativePath(file.RelativePath) || !names.Add(file.RelativePath))
            {
                return new StagedFiles(files, bytes, pages, uninitialized, logUnits,
                    new PluginError(ErrorCodes.InternalError, $"The source offered an unusable or duplicate set path '{file.RelativePath}'.") { TargetId = target.Id, File = file.SourcePath });
            }

            var display = file.SourcePath ?? file.StagedPath ?? file.RelativePath;
            var destination = Path.Combine(setTarget.WorkDirectory, file.RelativePath.Replace('/', Path.DirectorySeparatorChar));
            CopiedFile copied;
            var doneBefore = bytes;
            try
            {
                await using var reader = await file.OpenAsync(ct);
                copied = await setTarget.CopyAsync(
                    file,
                    reader,
                    display,
                    n =>
                    {
                        doneBefore += n;
                        Report(progress, ProgressPhase.Progress, files.Count, estimate?.Files ?? 0, doneBefore, estimate?.Bytes ?? 0, display, null, stopwatch);
                    },
                    ct);
            }
            catch (CopyCorruptionException ex)
            {
                return new StagedFiles(files, bytes, pages, uninitialized, logUnits, ErrorMapping.FromCorruption(ex.Verification, display, target.Id, file.Generation));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PluginException)
            {
                // The copier marks failures of the destination (create, write, flush); everything else happened while
                // reading the source. (Guessing from whether the destination file existed blamed the source for a
                // failed create, and the destination for a source read error in mid-file.)
                var writeSide = ex is CopyWriteException || (ex is IOException io && ErrorMapping.IsDiskFull(io));
                return new StagedFiles(files, bytes, pages, uninitialized, logUnits,
                    writeSide ? ErrorMapping.FromWriteFailure(ex, destination, target.Id) : ErrorMapping.FromReadFailure(ex, display, target.Id));
            }

            if (copied.Verification.HasCorruption)
            {
                return new StagedFiles(files, bytes, pages, uninitialized, logUnits, ErrorMapping.FromCorruption(copied.Verification, display, target.Id, file.Generation));
            }

            setTarget.Accept(file);

            var v = copied.Verification;
            var role = v.Role == FileRole.Other ? file.Role : v.Role;
            bytes += copied.Length;
            if (v.Unit == "page")
            {
                pages += v.UnitsChecked;
                uninitialized += v.UnitsUninitialized;
            }
            else if (role == FileRole.Log)
            {
                logUnits += v.UnitsChecked;
            }

            files.Add(new ManifestFile(file.RelativePath, role, copied.Length, copied.Sha256)
            {
                SourcePath = file.SourcePath,
                Database = v.Database,
                Log = v.Log is { } log ? log with { WasCurrentLog = file.WasCurrentLog, ReplacesCopyInSetId = file.ReplacesCopyInSetId } : null,
                Checkpoint = v.Checkpoint,

                // Warnings (bytes beyond a checkpoint's or log's end, ...) did not fail the backup but belong to its record.
                Findings = [.. v.Findings],
            });
            _logger.LogInformation("Staged {File} ({Role}, {Bytes} bytes, {Units} {Unit}s verified).", file.RelativePath, role, copied.Length, v.UnitsChecked, v.Unit);
        }

        return new StagedFiles(files, bytes, pages, uninitialized, logUnits, null);
    }

    private BackupManifest BuildManifest(string setId, BackupTarget target, BackupKind kind, string strategy, IReadOnlyList<CatalogEntry> chain, DateTimeOffset started, StagedFiles staged, StagedOutcome outcome)
    {
        var chainInfo = kind == BackupKind.Incremental
            ? new ChainInfo(chain[0].Manifest.SetId, chain[^1].Manifest.SetId, chain[^1].Manifest.Chain.Sequence + 1)
            : new ChainInfo(setId, null, 0);
        var generations = staged.Files.Where(f => f.Log is not null).Select(f => f.Log!.Generation).ToList();
        return outcome.AddSourceFields(new BackupManifest
        {
            SetId = setId,
            Target = new TargetIdentity(target.Id, target.Kind, target.DisplayName)
            {
                Location = target.Location,
                InstanceName = target.InstanceName,
                Vss = target.Vss,
                LogSignature = target.Logs?.LogSignature,
                LogBaseName = target.Logs?.BaseName,
                DatabaseSignatures = [.. target.Databases.Select(d => d.DatabaseSignature).OfType<string>()],
            },
            Kind = kind,
            StartedAt = started,
            FinishedAt = _time.GetUtcNow(),
            Chain = chainInfo,
            Producer = _producer.For(strategy),
            Files = staged.Files,
            LogRange = generations.Count > 0 ? new GenerationRange(generations.Min(), generations.Max()) : null,
            Truncation = outcome.Truncation,
            Verification = new VerificationSummary(staged.Files.Count, staged.Pages, staged.Uninitialized, staged.LogUnits, staged.Files.Sum(f => f.Findings.Count)),
        });
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

    private static void Report(IProgress<OperationProgress>? progress, ProgressPhase phase, int filesDone, int filesTotal, long bytesDone, long bytesTotal, string? file, string? message, Stopwatch? clock = null)
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
