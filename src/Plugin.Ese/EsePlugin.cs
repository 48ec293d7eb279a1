using System.Reflection;
using System.Runtime.CompilerServices;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Composition;
using EseBackupPlugin.Ese.Engine;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Locking;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Progress;
using EseBackupPlugin.Ese.Engine.Restore;
using EseBackupPlugin.Ese.Engine.Staging;
using EseBackupPlugin.Ese.Engine.TwoPhase;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.Ese;

/// <summary>
/// The plugin's entry point (plugin.json <c>entry.type</c>) and composition root: binds and validates the
/// options, builds the sources (file sets everywhere; esent.dll instances and VSS writers where usable),
/// the one engine they share, and the verification, restore and sample services.
/// </summary>
public sealed class EsePlugin : IBackupPlugin, IStreamingBackupPlugin, ISampleTargetProvider
{
    /// <summary>The plugin id, as in plugin.json.</summary>
    public const string PluginId = "esebackup.ese";

    private readonly IReadOnlyList<IBackupSource> _sources;
    private readonly BackupEngine _engine;
    private readonly SetVerifier _setVerifier;
    private readonly RestoreEngine _restore;
    private readonly EseFileVerifierService _fileVerifier;
    private readonly IBackupCatalog _catalog;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private int _disposed;

    /// <summary>Creates the plugin. The host passes its logging, the plugin's configuration section and its catalog.</summary>
    /// <param name="loggerFactory">The host's logging; none means silent.</param>
    /// <param name="configuration">The <c>EsePlugin</c> configuration section; none means defaults.</param>
    /// <param name="catalog">The host's catalog; none means a process-local one.</param>
    /// <exception cref="InvalidOperationException">A setting is invalid; the message names it.</exception>
    public EsePlugin(ILoggerFactory? loggerFactory = null, IConfiguration? configuration = null, IBackupCatalog? catalog = null)
        : this(loggerFactory, Bind(configuration), catalog, PhysicalStagingFileSystem.Instance, TimeProvider.System)
    {
    }

