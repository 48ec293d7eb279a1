using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Manifest;

/// <summary>
/// One backup set, described completely: written last and atomically into the set directory as
/// <see cref="FileName"/>. A restore trusts nothing but this document and the bytes it hashes.
/// </summary>
public sealed record BackupManifest
{
    /// <summary>File name of the manifest inside a set directory.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The manifest format this library writes.</summary>
    public const int CurrentVersion = 1;

    /// <summary>Manifest format version; readers refuse versions they do not know.</summary>
    public int ManifestVersion { get; init; } = CurrentVersion;

    /// <summary>Unique id of this set.</summary>
    public required string SetId { get; init; }

    /// <summary>What was backed up.</summary>
    public required TargetIdentity Target { get; init; }

    /// <summary>Full, incremental or copy.</summary>
    public required BackupKind Kind { get; init; }

    /// <summary>When phase one started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>When phase one finished (the manifest was written).</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    /// <summary>Where the set sits in its chain.</summary>
    public required ChainInfo Chain { get; init; }

    /// <summary>Who produced the set, and how.</summary>
    public required ProducerInfo Producer { get; init; }

    /// <summary>Every file of the set.</summary>
    public required IReadOnlyList<ManifestFile> Files { get; init; }

    /// <summary>Log generations this set holds, when it holds logs.</summary>
    public GenerationRange? LogRange { get; init; }

    /// <summary>Who may truncate logs, when, and which generations that would be.</summary>
    public required TruncationPlan Truncation { get; init; }

    /// <summary>What was verified while copying.</summary>
    public required VerificationSummary Verification { get; init; }

    /// <summary>The VSS Backup Components Document of the run (XML), for VSS targets.</summary>
    public string? VssBackupComponentsDocument { get; init; }

    /// <summary>Further facts, free-form.</summary>
    public IReadOnlyDictionary<string, string>? Properties { get; init; }
}

/// <summary>Identity of the backed-up target, as recorded in a manifest.</summary>
/// <param name="Id">Stable target id (see <see cref="BackupTarget.Id"/>).</param>
/// <param name="Kind">Target kind.</param>
/// <param name="DisplayName">Name for people.</param>
public sealed record TargetIdentity(string Id, TargetKind Kind, string DisplayName)
{
    /// <summary>Where the target lived at backup time (directory, instance, writer path).</summary>
    public string? Location { get; init; }

    /// <summary>Instance name, for in-process targets.</summary>
    public string? InstanceName { get; init; }

    /// <summary>Writer and component, for VSS targets.</summary>
    public VssComponentInfo? Vss { get; init; }

    /// <summary>Log stream signature as text.</summary>
    public string? LogSignature { get; init; }

    /// <summary>Three-character log base name.</summary>
    public string? LogBaseName { get; init; }

    /// <summary>Signatures of the target's databases as text.</summary>
    public IReadOnlyList<string> DatabaseSignatures { get; init; } = [];
}

/// <summary>Where a set sits in its chain.</summary>
/// <param name="ChainId">Set id of the chain's full backup (for a full: its own id; for a copy: its own id).</param>
/// <param name="PreviousSetId">Set id of the set this one follows (incrementals only).</param>
/// <param name="Sequence">0 for the full, then 1, 2, ... for each incremental.</param>
public sealed record ChainInfo(string ChainId, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? PreviousSetId, int Sequence);

/// <summary>Who produced a set.</summary>
/// <param name="PluginId">Plugin id.</param>
/// <param name="PluginVersion">Plugin version.</param>
/// <param name="ContractVersion">Contract version.</param>
/// <param name="Strategy">Copy method, e.g. <c>file-set</c>, <c>jet-backup-instance</c>, <c>jet-streaming</c>, <c>vss</c>.</param>
/// <param name="MachineName">Machine the backup ran on.</param>
public sealed record ProducerInfo(string PluginId, string PluginVersion, string ContractVersion, string Strategy, string MachineName);

/// <summary>The role a file plays in a set.</summary>
public enum FileRole
{
    /// <summary>A database (<c>.edb</c>, <c>.dat</c>, <c>.dit</c>, ...).</summary>
    [JsonStringEnumMemberName("database")]
    Database,

    /// <summary>A transaction log generation.</summary>
    [JsonStringEnumMemberName("log")]
    Log,

    /// <summary>The checkpoint file.</summary>
    [JsonStringEnumMemberName("checkpoint")]
    Checkpoint,

