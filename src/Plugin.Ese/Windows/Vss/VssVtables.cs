using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

// Vtable layouts of the VSS interfaces the requester calls. One field per slot, in slot order, every slot
// declared (also the ones never called) so that the field offset is the slot number times the pointer size.
// Field names are the SDK method names and parameter types follow the SDK: C++ bool -> byte, BOOL -> int,
// VSS_ID by value -> Guid, BSTR -> nint, LPCWSTR/VSS_PWSZ -> char*, enums -> int, interface** -> nint*.
// A test reads the tables of shared/reference/vss-requester.md section 10 and pins slots and types to them.
// IVssWMComponent/IVssWMFiledesc/IVssComponent are not declared: the requester reads the writer metadata
// through SaveAsXML and parses the XML instead.

/// <summary>IUnknown: the first three slots of every COM vtable.</summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal unsafe struct IUnknownVtbl
{
    public delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int> QueryInterface;
    public delegate* unmanaged[Stdcall]<nint, uint> AddRef;
    public delegate* unmanaged[Stdcall]<nint, uint> Release;
}

/// <summary>IVssAsync (reference §10.1).</summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal unsafe struct IVssAsyncVtbl
{
    public delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int> QueryInterface;
    public delegate* unmanaged[Stdcall]<nint, uint> AddRef;
    public delegate* unmanaged[Stdcall]<nint, uint> Release;
    public delegate* unmanaged[Stdcall]<nint, int> Cancel; // 3
    public delegate* unmanaged[Stdcall]<nint, uint, int> Wait; // 4
    public delegate* unmanaged[Stdcall]<nint, int*, int*, int> QueryStatus; // 5
}

/// <summary>IVssBackupComponents with its Ex, Ex2, Ex3 and Ex4 extensions: one vtable (reference §10.2).</summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal unsafe struct IVssBackupComponentsVtbl
{
    public delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int> QueryInterface;
    public delegate* unmanaged[Stdcall]<nint, uint> AddRef;
    public delegate* unmanaged[Stdcall]<nint, uint> Release;
    public delegate* unmanaged[Stdcall]<nint, uint*, int> GetWriterComponentsCount; // 3
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> GetWriterComponents; // 4
    public delegate* unmanaged[Stdcall]<nint, nint, int> InitializeForBackup; // 5
    public delegate* unmanaged[Stdcall]<nint, byte, byte, int, byte, int> SetBackupState; // 6
    public delegate* unmanaged[Stdcall]<nint, nint, int> InitializeForRestore; // 7
    public delegate* unmanaged[Stdcall]<nint, int, int> SetRestoreState; // 8
    public delegate* unmanaged[Stdcall]<nint, nint*, int> GatherWriterMetadata; // 9
    public delegate* unmanaged[Stdcall]<nint, uint*, int> GetWriterMetadataCount; // 10
    public delegate* unmanaged[Stdcall]<nint, uint, Guid*, nint*, int> GetWriterMetadata; // 11
    public delegate* unmanaged[Stdcall]<nint, int> FreeWriterMetadata; // 12
    public delegate* unmanaged[Stdcall]<nint, Guid, Guid, int, char*, char*, int> AddComponent; // 13
    public delegate* unmanaged[Stdcall]<nint, nint*, int> PrepareForBackup; // 14
    public delegate* unmanaged[Stdcall]<nint, int> AbortBackup; // 15
    public delegate* unmanaged[Stdcall]<nint, nint*, int> GatherWriterStatus; // 16
    public delegate* unmanaged[Stdcall]<nint, uint*, int> GetWriterStatusCount; // 17
    public delegate* unmanaged[Stdcall]<nint, int> FreeWriterStatus; // 18
    public delegate* unmanaged[Stdcall]<nint, uint, Guid*, Guid*, nint*, int*, int*, int> GetWriterStatus; // 19
    public delegate* unmanaged[Stdcall]<nint, Guid, Guid, int, char*, char*, byte, int> SetBackupSucceeded; // 20
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, int> SetBackupOptions; // 21
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, byte, int> SetSelectedForRestore; // 22
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, int> SetRestoreOptions; // 23
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, byte, int> SetAdditionalRestores; // 24
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, int> SetPreviousBackupStamp; // 25
    public delegate* unmanaged[Stdcall]<nint, nint*, int> SaveAsXML; // 26
    public delegate* unmanaged[Stdcall]<nint, nint*, int> BackupComplete; // 27
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, char*, byte, char*, int> AddAlternativeLocationMapping; // 28
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, char*, byte, int> AddRestoreSubcomponent; // 29
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, int, int> SetFileRestoreStatus; // 30
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, char*, byte, char*, int> AddNewTarget; // 31
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, uint, char*, int> SetRangesFilePath; // 32
    public delegate* unmanaged[Stdcall]<nint, nint*, int> PreRestore; // 33
    public delegate* unmanaged[Stdcall]<nint, nint*, int> PostRestore; // 34
    public delegate* unmanaged[Stdcall]<nint, int, int> SetContext; // 35
    public delegate* unmanaged[Stdcall]<nint, Guid*, int> StartSnapshotSet; // 36
    public delegate* unmanaged[Stdcall]<nint, char*, Guid, Guid*, int> AddToSnapshotSet; // 37
    public delegate* unmanaged[Stdcall]<nint, nint*, int> DoSnapshotSet; // 38
    public delegate* unmanaged[Stdcall]<nint, Guid, int, int, int*, Guid*, int> DeleteSnapshots; // 39
    public delegate* unmanaged[Stdcall]<nint, nint*, int> ImportSnapshots; // 40
    public delegate* unmanaged[Stdcall]<nint, Guid, int> BreakSnapshotSet; // 41
    public delegate* unmanaged[Stdcall]<nint, Guid, VssSnapshotPropNative*, int> GetSnapshotProperties; // 42
    public delegate* unmanaged[Stdcall]<nint, Guid, int, int, nint*, int> Query; // 43
    public delegate* unmanaged[Stdcall]<nint, Guid, char*, int*, int> IsVolumeSupported; // 44
    public delegate* unmanaged[Stdcall]<nint, Guid*, uint, int> DisableWriterClasses; // 45
    public delegate* unmanaged[Stdcall]<nint, Guid*, uint, int> EnableWriterClasses; // 46
    public delegate* unmanaged[Stdcall]<nint, Guid*, uint, int> DisableWriterInstances; // 47
    public delegate* unmanaged[Stdcall]<nint, Guid, char*, int, char*, char**, int> ExposeSnapshot; // 48
    public delegate* unmanaged[Stdcall]<nint, Guid, int, int> RevertToSnapshot; // 49
    public delegate* unmanaged[Stdcall]<nint, char*, nint*, int> QueryRevertStatus; // 50
    public delegate* unmanaged[Stdcall]<nint, uint, Guid*, nint*, int> GetWriterMetadataEx; // 51
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, byte, Guid, int> SetSelectedForRestoreEx; // 52
    public delegate* unmanaged[Stdcall]<nint, Guid, int> UnexposeSnapshot; // 53
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, byte, int> SetAuthoritativeRestore; // 54
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, int, char*, int> SetRollForward; // 55
    public delegate* unmanaged[Stdcall]<nint, Guid, int, char*, char*, char*, int> SetRestoreName; // 56
    public delegate* unmanaged[Stdcall]<nint, Guid, uint, nint*, int> BreakSnapshotSetEx; // 57
    public delegate* unmanaged[Stdcall]<nint, Guid, uint, nint*, int> PreFastRecovery; // 58
    public delegate* unmanaged[Stdcall]<nint, Guid, uint, nint*, int> FastRecovery; // 59
    public delegate* unmanaged[Stdcall]<nint, uint, Guid*, Guid*, nint*, int*, int*, int*, nint*, int> GetWriterStatusEx; // 60
    public delegate* unmanaged[Stdcall]<nint, Guid, uint, char*, int> AddSnapshotToRecoverySet; // 61
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> RecoverSet; // 62
    public delegate* unmanaged[Stdcall]<nint, Guid*, int> GetSessionId; // 63
    public delegate* unmanaged[Stdcall]<nint, char*, char**, char**, int, int> GetRootAndLogicalPrefixPaths; // 64
}

