using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Windows.Vss;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>
/// The VSS writer source: discovers the components of ESE-based writers (NTDS, AD LDS, Exchange, DHCP, WINS,
/// Certificate Services, …) and backs one up as a VSS requester, exposing the component's files from the shadow
/// copies. Copy is the default backup type a host should ask for when another product owns the application's
/// backups; full and incremental make the writer truncate its logs at BackupComplete.
/// </summary>
internal sealed class VssSource : IBackupSource, IAsyncDisposable
{
    /// <summary>The strategy name recorded in manifests.</summary>
    public const string StrategyName = "vss";

    private readonly IVssApi? _api;
    private readonly VssSourceOptions _options;
    private readonly ISnapshotSetCatalog _journal;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string? _unavailableReason;
    private readonly ConcurrentDictionary<string, VssSession?> _active = new(StringComparer.Ordinal);

    // Requesters still starting (their snapshot set may already be in the journal): the orphan clean-up must see them
    // as live, or it would delete a running backup's shadow copy.
    private readonly ConcurrentDictionary<string, VssBackupRequester> _starting = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _cleanupGate = new(1, 1);
    private bool _cleanedUp;
    private Task? _startUpCleanUp;

    /// <summary>
    /// The source over vssapi.dll: on Windows always; elsewhere only when <see cref="VssSourceOptions.NativeLibraryDirectory"/>
    /// (or a test through <see cref="VssNative.UseLibrariesFrom"/>) points at the ABI fakes.
    /// </summary>
    public VssSource(VssSourceOptions options, ISnapshotSetCatalog journal, ILogger<VssSource>? logger = null, TimeProvider? time = null)
        : this(options, journal, CreateNativeApi(options, out var reason), logger, time, reason)
    {
    }

    /// <summary>A source over any <see cref="IVssApi"/>; null means VSS is not available here.</summary>
    internal VssSource(VssSourceOptions options, ISnapshotSetCatalog journal, IVssApi? api, ILogger? logger, TimeProvider? time, string? unavailableReason = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _journal = journal ?? throw new ArgumentNullException(nameof(journal));
        _api = api;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _unavailableReason = api is null ? unavailableReason ?? "VSS needs Windows (vssapi.dll)." : null;
    }

    public TargetKind Kind => TargetKind.VssWriter;

    public bool MayOwn(string targetId) => targetId.StartsWith(VssTargetFactory.TargetIdPrefix, StringComparison.Ordinal);

    public TargetKindCapabilities Capabilities => new(
        TargetKind.VssWriter,
        Available: _api is not null,
        UnavailableReason: _unavailableReason,
        BackupKinds: [BackupKind.Full, BackupKind.Incremental, BackupKind.Copy],
        Truncation: TruncationPerformer.VssWriter,
        TruncatesDuringBackup: false,
        Strategies: [StrategyName]);

    /// <summary>Why the last discovery found nothing, when it failed.</summary>
    public PluginError? LastDiscoveryError { get; private set; }

    /// <summary>Writer problems seen during the last discovery (writers that failed to identify, …).</summary>
    public IReadOnlyList<string> LastDiscoveryWarnings { get; private set; } = [];

