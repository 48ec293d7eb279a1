using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Operations;

/// <summary>Phase one of a backup: what to copy and where.</summary>
/// <param name="TargetId">Id of a discovered target.</param>
/// <param name="Kind">Full, incremental or copy.</param>
/// <param name="StagingDirectory">
/// Directory the host names; the set appears in it as a sub-directory named after the set id, and only
/// when the backup succeeded.
/// </param>
public sealed record BackupRequest(string TargetId, BackupKind Kind, string StagingDirectory)
{
    /// <summary>Create <see cref="StagingDirectory"/> when it does not exist (ESE's <c>JET_paramCreatePathIfNotExist</c>).</summary>
    public bool CreateStagingDirectory { get; init; }

    /// <summary>Copy strategy by name (see <see cref="TargetKindCapabilities.Strategies"/>); <see langword="null"/> uses the default.</summary>
    public string? Strategy { get; init; }

    /// <summary>Set id to use; <see langword="null"/> lets the plugin create one.</summary>
    public string? SetId { get; init; }

    /// <summary>Directories to look in when the target must be rediscovered (file-set targets found outside the configured roots).</summary>
    public IReadOnlyList<string> SearchPaths { get; init; } = [];

    /// <summary>
    /// The target as this plugin's discovery returned it, when the host has it (it usually just discovered it): the
    /// plugin then backs up the files at its location without searching for the id again. It still re-reads the files
    /// before planning, refuses a target whose files no longer match <see cref="TargetId"/>, and searches as without it
    /// when the target is not its own or its id alone is ambiguous. It says where the files are, never which databases a
    /// first full holds: a full with no chain yet also looks under <see cref="SearchPaths"/> and the configured roots for
    /// databases of the target that this (possibly older) target does not list. <see langword="null"/>: found by id.
    /// </summary>
    public BackupTarget? Target { get; init; }
}