/// <summary>IVssExamineWriterMetadata with its Ex and Ex2 extensions (reference §10.3).</summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal unsafe struct IVssExamineWriterMetadataVtbl
{
    public delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int> QueryInterface;
    public delegate* unmanaged[Stdcall]<nint, uint> AddRef;
    public delegate* unmanaged[Stdcall]<nint, uint> Release;
    public delegate* unmanaged[Stdcall]<nint, Guid*, Guid*, nint*, int*, int*, int> GetIdentity; // 3
    public delegate* unmanaged[Stdcall]<nint, uint*, uint*, uint*, int> GetFileCounts; // 4
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> GetIncludeFile; // 5
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> GetExcludeFile; // 6
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> GetComponent; // 7
    public delegate* unmanaged[Stdcall]<nint, int*, nint*, nint*, int*, byte*, uint*, int> GetRestoreMethod; // 8
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> GetAlternateLocationMapping; // 9
    public delegate* unmanaged[Stdcall]<nint, uint*, int> GetBackupSchema; // 10
    public delegate* unmanaged[Stdcall]<nint, nint*, int> GetDocument; // 11
    public delegate* unmanaged[Stdcall]<nint, nint*, int> SaveAsXML; // 12
    public delegate* unmanaged[Stdcall]<nint, nint, int> LoadFromXML; // 13
    public delegate* unmanaged[Stdcall]<nint, Guid*, Guid*, nint*, nint*, int*, int*, int> GetIdentityEx; // 14
    public delegate* unmanaged[Stdcall]<nint, uint*, uint*, int> GetVersion; // 15
    public delegate* unmanaged[Stdcall]<nint, uint*, int> GetExcludeFromSnapshotCount; // 16
    public delegate* unmanaged[Stdcall]<nint, uint, nint*, int> GetExcludeFromSnapshotFile; // 17
}

/// <summary>IVssEnumObject (reference §10.9).</summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal unsafe struct IVssEnumObjectVtbl
{
    public delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int> QueryInterface;
    public delegate* unmanaged[Stdcall]<nint, uint> AddRef;
    public delegate* unmanaged[Stdcall]<nint, uint> Release;
    public delegate* unmanaged[Stdcall]<nint, uint, VssObjectPropNative*, uint*, int> Next; // 3
    public delegate* unmanaged[Stdcall]<nint, uint, int> Skip; // 4
    public delegate* unmanaged[Stdcall]<nint, int> Reset; // 5
    public delegate* unmanaged[Stdcall]<nint, nint*, int> Clone; // 6
}
