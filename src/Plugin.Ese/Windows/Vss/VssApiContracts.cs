namespace EseBackupPlugin.Ese.Windows.Vss;

// The seam between the portable requester logic and the COM interop in Windows/Vss. Every method is one
// native call (or a fixed marshalling sequence for one value), returns the HRESULT unchanged and converts
// only types: no decisions are made behind these interfaces.

/// <summary>Process-wide access to vssapi.dll and the few Win32 functions a requester needs.</summary>
internal interface IVssApi
{
    /// <summary>
    /// Runs <paramref name="work"/> on the thread that owns the process's VSS objects (a COM multithreaded
    /// apartment whose process security was set before the first VSS call). Every other member of these
    /// interfaces must be called from inside such a work item.
    /// </summary>
    Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken);

    /// <summary>
    /// CoInitializeSecurity's result for this process: S_OK, or RPC_E_TOO_LATE when the host had already set
    /// its own COM security (VSS may still work; writers' callbacks may then be refused).
    /// </summary>
    int ComSecurityResult { get; }

    /// <summary>CreateVssBackupComponents: one new requester object (one per backup job).</summary>
    int CreateBackupComponents(out IVssBackupComponentsApi? components);

    /// <summary>GetVolumePathNameW: the mount point (with trailing separator) of the volume holding <paramref name="path"/>.</summary>
    int GetVolumePathName(string path, out string? mountPoint);

    /// <summary>GetVolumeNameForVolumeMountPointW: the <c>\\?\Volume{GUID}\</c> name of a mount point.</summary>
    int GetVolumeNameForVolumeMountPoint(string mountPoint, out string? volumeName);
}

/// <summary>IVssBackupComponents, one method per vtable slot used. Dispose releases the object.</summary>
internal interface IVssBackupComponentsApi : IDisposable
{
    /// <summary>InitializeForBackup with a NULL document (a new backup).</summary>
    int InitializeForBackup();

    /// <summary>SetContext.</summary>
    int SetContext(VssSnapshotContext context);

    /// <summary>SetBackupState (three C++ bools and the type).</summary>
    int SetBackupState(bool selectComponents, bool bootableSystemState, VssBackupType type, bool partialFileSupport);

    /// <summary>EnableWriterClasses: only these writer classes take part.</summary>
    int EnableWriterClasses(IReadOnlyList<Guid> writerClassIds);

    /// <summary>DisableWriterClasses: these writer classes do not take part.</summary>
    int DisableWriterClasses(IReadOnlyList<Guid> writerClassIds);

    /// <summary>GatherWriterMetadata (asynchronous).</summary>
    int GatherWriterMetadata(out IVssAsyncApi? operation);

    /// <summary>GetWriterMetadataCount.</summary>
    int GetWriterMetadataCount(out uint count);

    /// <summary>GetWriterMetadata(index) followed by IVssExamineWriterMetadata::SaveAsXML and Release.</summary>
    int GetWriterMetadataXml(uint index, out Guid instanceId, out string? xml);

    /// <summary>FreeWriterMetadata.</summary>
    int FreeWriterMetadata();

    /// <summary>AddComponent (<paramref name="logicalPath"/> null when the component has none).</summary>
    int AddComponent(Guid instanceId, Guid writerId, VssComponentType type, string? logicalPath, string componentName);

    /// <summary>StartSnapshotSet.</summary>
    int StartSnapshotSet(out Guid snapshotSetId);

    /// <summary>IsVolumeSupported with the default provider (GUID_NULL).</summary>
    int IsVolumeSupported(string volumeName, out bool supported);

    /// <summary>AddToSnapshotSet with the default provider (GUID_NULL).</summary>
    int AddToSnapshotSet(string volumeName, out Guid snapshotId);

    /// <summary>PrepareForBackup (asynchronous).</summary>
    int PrepareForBackup(out IVssAsyncApi? operation);

    /// <summary>GatherWriterStatus (asynchronous).</summary>
    int GatherWriterStatus(out IVssAsyncApi? operation);

    /// <summary>GetWriterStatusCount.</summary>
    int GetWriterStatusCount(out uint count);

