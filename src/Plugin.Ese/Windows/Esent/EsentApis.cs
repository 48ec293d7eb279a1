using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>The four esent.dll areas, as the sources use them.</summary>
/// <param name="Instances">Lifecycle, parameters, discovery, attach.</param>
/// <param name="Backup">JetBackupInstance and streaming backup.</param>
/// <param name="Restore">JetRestoreInstance.</param>
/// <param name="Snapshots">JetOSSnapshot*.</param>
[SupportedOSPlatform("windows")]
internal sealed record EsentApis(IEsentInstanceApi Instances, IEsentBackupApi Backup, IEsentRestoreApi Restore, IEsentSnapshotApi Snapshots)
{
    /// <summary>The adapters over <see cref="EsentNative"/>.</summary>
    public static EsentApis Native { get; } = new(new NativeEsentInstanceApi(), new NativeEsentBackupApi(), new NativeEsentRestoreApi(), new NativeEsentSnapshotApi());
}

/// <summary>Marshalling helpers shared by the adapters (no decisions: sizes, strings, engine-owned blocks).</summary>
[SupportedOSPlatform("windows")]
internal static unsafe class EsentMarshal
{
    /// <summary>One call of a multi-string API: buffer (or NULL), its size in bytes, the size out.</summary>
    public delegate int MultiStringCall(char* buffer, uint cbMax, uint* cbActual);

    /// <summary>One call of an API that hands out an engine-allocated <c>JET_INSTANCE_INFO_W</c> array: count out, array out.</summary>
    public delegate int InstanceInfoCall(uint* count, JetInstanceInfoW** array);

    /// <summary>
    /// Reads a double-NUL-terminated list the size-first way (reference/ese-backup-api.md §0.9, §4.10):
    /// ask for the size with a NULL buffer, then call again with a buffer of that size. When
    /// <paramref name="actualIsRequiredSize"/> (JetGetAttachInfoInstance) the second call's size is
    /// compared and the call repeated if the list grew. An unterminated result gives
    /// <c>JET_errBufferTooSmall</c> rather than a silently shortened list.
    /// </summary>
    public static int ReadMultiString(MultiStringCall call, bool actualIsRequiredSize, out IReadOnlyList<string> items)
    {
        items = [];
        uint required = 0;
        var err = call(null, 0, &required);
        for (var attempt = 0; err >= 0 && attempt < 4; attempt++)
        {
            if (required < sizeof(char))
            {
                return err;
            }

            var buffer = new char[(required + 1) / sizeof(char) + 1];
            uint actual = 0;
            fixed (char* p = buffer)
            {
                err = call(p, required, &actual);
            }

            if (err < 0)
            {
                return err;
            }

            if (actualIsRequiredSize && actual > required)
            {
                required = actual;
                continue;
            }

            var chars = (int)(Math.Min(actual, required) / sizeof(char));
            return TryParseMultiString(buffer.AsSpan(0, chars), out items) ? err : EsentReturnCodes.BufferTooSmall;
        }

        return err < 0 ? err : EsentReturnCodes.BufferTooSmall;
    }

    /// <summary>Splits a double-NUL list; false when the last entry is not terminated.</summary>
    public static bool TryParseMultiString(ReadOnlySpan<char> chars, out IReadOnlyList<string> items)
    {
        var list = new List<string>();
        items = list;
        while (!chars.IsEmpty)
        {
            var end = chars.IndexOf('\0');
            if (end < 0)
            {
                return false;
            }

            if (end == 0)
            {
                return true;
            }

            list.Add(new string(chars[..end]));
            chars = chars[(end + 1)..];
        }

        return list.Count == 0;
    }

    /// <summary>
    /// Runs <paramref name="call"/> (JetGetInstanceInfoW, JetOSSnapshotFreezeW, JetOSSnapshotGetFreezeInfoW),
    /// copies the array it returned and frees it with JetFreeBuffer; an empty list when the call failed.
    /// </summary>
    public static int ReadInstanceInfo(InstanceInfoCall call, out IReadOnlyList<JetInstanceDescription> instances)
    {
        uint count = 0;
        JetInstanceInfoW* array = null;
        var err = call(&count, &array);
        try
        {
            instances = err >= 0 && array is not null ? CopyInstanceInfo(count, array) : [];
        }
        finally
        {
            if (array is not null)
            {
                _ = EsentNative.JetFreeBuffer(array);
            }
        }

        return err;
    }

