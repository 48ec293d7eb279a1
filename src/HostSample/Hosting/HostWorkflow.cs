using System.Globalization;
using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.HostSample.Catalog;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// What a backup product does around the plugin: resolve the target, record the run in its catalog,
/// let the plugin stage the set, store the set durably in its repository, and only then complete it.
/// </summary>
internal static class HostWorkflow
{
    /// <summary>A new set id: sortable by time, unique by a random suffix.</summary>
    public static string NewSetId() =>
        $"{DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    public static async Task<List<BackupTarget>> DiscoverAsync(CliSession session, DiscoveryRequest request, CancellationToken ct)
    {
        var list = new List<BackupTarget>();
        await foreach (var t in session.Plugin.Plugin.DiscoverAsync(request, ct))
        {
            list.Add(t);
        }

        return list;
    }

    /// <summary>
    /// Resolves a target given as a directory (exactly one target must be found in it) or as an id (or a unique id
    /// prefix), looking in the configured roots, <paramref name="extraPaths"/> and where the catalog last saw the
    /// target. An id none of those places holds is passed on as it is: the plugin remembers where it discovered its
    /// targets (a <c>discover --path DIR</c> of an earlier run), so it may still know it.
    /// </summary>
    public static async Task<ResolvedTarget> ResolveTargetAsync(
        CliSession session, string targetArgument, IReadOnlyList<string> extraPaths, CancellationToken ct)
    {
        if (Directory.Exists(targetArgument))
        {
            var dir = Path.GetFullPath(targetArgument);
            var found = await DiscoverAsync(session, new DiscoveryRequest { Paths = [dir], Kinds = [TargetKind.FileSet] }, ct);
            var inDir = found.Where(t => t.Location is not null && IsUnder(t.Location, dir)).ToList();
            return inDir.Count switch
            {
                1 => new ResolvedTarget(inDir[0].Id, inDir[0], [dir], null),
                0 => new ResolvedTarget(targetArgument, null, [], new PluginError(ErrorCodes.TargetNotFound, $"No ESE file set found in '{dir}'.") { File = dir }),
                _ => new ResolvedTarget(targetArgument, null, [], new PluginError(ErrorCodes.InvalidParameter, $"'{dir}' holds {inDir.Count} targets; name one by id: {Describe(inDir)}.") { File = dir }),
            };
        }

        var paths = extraPaths.Select(Path.GetFullPath).ToList();
        foreach (var loc in session.Catalog.TargetLocations(targetArgument))
        {
            if (Directory.Exists(loc) && !paths.Contains(loc))
            {
                paths.Add(loc);
            }
        }

        var targets = await DiscoverAsync(session, new DiscoveryRequest { Paths = paths }, ct);
        var matches = targets.Where(t => string.Equals(t.Id, targetArgument, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count == 0)
        {
            matches = [.. targets.Where(t => t.Id.StartsWith(targetArgument, StringComparison.OrdinalIgnoreCase))];
        }

        return matches.Count switch
        {
            1 => new ResolvedTarget(matches[0].Id, matches[0], paths, null),
            0 => new ResolvedTarget(targetArgument, null, paths, null),
            _ => new ResolvedTarget(targetArgument, null, paths, new PluginError(
                ErrorCodes.InvalidParameter,
                $"'{targetArgument}' matches {matches.Count} targets: {Describe(matches)}. Name one by its full id.")),
        };
    }

    private static string Describe(IEnumerable<BackupTarget> targets) =>
        string.Join(", ", targets.Select(t => t.Location is { } l ? $"{t.Id} (at '{l}')" : t.Id));

    private static bool IsUnder(string path, string dir)
    {
        var p = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        var d = Path.GetFullPath(dir).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return p.StartsWith(d, StringComparison.Ordinal);
    }

    /// <summary>
    /// The backup kind when the user names none: copy for VSS writer targets (issue 6: a full or incremental makes the
    /// application's writer truncate its logs, which another backup product may rely on), full for every other target.
    /// </summary>
    public static BackupKind DefaultKind(BackupTarget? target) =>
        target?.Kind == TargetKind.VssWriter ? BackupKind.Copy : BackupKind.Full; // an id only the plugin knows is a file set

    /// <summary>
    /// True when only the process that staged the set can complete it (the plugin's live session truncates in
    /// phase two): in-process instance sets that truncate on completion (jet-streaming) and VSS sets.
    /// </summary>
    public static bool NeedsLiveSession(Abstractions.Manifest.BackupManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return manifest.Target.Kind is TargetKind.InProcessInstance or TargetKind.VssWriter
            && manifest.Truncation.Mode != Abstractions.Manifest.TruncationMode.DuringBackup;
    }

    /// <summary>
    /// Cleans up after runs whose process died or whose catalog failed, so that the catalog and the repository agree: a
    /// set the repository holds whole is recorded as failed with its path (kept, restorable, never in a chain) and the
    /// plugin is told it failed (nothing is truncated); any other run is abandoned and its staging leftovers removed.
    /// </summary>
    public static async Task RecoverAbandonedRunsAsync(CliSession session, CancellationToken ct)
    {
        var logger = session.LoggerFactory.CreateLogger("HostWorkflow");
        var repository = session.Repository;
        var recovered = session.Catalog.RecoverAbandonedRuns(row => repository.IntactStoredSet(row.SetId, logger));
        foreach (var row in recovered)
        {
            repository.RemoveStaged(row.SetId);
            if (row.State != HostSetState.Failed)
            {
                logger.LogWarning("Set {SetId} of target {TargetId} was abandoned by a process that ended; its staging leftovers were removed.", row.SetId, row.TargetId);
                continue;
            }

            logger.LogWarning("Set {SetId} of target {TargetId} was stored at {Path} by a process that ended before completing it: recorded as failed (kept, restorable, no log truncated).", row.SetId, row.TargetId, row.SetPath);
            if (row.Manifest is { } manifest)
            {
                // The plugin may still hold the staged set (its journal, a lease): end it the only way a set that was never
                // completed may end. Its answer is recorded by the plugin through the catalog port.
                _ = await TellPluginFailedAsync(session, manifest);
            }
        }
    }

    /// <summary>Phase one, storage and (unless <paramref name="complete"/> is false) phase two.</summary>
    public static Task<BackupOutput> BackupAsync(
        CliSession session,
        string targetId,
        BackupKind kind,
        string? strategy,
        IReadOnlyList<string> searchPaths,
        bool complete,
        IProgress<OperationProgress>? progress,
        CancellationToken ct)
        => BackupAsync(session, targetId, kind, strategy, searchPaths, null, complete ? SetDestination.RepositoryCompleted : SetDestination.Repository, progress, ct);

    /// <summary>
    /// Phase one into <paramref name="destination"/>. Into the repository: stored, then completed when asked. Into a
    /// directory of the caller's or a tar stream: left pending (exported) for the product that stores it to report.
    /// </summary>
    public static async Task<BackupOutput> BackupAsync(
        CliSession session,
        string targetId,
        BackupKind kind,
        string? strategy,
        IReadOnlyList<string> searchPaths,
        BackupTarget? resolved,
        SetDestination destination,
        IProgress<OperationProgress>? progress,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        await RecoverAbandonedRunsAsync(session, ct);
        var plugin = session.Plugin.Plugin;
        if (destination.Stream is not null && plugin is not IStreamingBackupPlugin)
        {
            return new BackupOutput(string.Empty, "failed", null, null, null, new PluginError(
                ErrorCodes.PlatformNotSupported, $"Plugin '{plugin.Info.Id}' cannot write a set as a stream (it does not implement IStreamingBackupPlugin in this process model); use --out DIR."));
        }

        var setId = NewSetId();
        session.Catalog.BeginRun(setId, targetId, kind);
        HostTestHooks.Reached(HostTestHooks.RunRecorded);
        var request = new BackupRequest(targetId, kind, destination.Directory ?? session.Repository.StagingDirectory)
        {
            // The target this command just discovered: the plugin backs it up without searching for it again.
            Target = resolved is not null && resolved.Id == targetId ? resolved : null,
            SetId = setId,
            CreateStagingDirectory = true,
            Strategy = strategy,
            SearchPaths = searchPaths,
        };

        var result = await StageAsync(session, request, destination.Stream, progress, ct);
        if (result.Succeeded && result.Manifest is not null && !destination.IntoRepository)
        {
            // Phase one is done and the set is somewhere the host does not keep: the product that stores it reports.
            // Recorded only when the catalog can: a set exported but not recorded is still the caller's, and settled like any other.
            session.Catalog.MarkExported(setId, result.SetDirectory);
            return new BackupOutput(setId, "exported", result.SetDirectory, result.Manifest, result.EngineTruncation, null);
        }

        if (!result.Succeeded || result.Manifest is null || result.SetDirectory is null)
        {
            var error = result.Error ?? new PluginError(ErrorCodes.InternalError, "The plugin reported neither a set nor an error.");
            return new BackupOutput(setId, "failed", null, null, null, RecordFailure(session, setId, error, null));
        }

        HostTestHooks.Reached(HostTestHooks.StagedRecorded);
        var (stored, failure) = await StoreAsync(session, setId, result.SetDirectory, result.Manifest);
        if (failure is not null)
        {
            return failure;
        }

        HostTestHooks.Reached(HostTestHooks.StoredRecorded);
        return destination.Complete
            ? await CompleteStoredAsync(session, setId, stored!, result.Manifest, ct)
            : new BackupOutput(setId, "stored", stored, result.Manifest, result.EngineTruncation, null);
    }

    /// <summary>Phase one: the plugin stages the set (into a directory or the stream). A cancelled run is recorded as failed.</summary>
    private static async Task<BackupResult> StageAsync(CliSession session, BackupRequest request, Stream? stream, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var plugin = session.Plugin.Plugin;
        try
        {
            return stream is not null
                ? await ((IStreamingBackupPlugin)plugin).BackupToStreamAsync(request, stream, progress, ct)
                : await plugin.BackupAsync(request, progress, ct);
        }
        catch (OperationCanceledException)
        {
            session.Catalog.MarkFailed(request.SetId!, "Cancelled.");
            throw;
        }
    }

    /// <summary>
    /// Moves the staged set into the repository and records where it is. On failure the plugin is told the backup failed
    /// (nothing is truncated) and the outcome to return says why.
    /// </summary>
    private static async Task<(string? Stored, BackupOutput? Failure)> StoreAsync(
        CliSession session, string setId, string setDirectory, Abstractions.Manifest.BackupManifest manifest)
    {
        string stored;
        try
        {
            stored = session.Repository.Store(setDirectory, setId);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Storage failed: tell the plugin, so that it truncates nothing and ends any live session.
            var failed = await TellPluginFailedAsync(session, manifest);
            var error = RecordFailure(session, setId, new PluginError(ErrorCodes.DiskIO, $"Storing set {setId} in the repository failed: {ex.Message}"), null);
            return (null, new BackupOutput(setId, "failed", null, manifest, failed?.Truncation, error));
        }

        HostTestHooks.Reached(HostTestHooks.StoredBeforeRecord);
        try
        {
            session.Catalog.MarkStored(setId, stored);
            return (stored, null);
        }
        catch (CatalogFailureException ex)
        {
            // The set is in the repository but the catalog cannot say so: the plugin must not truncate on its strength. It
            // stays where it is, whole; the catalog records it as failed now if it can, or the next run does (one rule).
            var failed = await TellPluginFailedAsync(session, manifest);
            var error = RecordFailure(
                session,
                setId,
                new PluginError(ErrorCodes.CatalogFailure, $"Set {setId} was stored at '{stored}'. {ex.Message}. The plugin was told the backup failed: no log was truncated. The set is kept and recorded as failed (by the next run if the catalog cannot take it now).") { File = ex.DatabasePath },
                stored);
            return (null, new BackupOutput(setId, "failed", stored, manifest, failed?.Truncation, error));
        }
    }

    /// <summary>Phase two for a set the host stored: success, so the plugin may truncate.</summary>
    private static async Task<BackupOutput> CompleteStoredAsync(CliSession session, string setId, string stored, Abstractions.Manifest.BackupManifest manifest, CancellationToken ct)
    {
        CompletionResult completion;
        try
        {
            completion = await session.Plugin.Plugin.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: true), ct);
        }
        catch (CatalogFailureException ex)
        {
            // The plugin could not record its verdict in our catalog; the set stays stored (the catalog says so) and
            // 'complete' finishes it once the catalog works again.
            return new BackupOutput(setId, "stored", stored, manifest, null, new PluginError(ErrorCodes.CatalogFailure, $"Set {setId} is stored at '{stored}', but completing it failed. {ex.Message}. Run 'esebackup complete {setId} --succeeded' once the catalog can be written.") { File = ex.DatabasePath });
        }

