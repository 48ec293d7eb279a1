using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using Microsoft.Extensions.Logging;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Requester;

/// <summary>Where a requester is in the backup sequence of reference §4.</summary>
internal enum VssRequesterState
{
    /// <summary>Nothing called yet.</summary>
    Created,

    /// <summary>CreateVssBackupComponents, InitializeForBackup, SetContext, SetBackupState (and writer class lists) done.</summary>
    Initialized,

    /// <summary>GatherWriterMetadata finished and every document was read.</summary>
    MetadataGathered,

    /// <summary>AddComponent for every chosen component, then FreeWriterMetadata.</summary>
    ComponentsAdded,

    /// <summary>StartSnapshotSet succeeded: from here until <see cref="SnapshotCreated"/> every failure calls AbortBackup.</summary>
    SnapshotSetStarted,

    /// <summary>AddToSnapshotSet for every volume.</summary>
    VolumesAdded,

    /// <summary>PrepareForBackup finished and the writers accepted it.</summary>
    PreparedForBackup,

    /// <summary>DoSnapshotSet succeeded: the shadow copies can be read.</summary>
    SnapshotCreated,

    /// <summary>SetBackupSucceeded was called for every added component.</summary>
    VerdictSet,

    /// <summary>BackupComplete finished (writers of full/incremental backups truncate their logs now).</summary>
    BackupCompleted,

    /// <summary>The backup was abandoned: AbortBackup was called if a snapshot set had been started.</summary>
    Aborted,

    /// <summary>A failure before any snapshot set existed (nothing to abort).</summary>
    Failed,

    /// <summary>The requester object was released.</summary>
    Released,
}

/// <summary>One writer's metadata as gathered: instance id and the document SaveAsXML returned.</summary>
/// <param name="InstanceId">Writer instance id.</param>
/// <param name="Xml">The Writer Metadata Document.</param>
internal sealed record VssGatheredWriter(Guid InstanceId, string Xml);

/// <summary>A component the requester adds to the Backup Components Document.</summary>
/// <param name="InstanceId">Writer instance id.</param>
/// <param name="WriterId">Writer class id.</param>
/// <param name="WriterName">Writer name (for messages).</param>
/// <param name="Type">Component type.</param>
/// <param name="LogicalPath">Logical path; empty when none.</param>
/// <param name="Name">Component name.</param>
internal sealed record VssSelectedComponent(Guid InstanceId, Guid WriterId, string WriterName, VssComponentType Type, string LogicalPath, string Name);

/// <summary>One volume of the snapshot set.</summary>
/// <param name="VolumeName">The <c>\\?\Volume{…}\</c> name.</param>
/// <param name="MountPoint">Its mount point (with a trailing separator).</param>
/// <param name="SnapshotId">The snapshot of it.</param>
/// <param name="DeviceObject">The shadow copy's device object, set once the snapshot exists.</param>
internal sealed record VssShadowVolume(string VolumeName, string MountPoint, Guid SnapshotId, string? DeviceObject)
{
    /// <summary>Where <paramref name="originalPath"/> (a path on this volume) is inside the shadow copy.</summary>
    public string ToShadowPath(string originalPath) =>
        VssPaths.ToShadowPath(originalPath, MountPoint, DeviceObject ?? throw new InvalidOperationException("The snapshot does not exist yet."));
}

/// <summary>
/// The requester side of one VSS backup, as an explicit state machine over <see cref="IVssApi"/>
/// (reference §4, failure rules §4.1 and §1.7). It decides nothing about files: it creates the shadow copies
/// of the chosen components' volumes, reports the verdict, completes or aborts, and releases.
/// <list type="bullet">
/// <item>Between StartSnapshotSet and a successful DoSnapshotSet any failure or cancellation calls AbortBackup.</item>
/// <item>VSS_E_SNAPSHOT_SET_IN_PROGRESS from StartSnapshotSet is retried with doubling pauses until a deadline.</item>
/// <item>Every IVssAsync is waited for in bounded slices with its inner status checked; a deadline cancels it.</item>
/// <item>Writer status is gathered after every phase; a failed writer the backup needs fails it, other writers only warn.</item>
/// <item>The snapshot set id is journalled as soon as it exists and forgotten once the set is gone.</item>
/// </list>
/// </summary>
internal sealed class VssBackupRequester : IAsyncDisposable
{
    private readonly IVssApi _api;
    private readonly VssSourceOptions _options;
    private readonly ISnapshotSetCatalog _journal;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly string _targetId;
    private readonly List<VssSelectedComponent> _added = [];
    private readonly List<VssShadowVolume> _volumes = [];
    private readonly List<string> _warnings = [];
    private HashSet<Guid> _requiredWriters = [];
    private IVssBackupComponentsApi? _components;
    private bool _snapshotExists;