    /// <summary>
    /// Starts deleting our orphaned snapshot sets (ids in the journal: the host's catalog, when it keeps them) in
    /// the background, as the plugin starts; VSS work of this source waits for it. Does nothing where VSS is not
    /// usable, when <see cref="VssSourceOptions.DeleteOrphanedSnapshotSets"/> is off, or when already started.
    /// </summary>
    public void StartOrphanCleanUp()
    {
        if (_api is null || !_options.DeleteOrphanedSnapshotSets || _startUpCleanUp is not null)
        {
            return;
        }

        _startUpCleanUp = Task.Run(async () =>
        {
            try
            {
                var result = await CleanUpOrphanedSnapshotSetsAsync(CancellationToken.None).ConfigureAwait(false);
                if (result.Deleted.Count > 0 || result.Errors.Count > 0)
                {
                    _logger.LogWarning(
                        "Start-up clean-up of orphaned VSS snapshot sets: {Deleted} deleted, {Gone} already gone, {Kept} kept, {Errors} failed.",
                        result.Deleted.Count,
                        result.AlreadyGone.Count,
                        result.Kept.Count,
                        result.Errors.Count);
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The catalog or VSS failing here must not fail the plugin; the clean-up runs again before the first backup.
                _logger.LogError(e, "Start-up clean-up of orphaned VSS snapshot sets failed.");
            }
        });
    }

    /// <summary>Waits for the start-up clean-up (its outcome is logged, never thrown).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_startUpCleanUp is { } cleanUp)
        {
            await cleanUp.ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<BackupTarget> DiscoverAsync(DiscoveryRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_api is null || (request.Kinds.Count > 0 && !request.Kinds.Contains(TargetKind.VssWriter)))
        {
            yield break;
        }

        if (_startUpCleanUp is { } cleanUp)
        {
            await cleanUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        LastDiscoveryError = null;
        IReadOnlyList<VssGatheredWriter> writers = [];
        var requester = new VssBackupRequester(_api, _options, _journal, _logger, _time, "discovery");
        try
        {
            await requester.InitializeAsync(VssBackupType.Copy, [], cancellationToken).ConfigureAwait(false);
            writers = await requester.GatherWriterMetadataAsync(cancellationToken).ConfigureAwait(false);
            LastDiscoveryWarnings = requester.Warnings.ToArray();
        }
        catch (PluginException e)
        {
            LastDiscoveryError = e.Error;
            _logger.LogError("VSS discovery failed: {Error}", e.Error.ToString());
        }
        finally
        {
            await requester.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var gathered in writers)
        {
            foreach (var target in TargetsOf(gathered))
            {
                yield return target;
            }
        }
    }

    public async ValueTask<SourceSessionStart> BeginAsync(SourceBackupContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var target = context.Target;
        if (_api is null)
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.PlatformNotSupported, _unavailableReason!) { TargetId = target.Id });
        }

        if (target.Kind != TargetKind.VssWriter || target.Vss is null)
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.InvalidParameter, $"Target '{target.Id}' is not a VSS writer component.") { TargetId = target.Id });
        }

        if (context.Strategy is not null && !string.Equals(context.Strategy, StrategyName, StringComparison.OrdinalIgnoreCase))
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.InvalidParameter, $"Unknown strategy '{context.Strategy}' for a VSS target; the only one is '{StrategyName}'.") { TargetId = target.Id });
        }

        long? fromGeneration = null;
        if (context.Kind == BackupKind.Incremental)
        {
            if (context.Chain.Count == 0 || context.Chain[0].Manifest.Kind != BackupKind.Full)
            {
                return SourceSessionStart.Failed(new PluginError(ErrorCodes.MissingFullBackup, $"An incremental backup of '{target.DisplayName}' needs a completed full backup first.") { TargetId = target.Id });
            }

            fromGeneration = context.Chain[^1].Manifest.LogRange?.High;
        }

        if (!_active.TryAdd(target.Id, null))
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.BackupInProgress, $"A VSS backup of '{target.DisplayName}' is already running.") { TargetId = target.Id });
        }

#pragma warning disable CA2000 // Disposed in the finally block below unless the session took it over (the analyzer does not follow DisposeAsync there).
        VssBackupRequester? requester = new(_api, _options, _journal, _logger, _time, target.Id);
