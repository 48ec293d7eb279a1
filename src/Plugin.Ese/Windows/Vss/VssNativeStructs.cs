using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// VSS_SNAPSHOT_PROP (reference §11.1): 128 bytes on x64. The strings belong to vssapi.dll and are released
/// with VssFreeSnapshotProperties, never with CoTaskMemFree.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal unsafe struct VssSnapshotPropNative
{
    public Guid m_SnapshotId;
    public Guid m_SnapshotSetId;
    public int m_lSnapshotsCount;
    public char* m_pwszSnapshotDeviceObject;
    public char* m_pwszOriginalVolumeName;
    public char* m_pwszOriginatingMachine;
    public char* m_pwszServiceMachine;
    public char* m_pwszExposedName;
    public char* m_pwszExposedPath;
    public Guid m_ProviderId;
    public int m_lSnapshotAttributes;
    public long m_tsCreationTimestamp;
    public int m_eStatus;
}

/// <summary>
/// VSS_OBJECT_PROP as filled by IVssEnumObject::Next: the object type, then a union whose largest member is
/// VSS_SNAPSHOT_PROP (136 bytes on x64). Only snapshot objects are read.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
[SupportedOSPlatform("windows")]
internal struct VssObjectPropNative
{
    public int Type;
    public VssSnapshotPropNative Obj;
}