    public VssBackupRequester(IVssApi api, VssSourceOptions options, ISnapshotSetCatalog journal, ILogger logger, TimeProvider time, string targetId)
    {
        _api = api ?? throw new ArgumentNullException(nameof(api));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _journal = journal ?? throw new ArgumentNullException(nameof(journal));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _targetId = targetId ?? "";
    }

    /// <summary>Where the requester is.</summary>
    public VssRequesterState State { get; private set; } = VssRequesterState.Created;

    /// <summary>The backup type declared with SetBackupState.</summary>
    public VssBackupType BackupType { get; private set; }

    /// <summary>The snapshot set, once started.</summary>
    public Guid? SnapshotSetId { get; private set; }

    /// <summary>The components added to the Backup Components Document.</summary>
    public IReadOnlyList<VssSelectedComponent> AddedComponents => _added;

    /// <summary>The volumes of the snapshot set, with their shadow device objects once created.</summary>
    public IReadOnlyList<VssShadowVolume> Volumes => _volumes;

    /// <summary>Problems of writers the backup does not need (reported, not fatal).</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>The verdict passed to SetBackupSucceeded, once passed.</summary>
    public bool? Verdict { get; private set; }

    /// <summary>Steps 1–5: create the requester object, initialise, set context and backup state, restrict writers.</summary>
    /// <param name="type">Backup type: COPY unless the job explicitly asks for a full or incremental backup.</param>
    /// <param name="requiredWriters">Writer classes whose failure fails the backup (the target's writer).</param>
    /// <param name="cancellationToken">Cancels.</param>
    public async Task InitializeAsync(VssBackupType type, IReadOnlyCollection<Guid> requiredWriters, CancellationToken cancellationToken)
    {
        Expect(nameof(InitializeAsync), VssRequesterState.Created);
        ArgumentNullException.ThrowIfNull(requiredWriters);
        _requiredWriters = [.. requiredWriters];
        BackupType = type;
        await GuardAsync(() => Run(
            () =>
            {
                const string Phase = "Initialize";
                Check(Phase, "CreateVssBackupComponents", _api.CreateBackupComponents(out var components));
                _components = components ?? throw new PluginException(VssFailures.Call(Phase, "CreateVssBackupComponents", VssHResults.E_POINTER, _targetId));
                Check(Phase, "InitializeForBackup", _components.InitializeForBackup());
                Check(Phase, "SetContext", _components.SetContext(VssSnapshotContext.Backup));
                Check(Phase, "SetBackupState", _components.SetBackupState(selectComponents: true, _options.BootableSystemState, type, partialFileSupport: false));

                if (_options.IncludeWriterClasses.Count > 0)
                {
                    var include = _options.IncludeWriterClasses.Concat(_requiredWriters).Distinct().ToArray();
                    Check(Phase, "EnableWriterClasses", _components.EnableWriterClasses(include));
                }

                var exclude = _options.ExcludeWriterClasses.Where(id => !_requiredWriters.Contains(id)).Distinct().ToArray();
                if (exclude.Length > 0)
                {
                    Check(Phase, "DisableWriterClasses", _components.DisableWriterClasses(exclude));
                }

                return true;
            },
            cancellationToken)).ConfigureAwait(false);
        State = VssRequesterState.Initialized;
    }

