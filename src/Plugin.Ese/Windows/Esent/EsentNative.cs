using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>
/// Every esent.dll entry point the plugin binds to, in one place: raw declarations, nothing else.
/// </summary>
/// <remarks>
/// <para>Binding rules (reference/ese-backup-api.md §1.1): the explicit <c>…W</c> exports by exact name
/// (<see cref="LibraryImportAttribute"/> never probes for A/W or decorated names, which is the
/// <c>ExactSpelling = true</c> behaviour), UTF-16 strings, and the stdcall convention (<c>JET_API</c>),
/// which the runtime maps to the platform convention on x64/ARM64.</para>
/// <para>Types: <c>JET_ERR</c> = <see cref="int"/>; <c>JET_INSTANCE</c>, <c>JET_SESID</c>, <c>JET_HANDLE</c>,
/// <c>JET_OSSNAPID</c>, <c>JET_API_PTR</c> = <see cref="nuint"/>; <c>JET_GRBIT</c>, <c>unsigned long</c> =
/// <see cref="uint"/>. <c>JET_PFNSTATUS</c> is an unmanaged stdcall function pointer
/// (see <see cref="EsentStatusCallback"/>). The x86 decorated size (<c>@N</c>) of each export is noted
/// as a cross-check of the signature.</para>
/// <para>On Linux the test build puts an ABI fake named <c>esent.dll</c> next to the test assemblies
/// (tests/NativeFakes/esent); the runtime's probing finds it under this same name.</para>
/// </remarks>
[SupportedOSPlatform("windows")]
internal static unsafe partial class EsentNative
{
    private const string Dll = "esent.dll";

    // ---- instance lifecycle (§2.1) ------------------------------------------------------------

