using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.Abstractions.Targets;

/// <summary>A discovered ESE target: what a host lists, schedules and catalogs.</summary>
public sealed record BackupTarget
{
    /// <summary>
    /// Stable id derived from ESE identities (log stream or database signature, writer and component),
    /// never from a path: the same target gets the same id next week.
    /// </summary>
    public required string Id { get; init; }

    /// <summary>The kind of target, which decides the copy method.</summary>
    public required TargetKind Kind { get; init; }

    /// <summary>A name for people (directory and base name, instance name, writer and component).</summary>
    public required string DisplayName { get; init; }

    /// <summary>Where the target lives: a directory, an instance name, or a writer's logical path.</summary>
    public string? Location { get; init; }

    /// <summary>Databases of the target.</summary>
    public IReadOnlyList<TargetDatabase> Databases { get; init; } = [];

    /// <summary>The transaction log set, when the target has logs.</summary>
    public TargetLogSet? Logs { get; init; }

    /// <summary>The checkpoint file, when present.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Backup kinds possible for this target right now (for example, no incremental with circular logging).</summary>
    public IReadOnlyList<BackupKind> SupportedBackupKinds { get; init; } = [];

    /// <summary>Instance details for <see cref="TargetKind.InProcessInstance"/> targets.</summary>
    public string? InstanceName { get; init; }

    /// <summary>Writer and component details for <see cref="TargetKind.VssWriter"/> targets.</summary>
    public VssComponentInfo? Vss { get; init; }

    /// <summary>The most recent backup the host's catalog holds for this target.</summary>
    public LastBackupInfo? LastBackup { get; init; }

    /// <summary>Problems noticed while discovering (missing generations, unreadable files, ...).</summary>
    public IReadOnlyList<PluginError> Warnings { get; init; } = [];
}

/// <summary>One database of a target.</summary>
/// <param name="Path">Full path of the database file.</param>
public sealed record TargetDatabase(string Path)
{
    /// <summary>Database page size in bytes.</summary>
    public int? PageSize { get; init; }

    /// <summary>Database state by ESE's name (e.g. <c>CleanShutdown</c>, <c>DirtyShutdown</c>).</summary>
    public string? State { get; init; }

    /// <summary>Database signature (<c>signDb</c>) as text.</summary>
    public string? DatabaseSignature { get; init; }

    /// <summary>Log generations the database needs to be made consistent, when it is not.</summary>
    public GenerationRange? RequiredLogRange { get; init; }

    /// <summary>File size in bytes.</summary>
    public long? Size { get; init; }
}

/// <summary>A target's transaction log set.</summary>
/// <param name="Directory">Directory holding the logs.</param>
/// <param name="BaseName">Three-character log base name, e.g. <c>edb</c>.</param>
public sealed record TargetLogSet(string Directory, string BaseName)
{
    /// <summary>Log stream signature (<c>signLog</c>) as text.</summary>
    public string? LogSignature { get; init; }

    /// <summary>Generations present, as contiguous ranges.</summary>
    public IReadOnlyList<GenerationRange> Present { get; init; } = [];

    /// <summary>Generations missing between the lowest and highest present.</summary>
    public IReadOnlyList<GenerationRange> Missing { get; init; } = [];

    /// <summary>Generation of the current log (<c>edb.log</c>), when present.</summary>
    public long? CurrentGeneration { get; init; }

    /// <summary>Whether circular logging is (or was) on, read from the log headers.</summary>
    public bool CircularLogging { get; init; }

    /// <summary>Generation recorded in the checkpoint, when a checkpoint exists.</summary>
    public long? CheckpointGeneration { get; init; }
}

/// <summary>VSS identity of a writer component.</summary>
/// <param name="WriterId">Writer class id.</param>
/// <param name="WriterName">Writer name, e.g. <c>NTDS</c>.</param>
/// <param name="LogicalPath">Component logical path (may be empty).</param>
/// <param name="ComponentName">Component name.</param>
public sealed record VssComponentInfo(Guid WriterId, string WriterName, string LogicalPath, string ComponentName)
{
    /// <summary>Writer instance id (differs per instance of multi-instance writers).</summary>
    public Guid? WriterInstanceId { get; init; }

    /// <summary>Writer instance name, when the writer has one.</summary>
    public string? WriterInstanceName { get; init; }

    /// <summary>Whether the component can be selected for backup on its own.</summary>
    public bool Selectable { get; init; }
}

/// <summary>The latest backup the catalog knows for a target.</summary>
/// <param name="SetId">Id of the set.</param>
/// <param name="Kind">Kind of the set.</param>
/// <param name="CompletedAt">When the host completed it.</param>
/// <param name="HighestGeneration">Highest log generation the set holds.</param>
public sealed record LastBackupInfo(string SetId, BackupKind Kind, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] DateTimeOffset? CompletedAt, [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] long? HighestGeneration);
