namespace EseBackupPlugin.Abstractions;

/// <summary>
/// The plugin entry point a host instantiates from <c>plugin.json</c> (the <c>entry.type</c> field).
/// </summary>
/// <remarks>
/// <para>The host creates the entry type through dependency injection. The constructor may ask for
/// <c>Microsoft.Extensions.Logging.ILoggerFactory</c>, <c>Microsoft.Extensions.Configuration.IConfiguration</c>
/// (the plugin's own configuration section, named by <c>plugin.json</c>'s <c>configuration.section</c>)
/// and <see cref="Catalog.IBackupCatalog"/>; those types are shared between host and plugin.</para>
/// <para>Every operation returns a result that carries a <see cref="Errors.PluginError"/> instead of
/// throwing, so results can cross a process boundary. Only cancellation
/// (<see cref="OperationCanceledException"/>) and caller bugs (<see cref="ArgumentException"/>) throw.</para>
/// <para>Backups run in two phases: <see cref="BackupAsync"/> stages files and returns the manifest;
/// after the host has stored the set it calls <see cref="CompleteBackupAsync"/>, and only then may logs
/// be truncated. A host that never completes never loses logs.</para>
/// <para>The two-phase rules:</para>
/// <list type="bullet">
/// <item><b>The target is held between the phases.</b> From a successful <see cref="BackupAsync"/> until the set is
/// completed, abandoned (<see cref="AbandonBackupAsync"/>) or its lease ends, no other backup of the same target can
/// start in any process on the machine (<c>BackupInProgress</c>). The hold is the staging process's: it also ends
/// when the plugin is disposed or the process ends.</item>
/// <item><b>Lease.</b> A staged set's hold lasts at most the plugin's staged-set lease (option
/// <c>EsePlugin:Engine:StagedSetLease</c>, default 24 hours). After it a new backup of the target may proceed, and
/// the old set can only be completed as failed (success is refused with <c>LeaseExpired</c>); its logs are kept.</item>
/// <item><b>The first verdict wins.</b> The plugin keeps its own durable journal of the sets it staged. Completing a
/// set again with the same verdict returns the recorded report (and delivers it to the catalog again if that had
/// failed); a conflicting verdict is refused with <c>AlreadyCompleted</c> and changes nothing; a set the plugin did
/// not stage is <c>SetNotFound</c>. This holds across process restarts.</item>
/// <item><b>Catalog failures lose nothing.</b> When the host's catalog fails after truncation, the result still
/// carries the full truncation report, with a <c>CatalogFailure</c> error; the next completion of the set with the
/// same verdict re-delivers the recorded report to the catalog.</item>
/// <item><b>Cancellation</b> of a completion is honoured until truncation begins; after that the completion runs to
/// its end and returns what was removed (cancelling cannot un-delete a log, and a report must not be lost).</item>
/// </list>
/// </remarks>
public interface IBackupPlugin : IAsyncDisposable
{
    /// <summary>Identity, version and capabilities of the plugin on the current operating system.</summary>
    PluginInfo Info { get; }

    /// <summary>Finds backup targets. Ids are stable: the same target gets the same id when found again.</summary>
    /// <param name="request">Where to look and which kinds of target to report.</param>
    /// <param name="cancellationToken">Stops the scan.</param>
    IAsyncEnumerable<Targets.BackupTarget> DiscoverAsync(Targets.DiscoveryRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Phase one of a backup: copies (and verifies) the target's files into a new set directory inside
    /// the staging directory named by the host. Nothing is truncated here (except by engines that
    /// truncate on their own, which <see cref="PluginInfo.Capabilities"/> declares).
    /// </summary>
    /// <param name="request">Target, backup kind and staging directory.</param>
    /// <param name="progress">Receives ESE-style phases and file/byte counters.</param>
    /// <param name="cancellationToken">Cancels the backup; nothing is left in staging.</param>
    Task<Operations.BackupResult> BackupAsync(Operations.BackupRequest request, IProgress<Progress.OperationProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Phase two: the host reports whether it stored the staged set safely. On success, full and
    /// incremental backups may truncate logs; the report says exactly what was removed and by whom.
    /// </summary>
    /// <remarks>
    /// Idempotent: the same verdict again returns the recorded report; a conflicting verdict is refused with
    /// <c>AlreadyCompleted</c> (the result carries the recorded report, nothing changes); an unknown set is
    /// <c>SetNotFound</c>; success after the set's lease ended is refused with <c>LeaseExpired</c>. A
    /// <c>CatalogFailure</c> error next to a truncation report means the logs were handled as reported but the
    /// host's catalog did not record it: complete the set again with the same verdict to deliver it.
    /// Completion releases the target's hold.
    /// </remarks>
    /// <param name="request">The set and the host's verdict.</param>
    /// <param name="cancellationToken">Cancels until truncation starts; after that it is ignored (see the interface remarks).</param>
    Task<Operations.CompletionResult> CompleteBackupAsync(Operations.CompletionRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends a staged set without a verdict of success: every log is kept, the target's hold is released, and the set
    /// is recorded as failed (its report has status <c>skipped</c>). Abandoning again returns the recorded report;
    /// abandoning a set completed with success is refused with <c>AlreadyCompleted</c>; an unknown set is
    /// <c>SetNotFound</c>. Afterwards the set can only be completed as failed.
    /// </summary>
    /// <param name="setId">The staged set.</param>
    /// <param name="cancellationToken">Cancels before anything is changed.</param>
    /// <returns>The recorded outcome; a plugin built against an older contract answers <c>NotSupported</c>.</returns>
    Task<Operations.CompletionResult> AbandonBackupAsync(string setId, CancellationToken cancellationToken = default)
        => Task.FromResult(new Operations.CompletionResult
        {
            Error = new Errors.PluginError(Errors.ErrorCodes.NotSupported, "This plugin cannot abandon staged sets; complete the set as failed instead.") { Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["setId"] = setId } },
        });

    /// <summary>Re-hashes every file of a staged or stored set against its manifest and re-runs the ESE checks.</summary>
    /// <param name="request">The set directory to verify.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Stops verification.</param>
    Task<Operations.VerifySetResult> VerifySetAsync(Operations.VerifySetRequest request, IProgress<Progress.OperationProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Restores a chain of sets (a full and the incrementals after it) into a directory.</summary>
    /// <param name="request">The chain, in order, and the destination.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Stops the restore; partial output is removed.</param>
    Task<Operations.RestoreResult> RestoreAsync(Operations.RestoreRequest request, IProgress<Progress.OperationProgress>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Describes one file: what it is and every fact the plugin can read from it.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    Task<Files.FileInspection> InspectFileAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Verifies files or directories (recursively), including checks across the files of a set.</summary>
    /// <param name="request">Paths to verify.</param>
    /// <param name="progress">Receives progress.</param>
    /// <param name="cancellationToken">Stops verification.</param>
    Task<Files.FileVerificationReport> VerifyFilesAsync(Files.VerifyFilesRequest request, IProgress<Progress.OperationProgress>? progress = null, CancellationToken cancellationToken = default);
}