#pragma warning restore CA2000
        _starting[target.Id] = requester;
        try
        {
            if (_options.DeleteOrphanedSnapshotSets)
            {
                await CleanUpOrphanedSnapshotSetsOnceAsync(cancellationToken).ConfigureAwait(false);
            }

            var session = await StartAsync(requester, context, fromGeneration, cancellationToken).ConfigureAwait(false);
            _active[target.Id] = session;
            _starting.TryRemove(target.Id, out _);
            requester = null;
            return SourceSessionStart.Started(session);
        }
        catch (PluginException e)
        {
            return SourceSessionStart.Failed(e.Error.TargetId is null ? e.Error with { TargetId = target.Id } : e.Error);
        }
        finally
        {
            if (requester is not null)
            {
                // Whatever failed, the writers hear it (AbortBackup once a snapshot set was started).
                try
                {
                    await requester.AbortAsync().ConfigureAwait(false);
                }
                finally
                {
                    await requester.DisposeAsync().ConfigureAwait(false);
                    _starting.TryRemove(target.Id, out _);
                    _active.TryRemove(target.Id, out _);
                }
            }
        }
    }

    /// <summary>
    /// Deletes our snapshot sets left behind by an earlier worker (ids from the journal). Runs automatically once
    /// before the first backup; the composition root may call it at start-up.
    /// </summary>
    public async Task<VssOrphanCleanupResult> CleanUpOrphanedSnapshotSetsAsync(CancellationToken cancellationToken)
    {
        if (_api is null)
        {
            return VssOrphanCleanupResult.Empty;
        }

        var active = _active.Values.Where(s => s is not null).Select(s => s!.Requester.SnapshotSetId)
            .Concat(_starting.Values.Select(r => r.SnapshotSetId))
            .OfType<Guid>()
            .ToHashSet();
        try
        {
            var result = await VssOrphanCleaner.RunAsync(_api, _journal, active, VssOrphanCleaner.IsProcessAlive, _logger, cancellationToken).ConfigureAwait(false);
            _cleanedUp = true;
            return result;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A journal that cannot be read must not stop backups; the clean-up is tried again next time.
            var error = new PluginError(ErrorCodes.CatalogFailure, "The VSS snapshot-set journal could not be read: " + e.Message);
            _logger.LogError(e, "Orphaned VSS snapshot sets were not cleaned up: {Error}", error.Message);
            return new VssOrphanCleanupResult([], [], [], [error]);
        }
    }

    /// <summary>Starts the process's VSS thread now, which sets COM security first; see <see cref="EsePlugin.InitializeComSecurity"/>.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    internal static int InitializeComSecurity()
    {
        try
        {
            var api = NativeVssApi.Shared;
            // The VSS thread sets security before it runs any queued work, so this answer comes after it.
            return api.InvokeAsync(() => api.ComSecurityResult, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return e.HResult;
        }
    }

    private static NativeVssApi? CreateNativeApi(VssSourceOptions options, out string? unavailableReason)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.NativeLibraryDirectory))
        {
            VssNative.UseLibrariesFrom(options.NativeLibraryDirectory);
        }

        if (!VssNative.IsUsable)
        {
            unavailableReason = "VSS needs Windows (vssapi.dll).";
            return null;
        }

        if (OperatingSystem.IsWindows() && Environment.Is64BitOperatingSystem && !Environment.Is64BitProcess)
        {
            unavailableReason = "A 32-bit process cannot be a VSS requester on 64-bit Windows; run the 64-bit worker.";
            return null;
        }

        try
        {
            unavailableReason = null;
            return NativeVssApi.Shared;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            unavailableReason = "vssapi.dll could not be loaded: " + e.Message;
            return null;
        }
    }

    private IEnumerable<BackupTarget> TargetsOf(VssGatheredWriter gathered)
    {
        VssWriterMetadata metadata;
        try
        {
            var identity = VssWriterMetadataParser.ParseIdentity(gathered.Xml);
            var known = EseWriterCatalog.Recognize(identity);
            if (known is null || !known.HoldsEseData)
            {
                return [];
            }

            metadata = VssWriterMetadataParser.Parse(gathered.Xml);
        }
        catch (Exception e) when (e is FormatException or System.Xml.XmlException)
        {
            _logger.LogWarning("A writer metadata document (instance {Instance}) could not be read: {Message}", gathered.InstanceId, e.Message);
            return [];
        }

        if (metadata.InstanceId == Guid.Empty)
        {
            metadata = metadata with { InstanceId = gathered.InstanceId };
        }

        return VssTargetFactory.CreateTargets(metadata);
    }

    private async Task CleanUpOrphanedSnapshotSetsOnceAsync(CancellationToken cancellationToken)
    {
        if (_startUpCleanUp is { } startUp)
        {
            await startUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_cleanedUp)
        {
            return;
        }

        await _cleanupGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_cleanedUp)
            {
                await CleanUpOrphanedSnapshotSetsAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _cleanupGate.Release();
        }
    }

    private async Task<VssSession> StartAsync(VssBackupRequester requester, SourceBackupContext context, long? fromGeneration, CancellationToken cancellationToken)
    {
        var target = context.Target;
        var vss = target.Vss!;
        var type = context.Kind switch
        {
            BackupKind.Full => VssBackupType.Full,
            BackupKind.Incremental => VssBackupType.Incremental,
            _ => VssBackupType.Copy,
        };

        await requester.InitializeAsync(type, [vss.WriterId], cancellationToken).ConfigureAwait(false);
        var writers = await requester.GatherWriterMetadataAsync(cancellationToken).ConfigureAwait(false);
        var plan = PlanFor(target, writers);

        if (type == VssBackupType.Incremental && (plan.Writer.BackupSchema & VssBackupSchema.Incremental) == 0)
        {
            throw new PluginException(new PluginError(
                ErrorCodes.InvalidBackup,
                $"Writer '{plan.Writer.FriendlyName}' does not declare incremental backups (backup schema 0x{(int)plan.Writer.BackupSchema:X}); run a full or copy backup.") { TargetId = target.Id });
        }

        foreach (var dependency in plan.Explicit.SelectMany(c => c.Dependencies))
        {
            _logger.LogWarning(
                "Component {Component} of {Writer} depends on {DependencyWriter} {DependencyPath}\\{DependencyName}; dependencies are not followed, back that component up separately.",
                plan.Target.FullName,
                plan.Writer.FriendlyName,
                dependency.WriterId,
                dependency.LogicalPath,
                dependency.ComponentName);
        }

        await requester.AddComponentsAsync(plan.Selection, cancellationToken).ConfigureAwait(false);
        await requester.CreateSnapshotSetAsync(plan.Directories, cancellationToken).ConfigureAwait(false);

        IReadOnlyList<VssShadowFile> found;
        try
        {
            found = VssShadowFiles.Collect(plan, requester.VolumeOf, type, fromGeneration, target.Id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new PluginException(new PluginError(ErrorCodes.DiskIO, $"Reading the shadow copy of '{target.DisplayName}' failed: {e.Message}") { TargetId = target.Id });
        }

        var files = new List<SourceFile>(found.Count + 1);
        files.AddRange(found.Select(f => new ShadowCopySourceFile
        {
            RelativePath = f.StageName,
            Role = f.Role,
            SourcePath = f.OriginalPath,
            Length = f.Length,
            Generation = f.Generation,
            WasCurrentLog = f.WasCurrentLog,
            ShadowPath = f.ShadowPath,
        }));
        if (_options.IncludeWriterMetadataFile)
        {
            files.Add(VssSession.WriterMetadataFile(writers.First(w => w.InstanceId == plan.InstanceId).Xml));
        }

        _logger.LogInformation(
            "VSS {Type} backup of {Target}: snapshot set {SetId}, {Count} file(s) exposed from the shadow copies.",
            type,
            target.DisplayName,
            requester.SnapshotSetId,
            files.Count);
        return new VssSession(requester, files, context.Kind, target.Id, _time, _logger, s => _active.TryRemove(new KeyValuePair<string, VssSession?>(target.Id, s)));
    }

    private static VssBackupPlan PlanFor(BackupTarget target, IReadOnlyList<VssGatheredWriter> writers)
    {
        var vss = target.Vss!;
        var candidates = new List<(VssGatheredWriter Gathered, VssWriterMetadata Metadata)>();
        foreach (var gathered in writers)
        {
            VssWriterMetadata identity;
            try
            {
                identity = VssWriterMetadataParser.ParseIdentity(gathered.Xml);
            }
            catch (Exception e) when (e is FormatException or System.Xml.XmlException)
            {
                continue;
            }

            if (identity.WriterId == vss.WriterId)
            {
                candidates.Add((gathered, VssWriterMetadataParser.Parse(gathered.Xml)));
            }
        }

        if (candidates.Count == 0)
        {
            throw new PluginException(VssFailures.Missing("GatherWriterMetadata", vss.WriterName, $"VSS writer '{vss.WriterName}' ({vss.WriterId}) did not answer: is its service running?", target.Id));
        }

        // Several instances of one writer class (AD LDS, SQL): prefer the same instance, then the same instance name.
        var ordered = candidates
            .OrderByDescending(c => c.Gathered.InstanceId == vss.WriterInstanceId)
            .ThenByDescending(c => vss.WriterInstanceName is not null && string.Equals(c.Metadata.InstanceName, vss.WriterInstanceName, StringComparison.OrdinalIgnoreCase));
        foreach (var (gathered, metadata) in ordered)
        {
            var known = EseWriterCatalog.Recognize(metadata) ?? new KnownEseWriter("unknown", metadata.WriterId, metadata.FriendlyName, true);
            var plan = VssBackupPlan.Create(metadata, known, gathered.InstanceId, vss.LogicalPath, vss.ComponentName);
            if (plan is not null)
            {
                return plan;
            }
        }

        var full = vss.LogicalPath.Length == 0 ? vss.ComponentName : vss.LogicalPath + "\\" + vss.ComponentName;
        throw new PluginException(new PluginError(ErrorCodes.TargetNotFound, $"VSS writer '{vss.WriterName}' no longer reports component '{full}'.") { TargetId = target.Id });
    }
}
