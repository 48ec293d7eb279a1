using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>Restore (esent.dll). Every method returns the <c>JET_ERR</c> unchanged.</summary>
[SupportedOSPlatform("windows")]
internal interface IEsentRestoreApi
{
    /// <summary>
    /// JetRestoreInstanceW; <paramref name="instance"/> <see langword="null"/> lets the engine use a temporary
    /// instance. Callback routing and containment as for <see cref="IEsentBackupApi.BackupInstance"/>.
    /// </summary>
    int RestoreInstance(SafeJetInstanceHandle? instance, string directory, string? destination, IEsentStatusSink? status, out Exception? callbackFailure);

    /// <summary>JetRestoreW (single-instance mode only).</summary>
    int Restore(string directory, IEsentStatusSink? status, out Exception? callbackFailure);
}