    /// <summary>GetWriterStatus(index); the writer name BSTR is freed here.</summary>
    int GetWriterStatus(uint index, out VssWriterStatus? status);

    /// <summary>FreeWriterStatus.</summary>
    int FreeWriterStatus();

    /// <summary>DoSnapshotSet (asynchronous).</summary>
    int DoSnapshotSet(out IVssAsyncApi? operation);

    /// <summary>GetSnapshotProperties followed by VssFreeSnapshotProperties.</summary>
    int GetSnapshotProperties(Guid snapshotId, out VssSnapshotProperties? properties);

    /// <summary>SetBackupSucceeded.</summary>
    int SetBackupSucceeded(Guid instanceId, Guid writerId, VssComponentType type, string? logicalPath, string componentName, bool succeeded);

    /// <summary>SaveAsXML: the Backup Components Document.</summary>
    int SaveAsXml(out string? xml);

    /// <summary>BackupComplete (asynchronous).</summary>
    int BackupComplete(out IVssAsyncApi? operation);

    /// <summary>AbortBackup.</summary>
    int AbortBackup();

    /// <summary>DeleteSnapshots.</summary>
    int DeleteSnapshots(Guid sourceObjectId, VssObjectType sourceObjectType, bool forceDelete, out int deletedSnapshots, out Guid nondeletedSnapshotId);

    /// <summary>Query(GUID_NULL, NONE, SNAPSHOT) and the whole IVssEnumObject walk; properties are copied and freed.</summary>
    int QuerySnapshots(out IReadOnlyList<VssSnapshotProperties> snapshots);
}

/// <summary>IVssAsync. Dispose releases the object.</summary>
internal interface IVssAsyncApi : IDisposable
{
    /// <summary>Cancel.</summary>
    int Cancel();

    /// <summary>Wait: returns when the operation finished or the time elapsed; says nothing about the outcome.</summary>
    int Wait(uint milliseconds);

    /// <summary>QueryStatus: the call's own HRESULT; the operation's outcome is in <paramref name="operationResult"/>.</summary>
    int QueryStatus(out int operationResult);
}

/// <summary>One row of GetWriterStatus.</summary>
/// <param name="InstanceId">Writer instance id.</param>
/// <param name="WriterId">Writer class id.</param>
/// <param name="WriterName">Writer name.</param>
/// <param name="State">Writer state.</param>
/// <param name="Failure">The writer's failure HRESULT (S_OK when none).</param>
internal sealed record VssWriterStatus(Guid InstanceId, Guid WriterId, string WriterName, VssWriterState State, int Failure);

/// <summary>The managed copy of a VSS_SNAPSHOT_PROP.</summary>
/// <param name="SnapshotId">Snapshot id.</param>
/// <param name="SnapshotSetId">Snapshot set id.</param>
/// <param name="SnapshotsCount">Snapshots in the set.</param>
/// <param name="DeviceObject">Where to read the shadow copy, e.g. <c>\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy12</c>.</param>
/// <param name="OriginalVolumeName">The original volume, e.g. <c>\\?\Volume{…}\</c>.</param>
/// <param name="ProviderId">Provider id.</param>
/// <param name="Attributes">Snapshot attributes (context bits).</param>
/// <param name="CreationTimestamp">Creation time as a FILETIME value.</param>
/// <param name="State">Snapshot state.</param>
internal sealed record VssSnapshotProperties(
    Guid SnapshotId,
    Guid SnapshotSetId,
    int SnapshotsCount,
    string? DeviceObject,
    string? OriginalVolumeName,
    Guid ProviderId,
    VssVolumeSnapshotAttributes Attributes,
    long CreationTimestamp,
    VssSnapshotState State)
{
    /// <summary>Machine that created the snapshot.</summary>
    public string? OriginatingMachine { get; init; }

    /// <summary>Machine that serves it.</summary>
    public string? ServiceMachine { get; init; }

    /// <summary>Exposed name, when exposed.</summary>
    public string? ExposedName { get; init; }

    /// <summary>Exposed path, when exposed.</summary>
    public string? ExposedPath { get; init; }
}
