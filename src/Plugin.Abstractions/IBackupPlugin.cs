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
    /// <param name="request">The set and the host's verdict.</param>
    /// <param name="cancellationToken">Cancels before truncation starts.</param>
    Task<Operations.CompletionResult> CompleteBackupAsync(Operations.CompletionRequest request, CancellationToken cancellationToken = default);

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
