using System.Text.Json.Serialization;

namespace EseBackupPlugin.Abstractions;

/// <summary>Who the plugin is and what it can do on this machine.</summary>
/// <param name="Id">Stable plugin id, the same as <c>plugin.json</c>'s <c>id</c>.</param>
/// <param name="Version">Plugin version (semantic versioning).</param>
/// <param name="ContractVersion">The contract version the plugin implements, e.g. <c>1.0</c>.</param>
/// <param name="Description">One line for people.</param>
/// <param name="Capabilities">What works on this operating system.</param>
public sealed record PluginInfo(
    string Id,
    string Version,
    string ContractVersion,
    string Description,
    PluginCapabilities Capabilities);

/// <summary>Everything the plugin can do on the current operating system.</summary>
/// <param name="TargetKinds">One entry per kind of target, available or not (with the reason).</param>
/// <param name="CanVerifySets">Whether <see cref="IBackupPlugin.VerifySetAsync"/> works here.</param>
/// <param name="CanRestore">Whether <see cref="IBackupPlugin.RestoreAsync"/> works here.</param>
/// <param name="CanInspectFiles">Whether file inspection and verification work here.</param>
public sealed record PluginCapabilities(
    IReadOnlyList<TargetKindCapabilities> TargetKinds,
    bool CanVerifySets,
    bool CanRestore,
    bool CanInspectFiles);

/// <summary>What the plugin supports for one kind of target.</summary>
/// <param name="Kind">The target kind.</param>
/// <param name="Available">Whether this kind works on this machine (for example, Windows-only sources).</param>
/// <param name="UnavailableReason">Why not, when <paramref name="Available"/> is false.</param>
/// <param name="BackupKinds">Backup kinds supported for this target kind.</param>
/// <param name="Truncation">Who truncates logs after a completed full or incremental backup.</param>
/// <param name="TruncatesDuringBackup">
/// True when the engine truncates logs by itself as part of phase one (as <c>JetBackupInstance</c> does):
/// the host's completion verdict then cannot prevent truncation, and the report says so.
/// </param>
/// <param name="Strategies">Named copy strategies a request may choose (the first is the default).</param>
public sealed record TargetKindCapabilities(
    Targets.TargetKind Kind,
    bool Available,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? UnavailableReason,
    IReadOnlyList<BackupKind> BackupKinds,
    Manifest.TruncationPerformer Truncation,
    bool TruncatesDuringBackup,
    IReadOnlyList<string> Strategies);

/// <summary>The three kinds of backup.</summary>
public enum BackupKind
{
    /// <summary>Databases plus every log needed to make them consistent; starts a new chain; allows truncation.</summary>
    [JsonStringEnumMemberName("full")]
    Full,

    /// <summary>Only the logs written since the previous set of the chain; allows truncation.</summary>
    [JsonStringEnumMemberName("incremental")]
    Incremental,

    /// <summary>Like a full backup, but never truncates logs and does not start a new chain.</summary>
    [JsonStringEnumMemberName("copy")]
    Copy,
}
