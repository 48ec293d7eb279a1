using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>The JetOSSnapshot* family (esent.dll). Every method returns the <c>JET_ERR</c> unchanged.</summary>
[SupportedOSPlatform("windows")]
internal interface IEsentSnapshotApi
{
    /// <summary>JetOSSnapshotPrepare.</summary>
    int Prepare(JetSnapshotGrbit grbit, out nuint snapshotId);

    /// <summary>JetOSSnapshotPrepareInstance.</summary>
    int PrepareInstance(nuint snapshotId, SafeJetInstanceHandle instance);

    /// <summary>JetOSSnapshotFreezeW (+ JetFreeBuffer).</summary>
    int Freeze(nuint snapshotId, out IReadOnlyList<JetInstanceDescription> frozen);

    /// <summary>JetOSSnapshotGetFreezeInfoW (+ JetFreeBuffer).</summary>
    int GetFreezeInfo(nuint snapshotId, out IReadOnlyList<JetInstanceDescription> frozen);

    /// <summary>JetOSSnapshotThaw.</summary>
    int Thaw(nuint snapshotId);

    /// <summary>JetOSSnapshotTruncateLog.</summary>
    int TruncateLog(nuint snapshotId, JetSnapshotGrbit grbit);

    /// <summary>JetOSSnapshotTruncateLogInstance.</summary>
    int TruncateLogInstance(nuint snapshotId, SafeJetInstanceHandle instance, JetSnapshotGrbit grbit);

    /// <summary>JetOSSnapshotEnd.</summary>
    int End(nuint snapshotId, JetSnapshotGrbit grbit);

    /// <summary>JetOSSnapshotAbort.</summary>
    int Abort(nuint snapshotId);
}
