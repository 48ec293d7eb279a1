using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>
/// Backup (esent.dll): JetBackupInstance into a directory and the external streaming protocol.
/// Every method returns the <c>JET_ERR</c> unchanged.
/// </summary>
[SupportedOSPlatform("windows")]
internal interface IEsentBackupApi
{
    /// <summary>
    /// JetBackupInstanceW. With a <paramref name="status"/> sink the status callback is passed and routed to
    /// it; an exception the sink threw is returned in <paramref name="callbackFailure"/> (it never reaches
    /// native code).
    /// </summary>
    int BackupInstance(SafeJetInstanceHandle instance, string directory, JetBackupGrbit grbit, IEsentStatusSink? status, out Exception? callbackFailure);

    /// <summary>JetBackupW (single-instance mode only).</summary>
    int Backup(string directory, JetBackupGrbit grbit, IEsentStatusSink? status, out Exception? callbackFailure);

    /// <summary>JetBeginExternalBackupInstance.</summary>
    int BeginExternalBackup(SafeJetInstanceHandle instance, JetBackupGrbit grbit);

    /// <summary>JetGetAttachInfoInstanceW, size first.</summary>
    int GetAttachInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> databases);

    /// <summary>JetOpenFileInstanceW. <paramref name="size"/> is what reading will deliver.</summary>
    int OpenFile(SafeJetInstanceHandle instance, string path, out SafeJetBackupFileHandle? file, out long size);

    /// <summary>JetReadFileInstance into <paramref name="buffer"/> (page-aligned, <paramref name="count"/> a page multiple).</summary>
    unsafe int ReadFile(SafeJetInstanceHandle instance, SafeJetBackupFileHandle file, byte* buffer, int count, out int read);

    /// <summary>JetCloseFileInstance; the handle is marked closed whatever the result.</summary>
    int CloseFile(SafeJetInstanceHandle instance, SafeJetBackupFileHandle file);

    /// <summary>JetGetLogInfoInstanceW, size first (the first such call of a backup rolls the log).</summary>
    int GetLogInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> logs);

    /// <summary>JetGetLogInfoInstance2W, size first, with the generation range.</summary>
    int GetLogInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> logs, out JetLogInfoW info);

    /// <summary>JetGetTruncateLogInfoInstanceW, size first.</summary>
    int GetTruncateLogInfo(SafeJetInstanceHandle instance, out IReadOnlyList<string> logs);

    /// <summary>JetTruncateLogInstance.</summary>
    int TruncateLog(SafeJetInstanceHandle instance);

    /// <summary>JetEndExternalBackupInstance2.</summary>
    int EndExternalBackup(SafeJetInstanceHandle instance, JetBackupEndGrbit grbit);
}
