using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// IVssBackupComponents through its vtable (slots of reference §10.2). One method per native call; only type
/// conversion and the ownership rules of §1.4: out BSTRs are freed with SysFreeString, snapshot property
/// strings with VssFreeSnapshotProperties, every returned interface is released.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeVssBackupComponents : IVssBackupComponentsApi
{
    private const int SFalse = 1;

    private readonly ComObjectHandle _handle;
    private readonly VssNativeLibrary _library;

    public NativeVssBackupComponents(ComObjectHandle handle, VssNativeLibrary library)
    {
        _handle = handle;
        _library = library;
    }

    public int InitializeForBackup()
    {
        using var o = _handle.Borrow();
        return o.Vtbl<IVssBackupComponentsVtbl>()->InitializeForBackup(o.Pointer, 0);
    }

    public int SetContext(VssSnapshotContext context)
    {
        using var o = _handle.Borrow();
        return o.Vtbl<IVssBackupComponentsVtbl>()->SetContext(o.Pointer, (int)context);
    }

    public int SetBackupState(bool selectComponents, bool bootableSystemState, VssBackupType type, bool partialFileSupport)
    {
        using var o = _handle.Borrow();
        return o.Vtbl<IVssBackupComponentsVtbl>()->SetBackupState(o.Pointer, CppBool(selectComponents), CppBool(bootableSystemState), (int)type, CppBool(partialFileSupport));
    }

    public int EnableWriterClasses(IReadOnlyList<Guid> writerClassIds)
    {
        ArgumentNullException.ThrowIfNull(writerClassIds);
        var ids = writerClassIds.ToArray();
        using var o = _handle.Borrow();
        fixed (Guid* p = ids)
        {
            return o.Vtbl<IVssBackupComponentsVtbl>()->EnableWriterClasses(o.Pointer, p, (uint)ids.Length);
        }
    }

    public int DisableWriterClasses(IReadOnlyList<Guid> writerClassIds)
    {
        ArgumentNullException.ThrowIfNull(writerClassIds);
        var ids = writerClassIds.ToArray();
        using var o = _handle.Borrow();
        fixed (Guid* p = ids)
        {
            return o.Vtbl<IVssBackupComponentsVtbl>()->DisableWriterClasses(o.Pointer, p, (uint)ids.Length);
        }
    }

    public int GatherWriterMetadata(out IVssAsyncApi? operation)
    {
        using var o = _handle.Borrow();
        nint async = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GatherWriterMetadata(o.Pointer, &async);
        operation = Wrap(async);
        return hr;
    }

    public int GetWriterMetadataCount(out uint count)
    {
        using var o = _handle.Borrow();
        uint n = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GetWriterMetadataCount(o.Pointer, &n);
        count = n;
        return hr;
    }

    public int GetWriterMetadataXml(uint index, out Guid instanceId, out string? xml)
    {
        xml = null;
        using var o = _handle.Borrow();
        Guid instance = default;
        nint metadata = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GetWriterMetadata(o.Pointer, index, &instance, &metadata);
        instanceId = instance;
        if (hr < 0 || metadata == 0)
        {
            return hr;
        }

        using var examine = new ComObjectHandle(metadata);
        using var m = examine.Borrow();
        nint bstr = 0;
        hr = m.Vtbl<IVssExamineWriterMetadataVtbl>()->SaveAsXML(m.Pointer, &bstr);
        xml = _library.TakeBstr(bstr);
        return hr;
    }

    public int FreeWriterMetadata()
    {
        using var o = _handle.Borrow();
        return o.Vtbl<IVssBackupComponentsVtbl>()->FreeWriterMetadata(o.Pointer);
    }

    public int AddComponent(Guid instanceId, Guid writerId, VssComponentType type, string? logicalPath, string componentName)
    {
        ArgumentNullException.ThrowIfNull(componentName);
        using var o = _handle.Borrow();
        fixed (char* lp = logicalPath)
        fixed (char* name = componentName)
        {
            return o.Vtbl<IVssBackupComponentsVtbl>()->AddComponent(o.Pointer, instanceId, writerId, (int)type, lp, name);
        }
    }

    public int StartSnapshotSet(out Guid snapshotSetId)
    {
        using var o = _handle.Borrow();
        Guid id = default;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->StartSnapshotSet(o.Pointer, &id);
        snapshotSetId = id;
        return hr;
    }

    public int IsVolumeSupported(string volumeName, out bool supported)
    {
        ArgumentNullException.ThrowIfNull(volumeName);
        using var o = _handle.Borrow();
        var value = 0;
        int hr;
        fixed (char* v = volumeName)
        {
            hr = o.Vtbl<IVssBackupComponentsVtbl>()->IsVolumeSupported(o.Pointer, Guid.Empty, v, &value);
        }

        supported = value != 0;
        return hr;
    }

    public int AddToSnapshotSet(string volumeName, out Guid snapshotId)
    {
        ArgumentNullException.ThrowIfNull(volumeName);
        using var o = _handle.Borrow();
        Guid id = default;
        int hr;
        fixed (char* v = volumeName)
        {
            hr = o.Vtbl<IVssBackupComponentsVtbl>()->AddToSnapshotSet(o.Pointer, v, Guid.Empty, &id);
        }

        snapshotId = id;
        return hr;
    }

    public int PrepareForBackup(out IVssAsyncApi? operation)
    {
        using var o = _handle.Borrow();
        nint async = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->PrepareForBackup(o.Pointer, &async);
        operation = Wrap(async);
        return hr;
    }

    public int GatherWriterStatus(out IVssAsyncApi? operation)
    {
        using var o = _handle.Borrow();
        nint async = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GatherWriterStatus(o.Pointer, &async);
        operation = Wrap(async);
        return hr;
    }

    public int GetWriterStatusCount(out uint count)
    {
        using var o = _handle.Borrow();
        uint n = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GetWriterStatusCount(o.Pointer, &n);
        count = n;
        return hr;
    }

    public int GetWriterStatus(uint index, out VssWriterStatus? status)
    {
        using var o = _handle.Borrow();
        Guid instance = default;
        Guid writer = default;
        nint name = 0;
        var state = 0;
        var failure = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GetWriterStatus(o.Pointer, index, &instance, &writer, &name, &state, &failure);
        var writerName = _library.TakeBstr(name);
        status = hr >= 0 ? new VssWriterStatus(instance, writer, writerName ?? "", (VssWriterState)state, failure) : null;
        return hr;
    }

    public int FreeWriterStatus()
    {
        using var o = _handle.Borrow();
        return o.Vtbl<IVssBackupComponentsVtbl>()->FreeWriterStatus(o.Pointer);
    }

    public int DoSnapshotSet(out IVssAsyncApi? operation)
    {
        using var o = _handle.Borrow();
        nint async = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->DoSnapshotSet(o.Pointer, &async);
        operation = Wrap(async);
        return hr;
    }

    public int GetSnapshotProperties(Guid snapshotId, out VssSnapshotProperties? properties)
    {
        using var o = _handle.Borrow();
        VssSnapshotPropNative prop = default;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->GetSnapshotProperties(o.Pointer, snapshotId, &prop);
        properties = null;
        if (hr >= 0)
        {
            properties = Copy(&prop);
            _library.VssFreeSnapshotProperties(&prop);
        }

        return hr;
    }

    public int SetBackupSucceeded(Guid instanceId, Guid writerId, VssComponentType type, string? logicalPath, string componentName, bool succeeded)
    {
        ArgumentNullException.ThrowIfNull(componentName);
        using var o = _handle.Borrow();
        fixed (char* lp = logicalPath)
        fixed (char* name = componentName)
        {
            return o.Vtbl<IVssBackupComponentsVtbl>()->SetBackupSucceeded(o.Pointer, instanceId, writerId, (int)type, lp, name, CppBool(succeeded));
        }
    }

    public int SaveAsXml(out string? xml)
    {
        using var o = _handle.Borrow();
        nint bstr = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->SaveAsXML(o.Pointer, &bstr);
        xml = _library.TakeBstr(bstr);
        return hr;
    }

    public int BackupComplete(out IVssAsyncApi? operation)
    {
        using var o = _handle.Borrow();
        nint async = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->BackupComplete(o.Pointer, &async);
        operation = Wrap(async);
        return hr;
    }

    public int AbortBackup()
    {
        using var o = _handle.Borrow();
        return o.Vtbl<IVssBackupComponentsVtbl>()->AbortBackup(o.Pointer);
    }

    public int DeleteSnapshots(Guid sourceObjectId, VssObjectType sourceObjectType, bool forceDelete, out int deletedSnapshots, out Guid nondeletedSnapshotId)
    {
        using var o = _handle.Borrow();
        var deleted = 0;
        Guid nondeleted = default;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->DeleteSnapshots(o.Pointer, sourceObjectId, (int)sourceObjectType, forceDelete ? 1 : 0, &deleted, &nondeleted);
        deletedSnapshots = deleted;
        nondeletedSnapshotId = nondeleted;
        return hr;
    }

    public int QuerySnapshots(out IReadOnlyList<VssSnapshotProperties> snapshots)
    {
        var list = new List<VssSnapshotProperties>();
        snapshots = list;
        using var o = _handle.Borrow();
        nint enumerator = 0;
        var hr = o.Vtbl<IVssBackupComponentsVtbl>()->Query(o.Pointer, Guid.Empty, (int)VssObjectType.None, (int)VssObjectType.Snapshot, &enumerator);
        if (hr == SFalse)
        {
            // No shadow copy at all. VSS may or may not hand out an (empty) enumerator with it; release one if it did.
            if (enumerator != 0)
            {
                new ComObjectHandle(enumerator).Dispose();
            }

            return hr;
        }

        if (hr < 0 || enumerator == 0)
        {
            return hr;
        }

        using var handle = new ComObjectHandle(enumerator);
        using var e = handle.Borrow();
        while (true)
        {
            VssObjectPropNative item = default;
            uint fetched = 0;
            var next = e.Vtbl<IVssEnumObjectVtbl>()->Next(e.Pointer, 1, &item, &fetched);
            if (next < 0)
            {
                return next;
            }

            if (fetched == 0)
            {
                break;
            }

            if (item.Type == (int)VssObjectType.Snapshot)
            {
                list.Add(Copy(&item.Obj));
                _library.VssFreeSnapshotProperties(&item.Obj);
            }

            if (next == SFalse)
            {
                break;
            }
        }

        return hr;
    }

    public void Dispose() => _handle.Dispose();

    private static byte CppBool(bool value) => value ? (byte)1 : (byte)0;

    private static string? Str(char* p) => p == null ? null : new string(p);

    private static VssSnapshotProperties Copy(VssSnapshotPropNative* p) =>
        new(
            p->m_SnapshotId,
            p->m_SnapshotSetId,
            p->m_lSnapshotsCount,
            Str(p->m_pwszSnapshotDeviceObject),
            Str(p->m_pwszOriginalVolumeName),
            p->m_ProviderId,
            (VssVolumeSnapshotAttributes)p->m_lSnapshotAttributes,
            p->m_tsCreationTimestamp,
            (VssSnapshotState)p->m_eStatus)
        {
            OriginatingMachine = Str(p->m_pwszOriginatingMachine),
            ServiceMachine = Str(p->m_pwszServiceMachine),
            ExposedName = Str(p->m_pwszExposedName),
            ExposedPath = Str(p->m_pwszExposedPath),
        };

    private static NativeVssAsync? Wrap(nint async) => async == 0 ? null : new NativeVssAsync(new ComObjectHandle(async));
}