    /// <summary>A patch file (<c>.pat</c>), as <c>JetBackupInstance</c> writes them.</summary>
    [JsonStringEnumMemberName("patch")]
    Patch,

    /// <summary>Anything else the set carries.</summary>
    [JsonStringEnumMemberName("other")]
    Other,
}

/// <summary>One file of a set.</summary>
/// <param name="Path">Path relative to the set directory, with <c>/</c> separators; never absolute, never <c>..</c>.</param>
/// <param name="Role">What the file is.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="Sha256">SHA-256 of the content, lower-case hex.</param>
public sealed record ManifestFile(string Path, FileRole Role, long Size, string Sha256)
{
    /// <summary>Where the file came from (full source path), for the operator.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Database facts, for <see cref="FileRole.Database"/>.</summary>
    public DatabaseFacts? Database { get; init; }

    /// <summary>Log facts, for <see cref="FileRole.Log"/>.</summary>
    public LogFacts? Log { get; init; }

    /// <summary>Checkpoint facts, for <see cref="FileRole.Checkpoint"/>.</summary>
    public CheckpointFacts? Checkpoint { get; init; }

    /// <summary>
    /// What verification noticed about this file that did not fail the backup (warnings such as bytes beyond a checkpoint's
    /// or log's end); a file with corruption never reaches a manifest.
    /// </summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];
}

/// <summary>ESE facts about a database file that matter for restore.</summary>
/// <param name="PageSize">Page size in bytes.</param>
/// <param name="FormatVersion">Format version (major), e.g. 0x620.</param>
/// <param name="FormatRevision">Format update (revision), e.g. 0x14.</param>
/// <param name="State">Database state by ESE's name.</param>
public sealed record DatabaseFacts(int PageSize, int FormatVersion, int FormatRevision, string State)
{
    /// <summary>Database signature as text.</summary>
    public string? DatabaseSignature { get; init; }

    /// <summary>The log stream's signature recorded in the database header.</summary>
    public string? LogSignature { get; init; }

    /// <summary>Generations needed to make the copy consistent.</summary>
    public GenerationRange? RequiredLogRange { get; init; }

    /// <summary>Highest generation with committed changes for this database.</summary>
    public long? CommittedGeneration { get; init; }

    /// <summary>Number of pages verified while copying.</summary>
    public long PagesVerified { get; init; }

    /// <summary>True when the image carries a streaming-backup trailer page.</summary>
    public bool HasBackupTrailer { get; init; }
}

/// <summary>ESE facts about a log file.</summary>
/// <param name="Generation">Log generation from the header.</param>
public sealed record LogFacts(long Generation)
{
    /// <summary>Log stream signature as text.</summary>
    public string? LogSignature { get; init; }

    /// <summary>Creation time of this generation (UTC), from the header.</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>Creation time of the previous generation (UTC), from the header.</summary>
    public DateTimeOffset? PreviousGenerationCreated { get; init; }

    /// <summary>Log format version, e.g. <c>8.4000.90.200</c>.</summary>
    public string? FormatVersion { get; init; }

    /// <summary>
    /// True when this is the then-current log (<c>edb.log</c>) copied under its generation's name. An
    /// incremental copies the final version of that generation again; a restore uses the newest copy.
    /// </summary>
    public bool WasCurrentLog { get; init; }

    /// <summary>
    /// Set id of an earlier set of the chain that holds an older, partial copy of this generation (it was
    /// the current log then); this copy is the generation's final version and wins on restore.
    /// </summary>
    public string? ReplacesCopyInSetId { get; init; }

    /// <summary>Segments (v8) or checksum records (v7) verified while copying.</summary>
    public long UnitsVerified { get; init; }
}

/// <summary>ESE facts about a checkpoint file.</summary>
/// <param name="CheckpointGeneration">Generation of the checkpoint position.</param>
public sealed record CheckpointFacts(long CheckpointGeneration)
{
    /// <summary>Log stream signature as text.</summary>
    public string? LogSignature { get; init; }
}

/// <summary>What was verified while the set was copied.</summary>
/// <param name="FilesVerified">Files checked.</param>
/// <param name="PagesVerified">Database pages whose checksum matched.</param>
/// <param name="UninitializedPages">All-zero database pages (not checksummed, as ESE does).</param>
/// <param name="LogUnitsVerified">Log segments or checksum records verified.</param>
/// <param name="Findings">Warnings found (a successful backup has no corruption; each warning is also listed on its file).</param>
public sealed record VerificationSummary(long FilesVerified, long PagesVerified, long UninitializedPages, long LogUnitsVerified, int Findings);
