using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>One ESE instance of this process, as JetGetInstanceInfoW / JetOSSnapshotFreezeW list it.</summary>
/// <param name="Instance">The <c>JET_INSTANCE</c> value.</param>
/// <param name="Name">The instance name, when it has one.</param>
/// <param name="DatabaseFiles">Databases attached with logging on.</param>
internal sealed record JetInstanceDescription(nuint Instance, string? Name, IReadOnlyList<string> DatabaseFiles);

/// <summary>
/// Instance lifecycle, parameters, discovery and attach (esent.dll). Every method returns the
/// <c>JET_ERR</c> unchanged; outputs are marshalled, nothing is decided here.
/// </summary>
[SupportedOSPlatform("windows")]
internal interface IEsentInstanceApi
{
    /// <summary>JetCreateInstance2W. On success <paramref name="instance"/> owns the new instance.</summary>
    int CreateInstance(string name, string? displayName, out SafeJetInstanceHandle instance);

    /// <summary>JetSetSystemParameterW; <paramref name="instance"/> <see langword="null"/> sets the process-wide default.</summary>
    int SetParameter(SafeJetInstanceHandle? instance, JetParam param, nuint value, string? text = null);

    /// <summary>JetGetSystemParameterW for an integer parameter (<see langword="null"/> instance = default).</summary>
    int GetParameter(SafeJetInstanceHandle? instance, JetParam param, out nuint value);

    /// <summary>JetGetSystemParameterW for a string parameter.</summary>
    int GetParameter(SafeJetInstanceHandle? instance, JetParam param, out string value);

    /// <summary>JetInit3W without restore information.</summary>
    int Init(SafeJetInstanceHandle instance, JetInitGrbit grbit);

    /// <summary>JetTerm2. On success an owned handle is marked closed.</summary>
    int Term(SafeJetInstanceHandle instance, JetTermGrbit grbit);

    /// <summary>JetStopServiceInstance.</summary>
    int StopService(SafeJetInstanceHandle instance);

    /// <summary>JetStopBackupInstance: the running backup stops with <c>JET_errBackupAbortByServer</c>.</summary>
    int StopBackup(SafeJetInstanceHandle instance);

    /// <summary>JetGetInstanceInfoW (+ JetFreeBuffer).</summary>
    int GetInstanceInfo(out IReadOnlyList<JetInstanceDescription> instances);

    /// <summary>JetGetInstanceMiscInfo(JET_InstanceMiscInfoLogSignature).</summary>
    int GetLogSignature(SafeJetInstanceHandle instance, out JetSignature signature);

    /// <summary>JetBeginSessionW.</summary>
    int BeginSession(SafeJetInstanceHandle instance, out nuint session);

    /// <summary>JetEndSession.</summary>
    int EndSession(nuint session);

    /// <summary>JetAttachDatabaseW.</summary>
    int AttachDatabase(nuint session, string path, JetAttachGrbit grbit);

    /// <summary>JetDetachDatabaseW (<see langword="null"/> = all).</summary>
    int DetachDatabase(nuint session, string? path);
}