    /// <summary>Steps 6–7: GatherWriterMetadata, then every writer's document (SaveAsXML); writer status checked (Identify).</summary>
    public async Task<IReadOnlyList<VssGatheredWriter>> GatherWriterMetadataAsync(CancellationToken cancellationToken)
    {
        Expect(nameof(GatherWriterMetadataAsync), VssRequesterState.Initialized);
        var writers = await GuardAsync(() => Run(
            () =>
            {
                const string Phase = "GatherWriterMetadata";
                var operation = Started(Phase, "GatherWriterMetadata", _components!.GatherWriterMetadata(out var started), started);
                Await(Phase, "GatherWriterMetadata", operation, cancellationToken);
                Check(Phase, "GetWriterMetadataCount", _components.GetWriterMetadataCount(out var count));
                var list = new List<VssGatheredWriter>((int)count);
                for (uint i = 0; i < count; i++)
                {
                    Check(Phase, "GetWriterMetadata", _components.GetWriterMetadataXml(i, out var instance, out var xml));
                    list.Add(new VssGatheredWriter(instance, xml ?? ""));
                }

                return list;
            },
            cancellationToken)).ConfigureAwait(false);
        await GuardAsync(() => CheckWritersAsync("Identify", cancellationToken)).ConfigureAwait(false);
        State = VssRequesterState.MetadataGathered;
        return writers;
    }

    /// <summary>Step 9: AddComponent for each chosen component, then FreeWriterMetadata.</summary>
    public async Task AddComponentsAsync(IReadOnlyList<VssSelectedComponent> components, CancellationToken cancellationToken)
    {
        Expect(nameof(AddComponentsAsync), VssRequesterState.MetadataGathered);
        ArgumentNullException.ThrowIfNull(components);
        await GuardAsync(() => Run(
            () =>
            {
                const string Phase = "AddComponent";
                foreach (var c in components)
                {
                    var hr = _components!.AddComponent(c.InstanceId, c.WriterId, c.Type, NullIfEmpty(c.LogicalPath), c.Name);
                    Check(Phase, "AddComponent", hr, extra: $"Component '{Full(c)}' of writer '{c.WriterName}'.");
                    _added.Add(c);
                }

                Check(Phase, "FreeWriterMetadata", _components!.FreeWriterMetadata());
                return true;
            },
            cancellationToken)).ConfigureAwait(false);
        State = VssRequesterState.ComponentsAdded;
    }