    internal EsePlugin(ILoggerFactory? loggerFactory, EsePluginOptions options, IBackupCatalog? catalog, IStagingFileSystem fileSystem, TimeProvider time)
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid plugin configuration: " + string.Join(" ", problems));
        }

        var logs = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = logs.CreateLogger<EsePlugin>();
        _catalog = catalog ?? new InMemoryBackupCatalog();
        _time = time;
        Options = options;

        var esent = new EsentInstanceSource(options.EsentInstances, logs.CreateLogger<EsentInstanceSource>(), time);
        // The ids of our VSS snapshot sets live in the host's catalog when it offers that, else in a file of our own.
        var journal = _catalog as ISnapshotSetCatalog ?? new FileVssSnapshotSetJournal(Path.Combine(StateDirectory(options), "vss-snapshot-sets.json"));
        var vss = new VssSource(options.Vss, journal, logs.CreateLogger<VssSource>(), time);
        var guarded = new GuardedCatalog(_catalog);
        _sources =
        [
            new FileSetSource(
                options.FileSet,
                guarded,
                time,
                logs.CreateLogger<FileSetSource>(),
                new FileSetLocationMemory(Path.Combine(StateDirectory(options), "file-set-locations.txt"), time, logs.CreateLogger<FileSetLocationMemory>())),
            esent,
            vss,
        ];

        // Snapshot sets a crashed earlier run left behind (recorded in the host's catalog) go first.
        vss.StartOrphanCleanUp();

        if (ReferenceEquals(fileSystem, PhysicalStagingFileSystem.Instance) && !options.Engine.UnbufferedWrites)
        {
            fileSystem = PhysicalStagingFileSystem.Buffered;
        }

        var copier = new OnePassCopier(fileSystem, options.Engine.BufferSize, options.Engine.BufferCount);
        var producer = new ProducerStamp(PluginId, Version, ContractVersion.Current.ToString(2));
        _engine = new BackupEngine(_sources, copier, guarded, fileSystem, options.Engine, new SetJournal(StateDirectory(options)), producer, time, logs.CreateLogger<BackupEngine>());
        _setVerifier = new SetVerifier(copier);
        _fileVerifier = new EseFileVerifierService(copier);
        _restore = new RestoreEngine(copier, fileSystem, new EsentRestorer(options.EsentInstances, logs.CreateLogger<EsentRestorer>()), logs.CreateLogger<RestoreEngine>());
    }

    /// <summary>
    /// For a process the plugin owns (the out-of-process worker): sets the process's COM security once, as the VSS
    /// requester needs it, before anything else in the process uses COM. A host that loads the plugin in process
    /// must not call this (the host owns its process security).
    /// </summary>
    /// <returns>CoInitializeSecurity's HRESULT (<c>RPC_E_TOO_LATE</c> when something set it first), or the failure to load VSS.</returns>
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    public static int InitializeComSecurity() => VssSource.InitializeComSecurity();

    /// <summary>The plugin version (the assembly's informational version).</summary>
    public static string Version { get; } =
        typeof(EsePlugin).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    internal EsePluginOptions Options { get; }

    internal BackupEngine Engine => _engine;

    /// <inheritdoc />
    public PluginInfo Info => new(
        PluginId,
        Version,
        ContractVersion.Current.ToString(2),
        "Backs up, verifies and restores Microsoft ESE (esent.dll) databases: offline file sets, in-process instances and VSS writers.",
        new PluginCapabilities([.. _sources.Select(s => s.Capabilities)], CanVerifySets: true, CanRestore: true, CanInspectFiles: true));

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupTarget> DiscoverAsync(DiscoveryRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        foreach (var source in _sources.Where(s => s.Capabilities.Available && (request.Kinds.Count == 0 || request.Kinds.Contains(s.Kind))))
        {
            var found = new List<BackupTarget>();
            try
            {
                await foreach (var target in source.DiscoverAsync(request, cancellationToken))
                {
                    found.Add(target);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
            {
                // One source failing (a VSS service that is down) must not hide the others' targets.
                _logger.LogWarning(ex, "Discovery of {Kind} targets failed.", source.Kind);
            }

            foreach (var target in found)
            {
                yield return await WithLastBackupAsync(target, cancellationToken);
            }
        }
    }

    private async Task<BackupTarget> WithLastBackupAsync(BackupTarget target, CancellationToken ct)
    {
        IReadOnlyList<CatalogEntry> chain;
        try
        {
            chain = await _catalog.GetChainAsync(target.Id, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // The target exists whatever the catalog says; the host learns that its last backup could not be read.
            _logger.LogWarning(ex, "The host's catalog could not read the chain of target {TargetId}.", target.Id);
            return target with
            {
                Warnings = [.. target.Warnings, new PluginError(ErrorCodes.CatalogFailure, $"The host's catalog could not read the backup chain of target {target.Id}: {ex.Message}.") { TargetId = target.Id }],
            };
        }

        if (chain.Count == 0)
        {
            return target;
        }

        var last = chain[^1];
        return target with { LastBackup = new LastBackupInfo(last.Manifest.SetId, last.Manifest.Kind, last.CompletedAt, last.Manifest.LogRange?.High) };
    }

    /// <inheritdoc />
    public Task<BackupResult> BackupAsync(BackupRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => ProgressPump.RunAsync(progress, _time, p => _engine.BackupAsync(request, p, cancellationToken));

    /// <inheritdoc />
    public Task<BackupResult> BackupToStreamAsync(BackupRequest request, Stream destination, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!destination.CanWrite)
        {
            throw new ArgumentException("The destination stream is not writable.", nameof(destination));
        }

        return _engine.BackupAsync(request, new SetStream(destination, destination is FileStream fs && Path.IsPathRooted(fs.Name) ? fs.Name : "the tar stream"), progress, cancellationToken);
    }

    /// <inheritdoc />
    public Task<CompletionResult> CompleteBackupAsync(CompletionRequest request, CancellationToken cancellationToken = default)
        => _engine.CompleteAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task<CompletionResult> AbandonBackupAsync(string setId, CancellationToken cancellationToken = default)
        => _engine.AbandonAsync(setId, cancellationToken);

    /// <inheritdoc />
    public Task<VerifySetResult> VerifySetAsync(VerifySetRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => ProgressPump.RunAsync(progress, _time, p => _setVerifier.VerifyAsync(request, p, cancellationToken));

    /// <inheritdoc />
    public Task<RestoreResult> RestoreAsync(RestoreRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => ProgressPump.RunAsync(progress, _time, p => _restore.RestoreAsync(request, p, cancellationToken));

    /// <inheritdoc />
    public Task<FileInspection> InspectFileAsync(string path, CancellationToken cancellationToken = default)
        => EseFileInspector.InspectAsync(path, cancellationToken);

    /// <inheritdoc />
    public Task<FileVerificationReport> VerifyFilesAsync(VerifyFilesRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => ProgressPump.RunAsync(progress, _time, p => _fileVerifier.VerifyAsync(request, p, cancellationToken));

    /// <inheritdoc />
    public Task<SampleTarget> CreateSampleTargetAsync(SampleTargetRequest request, CancellationToken cancellationToken = default)
        => SampleTargets.CreateAsync(request, cancellationToken);

    /// <inheritdoc />
    public Task<SampleTarget> AdvanceSampleTargetAsync(string directory, int newGenerations, CancellationToken cancellationToken = default)
        => SampleTargets.AdvanceAsync(directory, newGenerations, cancellationToken);

    /// <summary>Ends backups the host never completed (as aborted: nothing is truncated) and releases the sources.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _engine.DisposeAsync();
        foreach (var source in _sources.OfType<IAsyncDisposable>())
        {
            await source.DisposeAsync();
        }

        foreach (var source in _sources.OfType<IDisposable>())
        {
            source.Dispose();
        }
    }

    private static EsePluginOptions Bind(IConfiguration? configuration)
    {
        var options = new EsePluginOptions();
        try
        {
            // A plain call (not '?.'): the configuration binding source generator intercepts it, so the Native AOT
            // worker binds without reflection.
            if (configuration is not null)
            {
                configuration.Bind(options, o => o.ErrorOnUnknownConfiguration = true);
            }
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidOperationException("Invalid plugin configuration: " + ex.Message, ex);
        }

        return options;
    }

    /// <summary>
    /// The plugin's own state (remembered target locations, the VSS snapshot journal when the host keeps none):
    /// <c>EsePlugin:StateDirectory</c>, else <c>esebackup-state</c> beside the lock directory, which every process of
    /// one installation already shares (the per-user application-data folder differed between a service and an
    /// operator running the CLI, so neither saw what the other discovered).
    /// </summary>
    internal static string StateDirectory(EsePluginOptions options) =>
        options.StateDirectory is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.Engine.LockDirectory ?? TargetLockManager.DefaultDirectory).TrimEnd(Path.DirectorySeparatorChar)) ?? Path.GetTempPath(), "esebackup-state");
}
