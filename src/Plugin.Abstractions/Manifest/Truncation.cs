using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Manifest;

/// <summary>Who removes logs that are no longer needed.</summary>
public enum TruncationPerformer
{
    /// <summary>Nobody (copy backups, failed completions).</summary>
    [JsonStringEnumMemberName("none")]
    None,

    /// <summary>The plugin deletes the files itself (file-set targets, streaming backups via JetTruncateLogInstance).</summary>
    [JsonStringEnumMemberName("plugin")]
    Plugin,

    /// <summary>ESE deletes them on its own during the backup (JetBackupInstance).</summary>
    [JsonStringEnumMemberName("ese")]
    Ese,

    /// <summary>The application's VSS writer deletes them when the requester calls BackupComplete.</summary>
    [JsonStringEnumMemberName("vssWriter")]
    VssWriter,
}

/// <summary>When truncation happens for a set.</summary>
public enum TruncationMode
{
    /// <summary>Never (copy backups, circular logging, targets without logs).</summary>
    [JsonStringEnumMemberName("never")]
    Never,

    /// <summary>Only when the host completes the set with success.</summary>
    [JsonStringEnumMemberName("onSuccessfulCompletion")]
    OnSuccessfulCompletion,

    /// <summary>Already during phase one, by the engine (the host's verdict cannot stop it).</summary>
    [JsonStringEnumMemberName("duringBackup")]
    DuringBackup,
}

/// <summary>The truncation a set allows, recorded in its manifest.</summary>
/// <param name="Mode">When truncation happens.</param>
/// <param name="Performer">Who performs it.</param>
public sealed record TruncationPlan(TruncationMode Mode, TruncationPerformer Performer)
{
    /// <summary>Generations expected to be removable, computed from the headers at backup time.</summary>
    public GenerationRange? ExpectedRange { get; init; }
}

/// <summary>Outcome of truncation.</summary>
public enum TruncationStatus
{
    /// <summary>Logs were removed (see <see cref="TruncationReport.Removed"/>).</summary>
    [JsonStringEnumMemberName("truncated")]
    Truncated,

    /// <summary>Truncation ran but no log was old enough and already protected by the chain.</summary>
    [JsonStringEnumMemberName("nothingToTruncate")]
    NothingToTruncate,

    /// <summary>The set is a copy backup or circular logging is on: truncation is never allowed.</summary>
    [JsonStringEnumMemberName("notAllowed")]
    NotAllowed,

    /// <summary>
    /// Nothing was removed: the host reported a failure, or the engine session behind the set was lost (the
    /// process that staged it ended). Such a set does not extend its target's chain; when the host had stored it,
    /// it is still restorable on its own.
    /// </summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped,

    /// <summary>The writer was told to truncate (BackupComplete); the removal happens inside its service.</summary>
    [JsonStringEnumMemberName("delegatedToWriter")]
    DelegatedToWriter,

    /// <summary>The engine truncated during phase one (JetBackupInstance).</summary>
    [JsonStringEnumMemberName("doneByEngine")]
    DoneByEngine,

    /// <summary>
    /// Truncation was attempted and failed; see <see cref="TruncationReport.Error"/>. <see cref="TruncationReport.Removed"/>
    /// still lists every log that did leave the disk.
    /// </summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    // Members added in a minor version go last: a member's number is part of the binary contract (package
    // validation refuses a change; see CHANGELOG.md).

    /// <summary>The target has no log files (only databases): there is nothing that could ever be truncated.</summary>
    [JsonStringEnumMemberName("notApplicable")]
    NotApplicable,
}

/// <summary>Why a log generation could be removed.</summary>
public enum LogRemovalReason
{
    /// <summary>The engine or writer that removed it decided (ESE's JetBackupInstance / JetTruncateLogInstance).</summary>
    [JsonStringEnumMemberName("decidedByEngine")]
    DecidedByEngine,

    /// <summary>A set of the completed chain holds its final copy, and it is below the checkpoint and every database's required range.</summary>
    [JsonStringEnumMemberName("inChain")]
    InChain,

    /// <summary>
    /// It is older than the first log of the chain's full backup (and below the checkpoint and every database's
    /// required range): no restore of the chain replays it. ESE's own full backup removes such logs too.
    /// </summary>
    [JsonStringEnumMemberName("olderThanChain")]
    OlderThanChain,
}

/// <summary>One removed log file.</summary>
/// <param name="Path">Full path of the file that was deleted.</param>
/// <param name="Generation">Its generation.</param>
/// <param name="Size">Its size in bytes.</param>
public sealed record TruncatedLog(string Path, long Generation, long Size)
{
    /// <summary>Why it could go.</summary>
    public LogRemovalReason Reason { get; init; }
}

/// <summary>The result of phase two: what happened to the target's logs, and who did it.</summary>
public sealed record TruncationReport
{
    /// <summary>The completed set.</summary>
    public required string SetId { get; init; }

    /// <summary>The set's target.</summary>
    public required string TargetId { get; init; }

    /// <summary>The set's backup kind.</summary>
    public required BackupKind Kind { get; init; }

    /// <summary>The host's verdict: true when it stored the set safely.</summary>
    public required bool HostSucceeded { get; init; }

    /// <summary>Outcome.</summary>
    public required TruncationStatus Status { get; init; }

    /// <summary>Who removed (or will remove) logs.</summary>
    public required TruncationPerformer PerformedBy { get; init; }

    /// <summary>Files removed, in ascending generation order.</summary>
    public IReadOnlyList<TruncatedLog> Removed { get; init; } = [];

    /// <summary>The generations removed or expected to be removed (for writers that remove them themselves).</summary>
    public GenerationRange? Range { get; init; }

    /// <summary>Why truncation stopped where it did (checkpoint, a database's required range, the chain, ...).</summary>
    public string? Reason { get; init; }

    /// <summary>When the report was made.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>
    /// The failure, when <see cref="Status"/> is <see cref="TruncationStatus.Failed"/>, or why a success could not
    /// truncate (<c>SessionLost</c>, <c>LeaseExpired</c>).
    /// </summary>
    public PluginError? Error { get; init; }
}
