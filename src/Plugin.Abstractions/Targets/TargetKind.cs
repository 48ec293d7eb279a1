using System.Text.Json.Serialization;

namespace EseBackupPlugin.Abstractions.Targets;

/// <summary>The three kinds of ESE target; the kind decides how a consistent copy is made.</summary>
public enum TargetKind
{
    /// <summary>An ESE instance inside the plugin's process, backed up through esent.dll's backup API (Windows).</summary>
    [JsonStringEnumMemberName("inProcessInstance")]
    InProcessInstance,

    /// <summary>An application's VSS writer (NTDS, Exchange, DHCP, ...), backed up through a shadow copy (Windows).</summary>
    [JsonStringEnumMemberName("vssWriter")]
    VssWriter,

    /// <summary>Databases, logs and checkpoint that no process has open, read directly (every OS).</summary>
    [JsonStringEnumMemberName("fileSet")]
    FileSet,
}