    /// <summary>Runs a native call with the status callback routed to <paramref name="sink"/> (or without a callback).</summary>
    public static int WithStatus(IEsentStatusSink? sink, Func<nint, int> call, out Exception? callbackFailure)
    {
        callbackFailure = null;
        if (sink is null)
        {
            return call(0);
        }

        using var scope = EsentStatusCallback.Enter(sink);
        var err = call((nint)EsentStatusCallback.Pointer);
        callbackFailure = scope.Failure;
        return err;
    }

    /// <summary>Copies an engine-allocated <c>JET_INSTANCE_INFO_W</c> array (the caller frees it once).</summary>
    private static List<JetInstanceDescription> CopyInstanceInfo(uint count, JetInstanceInfoW* array)
    {
        var result = new List<JetInstanceDescription>((int)count);
        for (var i = 0; i < count; i++)
        {
            var info = array[i];
            var names = new List<string>();
            for (nuint d = 0; d < info.DatabaseCount; d++)
            {
                var name = info.DatabaseFileNames is null ? null : info.DatabaseFileNames[d];
                if (name is not null)
                {
                    names.Add(new string(name));
                }
            }

            result.Add(new JetInstanceDescription(info.InstanceId, info.InstanceName is null ? null : new string(info.InstanceName), names));
        }

        return result;
    }
}

/// <summary>Adapter over <see cref="EsentNative"/> for <see cref="IEsentInstanceApi"/>.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeEsentInstanceApi : IEsentInstanceApi
{
    public int CreateInstance(string name, string? displayName, out SafeJetInstanceHandle instance)
    {
        nuint value = 0;
        var err = EsentNative.JetCreateInstance2W(&value, name, displayName, 0);
        instance = SafeJetInstanceHandle.Owned(err >= 0 ? value : 0);
        return err;
    }

    public int SetParameter(SafeJetInstanceHandle? instance, JetParam param, nuint value, string? text = null)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentNative.JetSetSystemParameterW(instance is null ? null : &raw, 0, (uint)param, value, text);
    }

    public int GetParameter(SafeJetInstanceHandle? instance, JetParam param, out nuint value)
    {
        using var lease = new HandleLease(instance);
        nuint v = 0;
        var err = EsentNative.JetGetSystemParameterW(lease.Value, 0, (uint)param, &v, null, 0);
        value = v;
        return err;
    }

    public int GetParameter(SafeJetInstanceHandle? instance, JetParam param, out string value)
    {
        using var lease = new HandleLease(instance);
        value = string.Empty;
        var err = 0;
        foreach (var chars in (ReadOnlySpan<int>)[1024, 32768])
        {
            var buffer = new char[chars];
            fixed (char* p = buffer)
            {
                err = EsentNative.JetGetSystemParameterW(lease.Value, 0, (uint)param, null, p, (uint)(chars * sizeof(char)));
            }

            if (err >= 0)
            {
                var end = Array.IndexOf(buffer, '\0');
                value = new string(buffer, 0, end < 0 ? buffer.Length : end);
                return err;
            }

            if (err != EsentReturnCodes.BufferTooSmall)
            {
                return err;
            }
        }

        return err;
    }

    public int Init(SafeJetInstanceHandle instance, JetInitGrbit grbit)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentNative.JetInit3W(&raw, null, (uint)grbit);
    }

    public int Term(SafeJetInstanceHandle instance, JetTermGrbit grbit)
    {
        int err;
        using (var lease = new HandleLease(instance))
        {
            err = EsentNative.JetTerm2(lease.Value, (uint)grbit);
        }

        if (err >= 0)
        {
            instance.SetHandleAsInvalid();
        }

        return err;
    }

    public int StopService(SafeJetInstanceHandle instance)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetStopServiceInstance(lease.Value);
    }

    public int StopBackup(SafeJetInstanceHandle instance)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetStopBackupInstance(lease.Value);
    }

    public int GetInstanceInfo(out IReadOnlyList<JetInstanceDescription> instances)
        => EsentMarshal.ReadInstanceInfo(EsentNative.JetGetInstanceInfoW, out instances);

    public int GetLogSignature(SafeJetInstanceHandle instance, out JetSignature signature)
    {
        using var lease = new HandleLease(instance);
        JetSignature s = default;
        var err = EsentNative.JetGetInstanceMiscInfo(lease.Value, &s, (uint)sizeof(JetSignature), JetConstants.InstanceMiscInfoLogSignature);
        signature = s;
        return err;
    }

    public int BeginSession(SafeJetInstanceHandle instance, out nuint session)
    {
        using var lease = new HandleLease(instance);
        nuint s = 0;
        var err = EsentNative.JetBeginSessionW(lease.Value, &s, null, null);
        session = s;
        return err;
    }

    public int EndSession(nuint session) => EsentNative.JetEndSession(session, 0);

    public int AttachDatabase(nuint session, string path, JetAttachGrbit grbit) => EsentNative.JetAttachDatabaseW(session, path, (uint)grbit);

    public int DetachDatabase(nuint session, string? path) => EsentNative.JetDetachDatabaseW(session, path);
}

