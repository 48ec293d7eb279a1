using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>
/// One writer's Writer Metadata Document, as parsed from its XML (what <c>IVssExamineWriterMetadata::SaveAsXML</c>
/// returns, or a stored <c>WMn.xml</c>). Only facts; no behaviour.
/// </summary>
internal sealed record VssWriterMetadata
{
    /// <summary>Writer class id (<c>IDENTIFICATION/@writerId</c>); empty for a bare <c>BACKUP_LOCATIONS</c> fragment.</summary>
    public Guid WriterId { get; init; }

    /// <summary>Writer instance id.</summary>
    public Guid InstanceId { get; init; }

    /// <summary>Instance name (multi-instance writers such as SQL Server, AD LDS, Exchange).</summary>
    public string? InstanceName { get; init; }

    /// <summary>Writer name as reported (<c>friendlyName</c>), e.g. <c>NTDS</c>.</summary>
    public string FriendlyName { get; init; } = "";

    /// <summary>Usage type.</summary>
    public VssUsageType Usage { get; init; }

    /// <summary>Data source type.</summary>
    public VssSourceType DataSource { get; init; }

    /// <summary>Writer's declared major version.</summary>
    public int MajorVersion { get; init; }

    /// <summary>Writer's declared minor version.</summary>
    public int MinorVersion { get; init; }

    /// <summary>Document format version attribute (e.g. <c>1.2</c>).</summary>
    public string? DocumentVersion { get; init; }

    /// <summary>Backup schema mask; <see cref="VssBackupSchema.Undefined"/> means simple full backups only.</summary>
    public VssBackupSchema BackupSchema { get; init; }

    /// <summary>Restore method, when the document declares one.</summary>
    public VssRestoreMethodInfo? RestoreMethod { get; init; }

    /// <summary>Components in document order.</summary>
    public IReadOnlyList<VssWriterComponent> Components { get; init; } = [];

    /// <summary>Files the writer asks not to be backed up.</summary>
    public IReadOnlyList<VssFileDescriptor> ExcludeFiles { get; init; } = [];

    /// <summary>Files the writer removes from new shadow copies (Windows 8+).</summary>
    public IReadOnlyList<VssFileDescriptor> ExcludeFromSnapshot { get; init; } = [];

    /// <summary>Writer-level alternate location mappings (restore).</summary>
    public IReadOnlyList<VssFileDescriptor> AlternateLocationMappings { get; init; } = [];

    /// <summary>Number of file descriptors in all components (a cheap size measure).</summary>
    public int FileDescriptorCount => Components.Sum(c => c.Files.Count + c.DatabaseFiles.Count + c.LogFiles.Count);
}

/// <summary>The restore method a writer declares.</summary>
/// <param name="Method">Method as an enum (Undefined when the text is not known).</param>
/// <param name="MethodText">Method as written in the document.</param>
/// <param name="WriterRestore">When the writer takes part in restores.</param>
/// <param name="RebootRequired">Whether a restore needs a reboot.</param>
internal sealed record VssRestoreMethodInfo(VssRestoreMethod Method, string MethodText, VssWriterRestore WriterRestore, bool RebootRequired)
{
    /// <summary>Service to stop and start, for <see cref="VssRestoreMethod.StopRestoreStart"/>.</summary>
    public string? Service { get; init; }

    /// <summary>User procedure text, for <see cref="VssRestoreMethod.Custom"/>.</summary>
    public string? UserProcedure { get; init; }
}

/// <summary>A component (<c>DATABASE</c> or <c>FILE_GROUP</c>) of a writer.</summary>
/// <param name="Type">Database or file group.</param>
/// <param name="LogicalPath">Logical path; empty when the component has none.</param>
/// <param name="Name">Component name.</param>
internal sealed record VssWriterComponent(VssComponentType Type, string LogicalPath, string Name)
{
    /// <summary>Caption for people.</summary>
    public string? Caption { get; init; }

    /// <summary><c>restoreMetadata</c>.</summary>
    public bool RestoreMetadata { get; init; }

    /// <summary><c>notifyOnBackupComplete</c>.</summary>
    public bool NotifyOnBackupComplete { get; init; }

    /// <summary>Whether the component may be chosen for backup on its own.</summary>
    public bool Selectable { get; init; }

    /// <summary>Whether the component may be chosen for restore on its own.</summary>
    public bool SelectableForRestore { get; init; }

    /// <summary>Component flags.</summary>
    public VssComponentFlags Flags { get; init; }

    /// <summary>File-group files (<c>FILE_LIST</c>).</summary>
    public IReadOnlyList<VssFileDescriptor> Files { get; init; } = [];

    /// <summary>Database files (<c>DATABASE_FILES</c>).</summary>
    public IReadOnlyList<VssFileDescriptor> DatabaseFiles { get; init; } = [];

    /// <summary>Database log files (<c>DATABASE_LOGFILES</c>); ESE writers list the checkpoint here too.</summary>
    public IReadOnlyList<VssFileDescriptor> LogFiles { get; init; } = [];

    /// <summary>Dependencies on other components.</summary>
    public IReadOnlyList<VssComponentDependency> Dependencies { get; init; } = [];

    /// <summary>The component's full logical name: <c>logicalPath\name</c>, or just the name.</summary>
    public string FullName => LogicalPath.Length == 0 ? Name : LogicalPath + "\\" + Name;

    /// <summary>Whether <paramref name="other"/> lies below this component in the logical-path tree.</summary>
    public bool IsAncestorOf(VssWriterComponent other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var mine = FullName;
        return other.LogicalPath.Equals(mine, StringComparison.OrdinalIgnoreCase)
            || other.LogicalPath.StartsWith(mine + "\\", StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>A file specification: a directory, a file name pattern and whether sub-directories count.</summary>
/// <param name="Path">Directory as written (may hold environment variables such as <c>%SystemRoot%</c>).</param>
/// <param name="FileSpec">File name or wildcard pattern (<c>*</c>, <c>?</c>).</param>
/// <param name="Recursive">Whether sub-directories are included.</param>
internal sealed record VssFileDescriptor(string Path, string FileSpec, bool Recursive)
{
    /// <summary>Alternate location (restore), when given.</summary>
    public string? AlternatePath { get; init; }

    /// <summary>Backup types this specification applies to; <see cref="VssFileSpecBackupType.None"/> when not stated.</summary>
    public VssFileSpecBackupType BackupTypeMask { get; init; }

    /// <summary>Whether the mask (or its absence) includes backups of type <paramref name="type"/>.</summary>
    public bool AppliesTo(VssBackupType type)
    {
        if (BackupTypeMask == VssFileSpecBackupType.None)
        {
            return true;
        }

        var bit = type switch
        {
            VssBackupType.Incremental => VssFileSpecBackupType.IncrementalBackupRequired,
            VssBackupType.Differential => VssFileSpecBackupType.DifferentialBackupRequired,
            VssBackupType.Log => VssFileSpecBackupType.LogBackupRequired,
            _ => VssFileSpecBackupType.FullBackupRequired,
        };
        return (BackupTypeMask & bit) != 0;
    }
}

/// <summary>A component's dependency on another writer's component.</summary>
/// <param name="WriterId">The other writer's class id.</param>
/// <param name="LogicalPath">The other component's logical path (may be empty).</param>
/// <param name="ComponentName">The other component's name.</param>
internal sealed record VssComponentDependency(Guid WriterId, string LogicalPath, string ComponentName);