    /// <summary>JetCreateInstance2W @16.</summary>
    [LibraryImport(Dll, EntryPoint = "JetCreateInstance2W", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetCreateInstance2W(nuint* pinstance, string? szInstanceName, string? szDisplayName, uint grbit);

    /// <summary>JetInit3W @12.</summary>
    [LibraryImport(Dll, EntryPoint = "JetInit3W")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetInit3W(nuint* pinstance, JetRstInfoW* prstInfo, uint grbit);

    /// <summary>JetTerm @4.</summary>
    [LibraryImport(Dll, EntryPoint = "JetTerm")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetTerm(nuint instance);

    /// <summary>JetTerm2 @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetTerm2")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetTerm2(nuint instance, uint grbit);

    /// <summary>JetStopServiceInstance @4.</summary>
    [LibraryImport(Dll, EntryPoint = "JetStopServiceInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetStopServiceInstance(nuint instance);

    /// <summary>JetStopBackupInstance @4.</summary>
    [LibraryImport(Dll, EntryPoint = "JetStopBackupInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetStopBackupInstance(nuint instance);

    // ---- parameters (§2.2) ----------------------------------------------------------------------

    /// <summary>JetSetSystemParameterW @20. <paramref name="pinstance"/> NULL (or pointing to 0) sets the process default.</summary>
    [LibraryImport(Dll, EntryPoint = "JetSetSystemParameterW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetSetSystemParameterW(nuint* pinstance, nuint sesid, uint paramid, nuint lParam, string? szParam);

    /// <summary>JetGetSystemParameterW @24. <paramref name="cbMax"/> is the size of <paramref name="szParam"/> in bytes.</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetSystemParameterW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetSystemParameterW(nuint instance, nuint sesid, uint paramid, nuint* plParam, char* szParam, uint cbMax);

    // ---- discovery and buffers (§2.5) -----------------------------------------------------------

    /// <summary>JetGetInstanceInfoW @8. Free the array with <see cref="JetFreeBuffer"/>.</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetInstanceInfoW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetInstanceInfoW(uint* pcInstanceInfo, JetInstanceInfoW** paInstanceInfo);

    /// <summary>JetFreeBuffer @4.</summary>
    [LibraryImport(Dll, EntryPoint = "JetFreeBuffer")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetFreeBuffer(void* pbBuf);

    /// <summary>JetGetInstanceMiscInfo @16 (info level 0 = the log signature).</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetInstanceMiscInfo")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetInstanceMiscInfo(nuint instance, void* pvResult, uint cbMax, uint infoLevel);

    // ---- sessions and attach (needed to put a database into a private instance) ----------------

    /// <summary>JetBeginSessionW @16.</summary>
    [LibraryImport(Dll, EntryPoint = "JetBeginSessionW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetBeginSessionW(nuint instance, nuint* psesid, string? szUserName, string? szPassword);

    /// <summary>JetEndSession @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetEndSession")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetEndSession(nuint sesid, uint grbit);

    /// <summary>JetAttachDatabaseW @12.</summary>
    [LibraryImport(Dll, EntryPoint = "JetAttachDatabaseW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetAttachDatabaseW(nuint sesid, string szFilename, uint grbit);

    /// <summary>JetDetachDatabaseW @8 (NULL detaches every database).</summary>
    [LibraryImport(Dll, EntryPoint = "JetDetachDatabaseW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetDetachDatabaseW(nuint sesid, string? szFilename);

    // ---- whole-instance backup / restore to a directory (§2.3) --------------------------------

    /// <summary>JetBackupInstanceW @16.</summary>
    [LibraryImport(Dll, EntryPoint = "JetBackupInstanceW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetBackupInstanceW(nuint instance, string szBackupPath, uint grbit, delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int> pfnStatus);

    /// <summary>JetBackupW @12: single-instance mode only (<c>JET_errRunningInMultiInstanceMode</c> otherwise).</summary>
    [LibraryImport(Dll, EntryPoint = "JetBackupW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetBackupW(string szBackupPath, uint grbit, delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int> pfnStatus);

    /// <summary>JetRestoreW @8: single-instance mode only.</summary>
    [LibraryImport(Dll, EntryPoint = "JetRestoreW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetRestoreW(string sz, delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int> pfn);

    /// <summary>JetRestoreInstanceW @16. The instance must be created but not initialised (0 = a temporary one).</summary>
    [LibraryImport(Dll, EntryPoint = "JetRestoreInstanceW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetRestoreInstanceW(nuint instance, string sz, string? szDest, delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int> pfn);

    // ---- external (streaming) backup (§2.4) ---------------------------------------------------

    /// <summary>JetBeginExternalBackupInstance @8 (grbit 0 = full, <c>JET_bitBackupIncremental</c>).</summary>
    [LibraryImport(Dll, EntryPoint = "JetBeginExternalBackupInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetBeginExternalBackupInstance(nuint instance, uint grbit);

    /// <summary>JetGetAttachInfoInstanceW @16. <paramref name="pcbActual"/> is always the required size.</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetAttachInfoInstanceW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetAttachInfoInstanceW(nuint instance, char* szzDatabases, uint cbMax, uint* pcbActual);

    /// <summary>JetOpenFileInstanceW @20.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOpenFileInstanceW", StringMarshalling = StringMarshalling.Utf16)]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOpenFileInstanceW(nuint instance, string szFileName, nuint* phfFile, uint* pulFileSizeLow, uint* pulFileSizeHigh);

    /// <summary>JetReadFileInstance @20: <paramref name="pv"/> page-aligned, <paramref name="cb"/> a multiple of the database page size.</summary>
    [LibraryImport(Dll, EntryPoint = "JetReadFileInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetReadFileInstance(nuint instance, nuint hfFile, void* pv, uint cb, uint* pcbActual);

    /// <summary>JetCloseFileInstance @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetCloseFileInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetCloseFileInstance(nuint instance, nuint hfFile);

    /// <summary>JetGetLogInfoInstanceW @16. <paramref name="pcbActual"/>: required size without a buffer, bytes copied with one.</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetLogInfoInstanceW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetLogInfoInstanceW(nuint instance, char* wszzLogs, uint cbMax, uint* pcbActual);

    /// <summary>JetGetLogInfoInstance2W @20 (with <c>JET_LOGINFO_W</c>, <c>cbSize</c> = 20).</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetLogInfoInstance2W")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetLogInfoInstance2W(nuint instance, char* wszzLogs, uint cbMax, uint* pcbActual, JetLogInfoW* pLogInfo);

    /// <summary>JetGetTruncateLogInfoInstanceW @16.</summary>
    [LibraryImport(Dll, EntryPoint = "JetGetTruncateLogInfoInstanceW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetGetTruncateLogInfoInstanceW(nuint instance, char* wszzLogs, uint cbMax, uint* pcbActual);

    /// <summary>JetTruncateLogInstance @4.</summary>
    [LibraryImport(Dll, EntryPoint = "JetTruncateLogInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetTruncateLogInstance(nuint instance);

    /// <summary>JetEndExternalBackupInstance2 @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetEndExternalBackupInstance2")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetEndExternalBackupInstance2(nuint instance, uint grbit);

    // ---- OS snapshot (§2.6) ----------------------------------------------------------------------

    /// <summary>JetOSSnapshotPrepare @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotPrepare")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotPrepare(nuint* psnapId, uint grbit);

    /// <summary>JetOSSnapshotPrepareInstance @12.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotPrepareInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotPrepareInstance(nuint snapId, nuint instance, uint grbit);

    /// <summary>JetOSSnapshotFreezeW @16. Free the array with <see cref="JetFreeBuffer"/>.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotFreezeW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotFreezeW(nuint snapId, uint* pcInstanceInfo, JetInstanceInfoW** paInstanceInfo, uint grbit);

    /// <summary>JetOSSnapshotThaw @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotThaw")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotThaw(nuint snapId, uint grbit);

    /// <summary>JetOSSnapshotAbort @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotAbort")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotAbort(nuint snapId, uint grbit);

    /// <summary>JetOSSnapshotTruncateLog @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotTruncateLog")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotTruncateLog(nuint snapId, uint grbit);

    /// <summary>JetOSSnapshotTruncateLogInstance @12.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotTruncateLogInstance")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotTruncateLogInstance(nuint snapId, nuint instance, uint grbit);

    /// <summary>JetOSSnapshotGetFreezeInfoW @16. Free the array with <see cref="JetFreeBuffer"/>.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotGetFreezeInfoW")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotGetFreezeInfoW(nuint snapId, uint* pcInstanceInfo, JetInstanceInfoW** paInstanceInfo, uint grbit);

    /// <summary>JetOSSnapshotEnd @8.</summary>
    [LibraryImport(Dll, EntryPoint = "JetOSSnapshotEnd")]
    [UnmanagedCallConv(CallConvs = [typeof(CallConvStdcall)])]
    internal static partial int JetOSSnapshotEnd(nuint snapId, uint grbit);
}