/// <summary>Adapter over <see cref="EsentNative"/> for <see cref="IEsentBackupApi"/>.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeEsentBackupApi : IEsentBackupApi
{
    public int BackupInstance(SafeJetInstanceHandle instance, string directory, JetBackupGrbit grbit, IEsentStatusSink? status, out Exception? callbackFailure)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentMarshal.WithStatus(
            status,
            fn => EsentNative.JetBackupInstanceW(raw, directory, (uint)grbit, (delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int>)fn),
            out callbackFailure);
    }

    public int Backup(string directory, JetBackupGrbit grbit, IEsentStatusSink? status, out Exception? callbackFailure)
        => EsentMarshal.WithStatus(
            status,
            fn => EsentNative.JetBackupW(directory, (uint)grbit, (delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int>)fn),
            out callbackFailure);

    public int BeginExternalBackup(SafeJetInstanceHandle instance, JetBackupGrbit grbit)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetBeginExternalBackupInstance(lease.Value, (uint)grbit);
    }

    public int GetAttachInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> databases)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentMarshal.ReadMultiString((p, cb, actual) => EsentNative.JetGetAttachInfoInstanceW(raw, p, cb, actual), actualIsRequiredSize: true, out databases);
    }

    public int OpenFile(SafeJetInstanceHandle instance, string path, out SafeJetBackupFileHandle? file, out long size)
    {
        using var lease = new HandleLease(instance);
        nuint handle = 0;
        uint low = 0, high = 0;
        var err = EsentNative.JetOpenFileInstanceW(lease.Value, path, &handle, &low, &high);
        file = err >= 0 ? new SafeJetBackupFileHandle(lease.Value, handle) : null;
        size = err >= 0 ? (long)(((ulong)high << 32) | low) : 0;
        return err;
    }

    public int ReadFile(SafeJetInstanceHandle instance, SafeJetBackupFileHandle file, byte* buffer, int count, out int read)
    {
        using var lease = new HandleLease(instance);
        using var fileLease = new HandleLease(file);
        uint got = 0;
        var err = EsentNative.JetReadFileInstance(lease.Value, fileLease.Value, buffer, (uint)count, &got);
        read = (int)got;
        return err;
    }

    public int CloseFile(SafeJetInstanceHandle instance, SafeJetBackupFileHandle file)
    {
        int err;
        using (var lease = new HandleLease(instance))
        using (var fileLease = new HandleLease(file))
        {
            err = EsentNative.JetCloseFileInstance(lease.Value, fileLease.Value);
        }

        file.SetHandleAsInvalid();
        return err;
    }

    public int GetLogInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> logs)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentMarshal.ReadMultiString((p, cb, actual) => EsentNative.JetGetLogInfoInstanceW(raw, p, cb, actual), actualIsRequiredSize: false, out logs);
    }

    public int GetLogInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> logs, out JetLogInfoW info)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        var li = JetLogInfoW.Create();
        var pli = &li;
        var err = EsentMarshal.ReadMultiString((p, cb, actual) => EsentNative.JetGetLogInfoInstance2W(raw, p, cb, actual, pli), actualIsRequiredSize: false, out logs);
        info = li;
        return err;
    }

    public int GetTruncateLogInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> logs)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentMarshal.ReadMultiString((p, cb, actual) => EsentNative.JetGetTruncateLogInfoInstanceW(raw, p, cb, actual), actualIsRequiredSize: false, out logs);
    }

    public int TruncateLog(SafeJetInstanceHandle instance)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetTruncateLogInstance(lease.Value);
    }

    public int EndExternalBackup(SafeJetInstanceHandle instance, JetBackupEndGrbit grbit)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetEndExternalBackupInstance2(lease.Value, (uint)grbit);
    }
}