        HostTestHooks.Reached(HostTestHooks.Completed);
        return new BackupOutput(setId, completion.Error is null ? "completed" : "stored", stored, manifest, completion.Truncation, completion.Error);
    }

    /// <summary>
    /// Completes a set as failed (nothing may be truncated on its strength). The plugin records its answer through the
    /// catalog port; when the catalog cannot take it (the same full disk), the host's own record and the next run's
    /// recovery still settle the set, so that failure is logged, not thrown.
    /// </summary>
    private static async Task<CompletionResult?> TellPluginFailedAsync(CliSession session, Abstractions.Manifest.BackupManifest manifest)
    {
        var logger = session.LoggerFactory.CreateLogger("HostWorkflow");
        try
        {
            var told = await session.Plugin.Plugin.CompleteBackupAsync(new CompletionRequest(manifest, Succeeded: false), CancellationToken.None);
            if (told.Error is { } e)
            {
                logger.LogWarning("The plugin's answer to completing set {SetId} as failed: {Error}", manifest.SetId, e);
            }

            return told;
        }
        catch (CatalogFailureException ex)
        {
            logger.LogWarning("The plugin completed set {SetId} as failed but could not record it: {Error}", manifest.SetId, ex.Message);
            return null;
        }
    }

    /// <summary>
    /// Records a failed run and returns the error to report. When the catalog cannot record it either (the same full
    /// disk), both failures are reported: the row stays as it was, and the next run's recovery settles it.
    /// </summary>
    private static PluginError RecordFailure(CliSession session, string setId, PluginError error, string? storedAt)
    {
        try
        {
            session.Catalog.MarkFailed(setId, error.ToString(), storedAt);
            return error;
        }
        catch (CatalogFailureException ex)
        {
            return error with { Message = $"{error.Message} Recording the failure failed too: {ex.Message}." };
        }
    }
}

/// <summary>Where <c>backup</c> puts a set.</summary>
/// <param name="Directory">A directory of the caller's (<c>--out DIR</c>): the set appears there as <c>&lt;set id&gt;/</c>.</param>
/// <param name="Stream">A tar stream (<c>--out -</c>).</param>
/// <param name="Complete">Into the repository only: complete right after storing.</param>
internal sealed record SetDestination(string? Directory, Stream? Stream, bool Complete)
{
    public static SetDestination Repository { get; } = new(null, null, false);

    public static SetDestination RepositoryCompleted { get; } = new(null, null, true);

    public bool IntoRepository => Directory is null && Stream is null;
}

/// <summary>A target as the command line named it.</summary>
/// <param name="Id">The id to back up.</param>
/// <param name="Target">The target, when the host's own discovery found it (else only the plugin may know the id).</param>
/// <param name="SearchPaths">Where the host looked, passed on to the plugin.</param>
/// <param name="Error">Why the argument names no single target.</param>
internal sealed record ResolvedTarget(string Id, BackupTarget? Target, IReadOnlyList<string> SearchPaths, PluginError? Error);