    /// <summary>
    /// Steps 11–17: resolve the volumes of <paramref name="paths"/>, StartSnapshotSet (retrying while another set is
    /// in creation), AddToSnapshotSet, PrepareForBackup, writer status, DoSnapshotSet, writer status, snapshot
    /// properties. Any failure before DoSnapshotSet succeeded aborts the backup; a writer failure reported after it
    /// marks the components failed and aborts too.
    /// </summary>
    public async Task CreateSnapshotSetAsync(IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        Expect(nameof(CreateSnapshotSetAsync), VssRequesterState.ComponentsAdded);
        ArgumentNullException.ThrowIfNull(paths);

        // Volume lookup first: nothing slow may happen between PrepareForBackup and DoSnapshotSet.
        var volumes = await GuardAsync(() => Run(() => ResolveVolumes(paths), cancellationToken)).ConfigureAwait(false);
        var setId = await GuardAsync(() => StartSnapshotSetAsync(cancellationToken)).ConfigureAwait(false);
        SnapshotSetId = setId;
        State = VssRequesterState.SnapshotSetStarted;

        try
        {
            await RecordAsync(setId, cancellationToken).ConfigureAwait(false);

            await Run(() => AddVolumes(volumes), cancellationToken).ConfigureAwait(false);
            State = VssRequesterState.VolumesAdded;

            await RunAsync("PrepareForBackup", c => (c.PrepareForBackup(out var op), op), cancellationToken).ConfigureAwait(false);
            State = VssRequesterState.PreparedForBackup;
            await CheckWritersAsync("PrepareForBackup", cancellationToken).ConfigureAwait(false);

            await RunAsync("DoSnapshotSet", c => (c.DoSnapshotSet(out var op), op), cancellationToken).ConfigureAwait(false);
            _snapshotExists = true;
            State = VssRequesterState.SnapshotCreated;
        }
        catch (Exception) when (State is VssRequesterState.SnapshotSetStarted or VssRequesterState.VolumesAdded or VssRequesterState.PreparedForBackup)
        {
            await AbortAsync().ConfigureAwait(false);
            throw;
        }

        try
        {
            await CheckWritersAsync("DoSnapshotSet", cancellationToken).ConfigureAwait(false);
            await Run(ReadSnapshotDevices, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>On the VSS thread: adds every volume to the snapshot set (a volume mounted at two places once).</summary>
    private bool AddVolumes(List<(string VolumeName, string MountPoint)> volumes)
    {
        const string Phase = "AddToSnapshotSet";
        foreach (var (volumeName, mountPoint) in volumes)
        {
            // A volume mounted at two places is added once; both mount points map to its snapshot.
            var added = _volumes.FirstOrDefault(v => string.Equals(v.VolumeName, volumeName, StringComparison.OrdinalIgnoreCase));
            if (added is not null)
            {
                _volumes.Add(added with { MountPoint = mountPoint });
                continue;
            }

            Check(Phase, "IsVolumeSupported", _components!.IsVolumeSupported(volumeName, out var supported));
            if (!supported)
            {
                throw new PluginException(VssFailures.Call(Phase, "IsVolumeSupported", VssHResults.VSS_E_VOLUME_NOT_SUPPORTED, _targetId, $"Volume {volumeName} ({mountPoint}) cannot be shadow-copied."));
            }

            Check(Phase, "AddToSnapshotSet", _components.AddToSnapshotSet(volumeName, out var snapshotId), extra: $"Volume {volumeName} ({mountPoint}).");
            _volumes.Add(new VssShadowVolume(volumeName, mountPoint, snapshotId, null));
        }

        return true;
    }

    /// <summary>On the VSS thread: the device object of every snapshot, where its files are read from.</summary>
    private bool ReadSnapshotDevices()
    {
        for (var i = 0; i < _volumes.Count; i++)
        {
            var v = _volumes[i];
            Check("GetSnapshotProperties", "GetSnapshotProperties", _components!.GetSnapshotProperties(v.SnapshotId, out var properties));
            if (string.IsNullOrEmpty(properties?.DeviceObject))
            {
                throw new PluginException(VssFailures.Call("GetSnapshotProperties", "GetSnapshotProperties", VssHResults.VSS_E_UNEXPECTED, _targetId, $"The snapshot of {v.VolumeName} has no device object."));
            }

            _volumes[i] = v with { DeviceObject = properties.DeviceObject };
        }

        return true;
    }

    /// <summary>The volume (with its shadow device) that holds <paramref name="originalPath"/>, by longest mount point.</summary>
    public VssShadowVolume? VolumeOf(string originalPath) =>
        _volumes.Where(v => VssPaths.IsUnder(originalPath, v.MountPoint)).MaxBy(v => v.MountPoint.Length);

    /// <summary>Step 20: SetBackupSucceeded for every added component.</summary>
    public async Task SetBackupSucceededAsync(bool succeeded, CancellationToken cancellationToken)
    {
        Expect(nameof(SetBackupSucceededAsync), VssRequesterState.SnapshotCreated, VssRequesterState.VerdictSet);
        await Run(() => SetVerdict(succeeded, throwOnFailure: true), cancellationToken).ConfigureAwait(false);
        State = VssRequesterState.VerdictSet;
    }

    /// <summary>SaveAsXML: the Backup Components Document as it stands.</summary>
    public Task<string> SaveBackupComponentsDocumentAsync(CancellationToken cancellationToken)
    {
        if (_components is null || State is VssRequesterState.Released)
        {
            throw new InvalidOperationException("The requester object does not exist.");
        }

        return Run(
            () =>
            {
                Check("SaveAsXML", "SaveAsXML", _components.SaveAsXml(out var xml));
                return xml ?? "";
            },
            cancellationToken);
    }

    /// <summary>Steps 21–22: BackupComplete, then writer status (a writer failing here leaves truncation unknown).</summary>
    public async Task BackupCompleteAsync(CancellationToken cancellationToken)
    {
        Expect(nameof(BackupCompleteAsync), VssRequesterState.VerdictSet);
        await RunAsync("BackupComplete", c => (c.BackupComplete(out var op), op), cancellationToken).ConfigureAwait(false);
        State = VssRequesterState.BackupCompleted;
        await CheckWritersAsync("BackupComplete", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Abandons the backup. Once a snapshot set was started, writers must hear it: components already shadow-copied
    /// are marked failed (SetBackupSucceeded false) and AbortBackup is called, so no writer truncates. Safe in every
    /// state; does nothing when there is nothing to abort.
    /// </summary>
    public async Task AbortAsync()
    {
        switch (State)
        {
            case VssRequesterState.SnapshotSetStarted:
            case VssRequesterState.VolumesAdded:
            case VssRequesterState.PreparedForBackup:
            case VssRequesterState.SnapshotCreated:
            case VssRequesterState.VerdictSet:
                var markFailed = State is VssRequesterState.SnapshotCreated or VssRequesterState.VerdictSet;
                await Run(
                    () =>
                    {
                        if (markFailed)
                        {
                            SetVerdict(false, throwOnFailure: false);
                        }

                        var hr = _components!.AbortBackup();
                        if (VssHResults.Failed(hr))
                        {
                            _logger.LogWarning("VSS AbortBackup for target {TargetId} returned {HResult}.", _targetId, VssHResults.Describe(hr));
                        }

                        return true;
                    },
                    CancellationToken.None).ConfigureAwait(false);
                State = VssRequesterState.Aborted;
                _logger.LogInformation("VSS backup of target {TargetId} aborted (snapshot set {SetId}).", _targetId, SnapshotSetId);
                break;
            case VssRequesterState.Created:
            case VssRequesterState.Initialized:
            case VssRequesterState.MetadataGathered:
            case VssRequesterState.ComponentsAdded:
                State = VssRequesterState.Failed;
                break;
            default:
                break;
        }
    }

    /// <summary>Step 24: deletes the snapshot set if it exists, releases the requester object and forgets the set. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        if (State == VssRequesterState.Released)
        {
            return;
        }

        try
        {
            if (_components is not null)
            {
                var components = _components;
                _components = null;
                var setId = SnapshotSetId;
                var deleteSet = _snapshotExists && setId is not null;
                await Run(
                    () =>
                    {
                        try
                        {
                            if (deleteSet)
                            {
                                var hr = components.DeleteSnapshots(setId!.Value, VssObjectType.SnapshotSet, forceDelete: false, out var deleted, out var nondeleted);
                                if (VssHResults.Failed(hr))
                                {
                                    _logger.LogWarning("VSS DeleteSnapshots({SetId}) returned {HResult}; snapshot {Snapshot} was not deleted.", setId, VssHResults.Describe(hr), nondeleted);
                                }
                                else
                                {
                                    _logger.LogDebug("VSS snapshot set {SetId}: {Count} snapshot(s) deleted.", setId, deleted);
                                }
                            }
                        }
                        finally
                        {
                            components.Dispose();
                        }

                        return true;
                    },
                    CancellationToken.None).ConfigureAwait(false);
            }

            if (SnapshotSetId is { } id)
            {
                // Non-persistent (VSS_CTX_BACKUP) shadow copies end with the requester object, deleted or not.
                await _journal.RemoveSnapshotSetAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Releasing must not throw; what failed is logged and the journal keeps the set for the next clean-up.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "Releasing the VSS requester of {TargetId} failed (snapshot set {SetId}).", _targetId, SnapshotSetId);
        }
        finally
        {
            State = VssRequesterState.Released;
        }
    }

    private async Task RecordAsync(Guid setId, CancellationToken cancellationToken)
    {
        try
        {
            await _journal.RecordSnapshotSetAsync(SnapshotSetRecords.ForCurrentProcess(setId, _targetId, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException and not PluginException)
        {
            // A set we cannot record could outlive a crash unnoticed: do not create it.
            throw new PluginException(new PluginError(ErrorCodes.CatalogFailure, $"The snapshot set {setId} could not be recorded in the journal: {e.Message}") { TargetId = _targetId }, e);
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private static string Full(VssSelectedComponent c) => c.LogicalPath.Length == 0 ? c.Name : c.LogicalPath + "\\" + c.Name;

    private static bool Acceptable(string phase, VssWriterState state) => phase switch
    {
        "PrepareForBackup" => state is VssWriterState.Stable or VssWriterState.WaitingForFreeze,
        _ => state is VssWriterState.Stable or VssWriterState.WaitingForBackupComplete,
    };

    private bool SetVerdict(bool succeeded, bool throwOnFailure)
    {
        foreach (var c in _added)
        {
            var hr = _components!.SetBackupSucceeded(c.InstanceId, c.WriterId, c.Type, NullIfEmpty(c.LogicalPath), c.Name, succeeded);
            if (VssHResults.Failed(hr))
            {
                if (throwOnFailure)
                {
                    Check("SetBackupSucceeded", "SetBackupSucceeded", hr, extra: $"Component '{Full(c)}' of writer '{c.WriterName}'.");
                }

                _logger.LogWarning("VSS SetBackupSucceeded({Component}, {Verdict}) returned {HResult}.", Full(c), succeeded, VssHResults.Describe(hr));
            }
        }

        Verdict = succeeded;
        return true;
    }

    private List<(string VolumeName, string MountPoint)> ResolveVolumes(IReadOnlyCollection<string> paths)
    {
        const string Phase = "ResolveVolumes";
        var result = new List<(string, string)>();
        foreach (var path in paths.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            Check(Phase, "GetVolumePathName", _api.GetVolumePathName(path, out var mountPoint), extra: $"Path {path}.");
            Check(Phase, "GetVolumeNameForVolumeMountPoint", _api.GetVolumeNameForVolumeMountPoint(mountPoint!, out var volumeName), extra: $"Mount point {mountPoint}.");
            var root = VssPaths.WithTrailingSeparator(mountPoint!);
            if (!result.Any(v => string.Equals(v.Item2, root, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add((volumeName!, root));
            }
        }

        return result;
    }

    private async Task<Guid> StartSnapshotSetAsync(CancellationToken cancellationToken)
    {
        var delay = _options.SnapshotSetRetryDelay;
        var started = _time.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            var (hr, id) = await Run(() => (_components!.StartSnapshotSet(out var setId), setId), cancellationToken).ConfigureAwait(false);
            if (!VssHResults.Failed(hr))
            {
                return id;
            }

            if (hr != VssHResults.VSS_E_SNAPSHOT_SET_IN_PROGRESS)
            {
                throw new PluginException(VssFailures.Call("StartSnapshotSet", "StartSnapshotSet", hr, _targetId));
            }

            var elapsed = _time.GetElapsedTime(started);
            if (elapsed + delay > _options.SnapshotSetRetryDeadline)
            {
                throw new PluginException(VssFailures.Call(
                    "StartSnapshotSet",
                    "StartSnapshotSet",
                    hr,
                    _targetId,
                    $"Another snapshot set was still being created on this machine after {attempt} attempt(s) over {elapsed.TotalSeconds:0.#} s."));
            }

            _logger.LogInformation("Another VSS snapshot set is in creation; retrying StartSnapshotSet for {TargetId} in {Delay} (attempt {Attempt}).", _targetId, delay, attempt);
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.SnapshotSetRetryMaxDelay.Ticks));
        }
    }

    private async Task CheckWritersAsync(string phase, CancellationToken cancellationToken)
    {
        for (var round = 1; ; round++)
        {
            var statuses = await Run(
                () =>
                {
                    var operation = Started(phase, "GatherWriterStatus", _components!.GatherWriterStatus(out var started), started);
                    Await(phase, "GatherWriterStatus", operation, cancellationToken);
                    List<VssWriterStatus> list;
                    try
                    {
                        Check(phase, "GetWriterStatusCount", _components.GetWriterStatusCount(out var count));
                        list = new List<VssWriterStatus>((int)count);
                        for (uint i = 0; i < count; i++)
                        {
                            Check(phase, "GetWriterStatus", _components.GetWriterStatus(i, out var status));
                            list.Add(status!);
                        }
                    }
                    catch
                    {
                        // The gathered statuses are freed on the failure path too (§4 step 14); the first error is the one reported.
                        _ = _components.FreeWriterStatus();
                        throw;
                    }

                    Check(phase, "FreeWriterStatus", _components.FreeWriterStatus());
                    return list;
                },
                cancellationToken).ConfigureAwait(false);

            var unknown = false;
            foreach (var status in statuses)
            {
                var required = _requiredWriters.Contains(status.WriterId);
                var failed = VssHResults.Failed(status.Failure) || status.State >= VssWriterState.FailedAtIdentify || !Acceptable(phase, status.State);
                if (status.State == VssWriterState.Unknown && required && round == 1)
                {
                    unknown = true;
                    continue;
                }

                if (!failed)
                {
                    continue;
                }

                if (required)
                {
                    throw new PluginException(VssFailures.Writer(phase, status, _targetId));
                }

                var warning = $"Writer '{status.WriterName}' (not needed for this backup) reported {VssFailures.StateName(status.State)}, {VssHResults.Describe(status.Failure)} at {phase}.";
                if (!_warnings.Contains(warning))
                {
                    _warnings.Add(warning);
                    _logger.LogWarning("{Warning}", warning);
                }
            }

            // An unknown state is given one more GatherWriterStatus to resolve (reference §7.1).
            if (!unknown)
            {
                return;
            }
        }
    }

    private Task<bool> RunAsync(string phase, Func<IVssBackupComponentsApi, (int Hr, IVssAsyncApi? Operation)> start, CancellationToken cancellationToken) =>
        Run(
            () =>
            {
                var (hr, started) = start(_components!);
                var operation = Started(phase, phase, hr, started);
                Await(phase, phase, operation, cancellationToken);
                return true;
            },
            cancellationToken);

    private void Await(string phase, string call, IVssAsyncApi operation, CancellationToken cancellationToken)
    {
        VssAsyncOutcome outcome;
        using (operation)
        {
            outcome = VssAsyncWaiter.Wait(operation, _options.AsyncTimeout, _options.AsyncWaitSlice, _time, cancellationToken);
        }

        switch (outcome.End)
        {
            case VssAsyncEnd.Finished:
                return;
            case VssAsyncEnd.TimedOut:
                throw new PluginException(VssFailures.Timeout(phase, call, _options.AsyncTimeout, _targetId));
            case VssAsyncEnd.CancelledByCaller:
                throw new OperationCanceledException($"VSS {call} was cancelled.", cancellationToken);
            default:
                throw new PluginException(VssFailures.Call(phase, call, outcome.HResult, _targetId));
        }
    }

    /// <summary>Throws the VSS failure for a call that returned a failure HRESULT.</summary>
    private void Check(string phase, string call, int hr, string? extra = null)
    {
        if (VssHResults.Failed(hr))
        {
            throw new PluginException(VssFailures.Call(phase, call, hr, _targetId, extra));
        }
    }

    /// <summary>The IVssAsync an asynchronous call returned; a failure (or a missing object) is thrown, releasing what came back.</summary>
    private IVssAsyncApi Started(string phase, string call, int hr, IVssAsyncApi? operation)
    {
        if (!VssHResults.Failed(hr) && operation is not null)
        {
            return operation;
        }

        operation?.Dispose();
        throw new PluginException(VssFailures.Call(phase, call, VssHResults.Failed(hr) ? hr : VssHResults.E_POINTER, _targetId));
    }

    private Task<T> Run<T>(Func<T> work, CancellationToken cancellationToken) => _api.InvokeAsync(work, cancellationToken);

    /// <summary>Marks the requester failed when something goes wrong before a snapshot set exists.</summary>
    private async Task<T> GuardAsync<T>(Func<Task<T>> step)
    {
        try
        {
            return await step().ConfigureAwait(false);
        }
        catch (Exception)
        {
            if (State is VssRequesterState.Created or VssRequesterState.Initialized or VssRequesterState.MetadataGathered or VssRequesterState.ComponentsAdded)
            {
                State = VssRequesterState.Failed;
            }

            throw;
        }
    }

    private async Task GuardAsync(Func<Task> step) => await GuardAsync(async () =>
    {
        await step().ConfigureAwait(false);
        return true;
    }).ConfigureAwait(false);

    private void Expect(string operation, params VssRequesterState[] allowed)
    {
        if (!allowed.Contains(State))
        {
            throw new InvalidOperationException($"VSS requester: {operation} is not allowed in state {State}.");
        }
    }
}