/// <summary>Adapter over <see cref="EsentNative"/> for <see cref="IEsentRestoreApi"/>.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeEsentRestoreApi : IEsentRestoreApi
{
    public int RestoreInstance(SafeJetInstanceHandle? instance, string directory, string? destination, IEsentStatusSink? status, out Exception? callbackFailure)
    {
        using var lease = new HandleLease(instance);
        var raw = lease.Value;
        return EsentMarshal.WithStatus(
            status,
            fn => EsentNative.JetRestoreInstanceW(raw, directory, destination, (delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int>)fn),
            out callbackFailure);
    }

    public int Restore(string directory, IEsentStatusSink? status, out Exception? callbackFailure)
        => EsentMarshal.WithStatus(
            status,
            fn => EsentNative.JetRestoreW(directory, (delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int>)fn),
            out callbackFailure);
}

/// <summary>Adapter over <see cref="EsentNative"/> for <see cref="IEsentSnapshotApi"/>.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeEsentSnapshotApi : IEsentSnapshotApi
{
    public int Prepare(JetSnapshotGrbit grbit, out nuint snapshotId)
    {
        nuint id = 0;
        var err = EsentNative.JetOSSnapshotPrepare(&id, (uint)grbit);
        snapshotId = id;
        return err;
    }

    public int PrepareInstance(nuint snapshotId, SafeJetInstanceHandle instance)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetOSSnapshotPrepareInstance(snapshotId, lease.Value, 0);
    }

    public int Freeze(nuint snapshotId, out IReadOnlyList<JetInstanceDescription> frozen)
        => EsentMarshal.ReadInstanceInfo((pc, pp) => EsentNative.JetOSSnapshotFreezeW(snapshotId, pc, pp, 0), out frozen);

    public int GetFreezeInfo(nuint snapshotId, out IReadOnlyList<JetInstanceDescription> frozen)
        => EsentMarshal.ReadInstanceInfo((pc, pp) => EsentNative.JetOSSnapshotGetFreezeInfoW(snapshotId, pc, pp, 0), out frozen);

    public int Thaw(nuint snapshotId) => EsentNative.JetOSSnapshotThaw(snapshotId, 0);

    public int TruncateLog(nuint snapshotId, JetSnapshotGrbit grbit) => EsentNative.JetOSSnapshotTruncateLog(snapshotId, (uint)grbit);

    public int TruncateLogInstance(nuint snapshotId, SafeJetInstanceHandle instance, JetSnapshotGrbit grbit)
    {
        using var lease = new HandleLease(instance);
        return EsentNative.JetOSSnapshotTruncateLogInstance(snapshotId, lease.Value, (uint)grbit);
    }

    public int End(nuint snapshotId, JetSnapshotGrbit grbit) => EsentNative.JetOSSnapshotEnd(snapshotId, (uint)grbit);

    public int Abort(nuint snapshotId) => EsentNative.JetOSSnapshotAbort(snapshotId, 0);
}
