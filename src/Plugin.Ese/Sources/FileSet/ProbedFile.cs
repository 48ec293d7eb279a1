using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>What a file is, read from its headers only (fast enough to run over whole directory trees).</summary>
internal enum ProbedKind
{
    NotEse,
    Database,
    Log,
    Checkpoint,
    Ignorable, // reserve logs, tmp logs, flush maps, patch files: never part of a backup set
    Unreadable,
}

/// <summary>The facts of one probed file that discovery and planning need.</summary>
internal sealed record ProbedFile(string Path, ProbedKind Kind, long Length)
{
    /// <summary>Log stream signature (databases: the stream they last used; logs and checkpoints: theirs).</summary>
    public string? LogSignature { get; init; }

    /// <summary>Database signature, for databases.</summary>
    public string? DatabaseSignature { get; init; }

    /// <summary>Database state name, for databases.</summary>
    public string? State { get; init; }

    /// <summary>True for DirtyShutdown-like states that need logs to become consistent.</summary>
    public bool NeedsLogs { get; init; }

    /// <summary>Database page size.</summary>
    public int? PageSize { get; init; }

    /// <summary>Generations a database needs (genMinRequired..genMaxRequired), when it needs any.</summary>
    public GenerationRange? RequiredRange { get; init; }

    /// <summary>Log generation (from the header), or the checkpoint's generation.</summary>
    public long? Generation { get; init; }

    /// <summary>Log base name, from the file name (logs, checkpoints).</summary>
    public string? BaseName { get; init; }

    /// <summary>True for the current log (<c>&lt;base&gt;.log</c>).</summary>
    public bool IsCurrentLog { get; init; }

    /// <summary>The generation the file name states (archived logs), to compare with the header.</summary>
    public long? NameGeneration { get; init; }

    /// <summary>Circular logging on (or was on), from a log header.</summary>
    public bool CircularLogging { get; init; }

    /// <summary>True for a log identified by its name whose header failed its checksum.</summary>
    public bool HeaderDamaged { get; init; }

    /// <summary>Why the file could not be read, for <see cref="ProbedKind.Unreadable"/>; what the sniffer saw, for files that are not ESE.</summary>
    public string? Problem { get; init; }

    /// <summary>True for an unreadable file that carries a database's magic or file type (a database with a damaged header).</summary>
    public bool DamagedDatabase { get; init; }

    /// <summary>True for a flush map (<c>.jfm</c>): it lives beside its database and shares its name.</summary>
    public bool FlushMap { get; init; }

    /// <summary>Paths of the databases a log or checkpoint header lists as attached (as ESE stored them, often Windows paths).</summary>
    public IReadOnlyList<string> AttachedDatabases { get; init; } = [];
}
