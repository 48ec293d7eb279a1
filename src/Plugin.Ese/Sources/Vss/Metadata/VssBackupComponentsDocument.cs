using System.Text;
using System.Xml;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>
/// A Backup Components Document (reference §11.4), parsed back from the XML that
/// <c>IVssBackupComponents::SaveAsXML</c> produced at backup time. The XML itself is kept verbatim in
/// <see cref="Xml"/>: it is what <c>InitializeForRestore</c> needs; the parsed facts tell a restore which
/// writer components the set holds and whether each was reported as backed up.
/// </summary>
internal sealed record VssBackupComponentsDocument
{
    /// <summary>The document as saved, verbatim.</summary>
    public required string Xml { get; init; }

    /// <summary>Format version attribute.</summary>
    public string? Version { get; init; }

    /// <summary>Whether the backup was a bootable system-state backup.</summary>
    public bool BootableSystemStateBackup { get; init; }

    /// <summary>Whether components were selected (component mode).</summary>
    public bool SelectComponents { get; init; }

    /// <summary>The backup type.</summary>
    public VssBackupType BackupType { get; init; }

    /// <summary>The backup type as written (<c>full</c>, <c>copy</c>, …).</summary>
    public string? BackupTypeText { get; init; }

    /// <summary>Partial file support flag.</summary>
    public bool PartialFileSupport { get; init; }

    /// <summary>The snapshot set the document belongs to.</summary>
    public Guid? SnapshotSetId { get; init; }

    /// <summary>Per-writer component lists.</summary>
    public IReadOnlyList<VssBackupComponentsWriter> Writers { get; init; } = [];

    /// <summary>Finds a component by writer id and full name (case-insensitive like VSS).</summary>
    public VssBackupComponentsEntry? FindComponent(Guid writerId, string logicalPath, string componentName) =>
        Writers.Where(w => w.WriterId == writerId)
            .SelectMany(w => w.Components)
            .FirstOrDefault(c => c.LogicalPath.Equals(logicalPath ?? "", StringComparison.OrdinalIgnoreCase)
                && c.Name.Equals(componentName, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses a document (as returned by SaveAsXML or read back from a manifest).</summary>
    public static VssBackupComponentsDocument Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        using var reader = XmlReader.Create(new StringReader(xml), VssXml.ReaderSettings);
        VssBackupComponentsDocument? doc = null;
        var writers = new List<VssBackupComponentsWriter>();
        WriterBuilder? writer = null;
        VssBackupComponentsEntry? component = null;
        StringBuilder? metadataText = null;

        while (reader.Read())
        {
            if (metadataText is not null && reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA)
            {
                metadataText.Append(reader.Value);
                continue;
            }

            if (reader.NodeType == XmlNodeType.EndElement)
            {
                EndElement(reader.LocalName, writers, ref writer, ref component, ref metadataText);
                continue;
            }

            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (doc is null)
            {
                if (reader.LocalName != "BACKUP_COMPONENTS")
                {
                    throw new FormatException($"Not a Backup Components Document: the root element is <{reader.LocalName}>.");
                }

                doc = ReadRoot(reader, xml);
                continue;
            }

            StartElement(reader, writers, ref writer, ref component, ref metadataText);
        }

        return doc is null
            ? throw new FormatException("The Backup Components Document is empty.")
            : doc with { Writers = writers.ToArray() };
    }

    /// <summary>Opens a writer's entry, a component or a writer-private metadata block below the root.</summary>
    private static void StartElement(
        XmlReader reader,
        List<VssBackupComponentsWriter> writers,
        ref WriterBuilder? writer,
        ref VssBackupComponentsEntry? component,
        ref StringBuilder? metadataText)
    {
        switch (reader.LocalName)
        {
            case "WRITER_COMPONENTS":
                writer = new WriterBuilder(
                    VssXml.GuidAttr(reader, "instanceId") ?? Guid.Empty,
                    VssXml.GuidAttr(reader, "writerId") ?? Guid.Empty,
                    VssXml.Attr(reader, "instanceName"),
                    (VssBackupSchema)(VssXml.Number(reader, "backupSchema") ?? 0));
                if (reader.IsEmptyElement)
                {
                    writers.Add(writer.Build());
                    writer = null;
                }

                break;
            case "COMPONENT" when writer is not null:
                var entry = ReadComponent(reader);
                if (reader.IsEmptyElement)
                {
                    writer.Components.Add(entry);
                }
                else
                {
                    component = entry;
                }

                break;
            case "BACKUP_METADATA":
                // Writer-private text: in a "metadata" attribute or as element content, under a component
                // or directly under the writer's entry.
                if (VssXml.Attr(reader, "metadata") is { } metadata)
                {
                    AttachMetadata(metadata, writer, ref component);
                }

                if (!reader.IsEmptyElement)
                {
                    metadataText = new StringBuilder();
                }

                break;
            default:
                break;
        }
    }

    private static VssBackupComponentsDocument ReadRoot(XmlReader reader, string xml)
    {
        var typeText = VssXml.Attr(reader, "backupType");
        return new VssBackupComponentsDocument
        {
            Xml = xml,
            Version = VssXml.Attr(reader, "version"),
            BootableSystemStateBackup = VssXml.Bool(reader, "bootableSystemStateBackup") ?? false,
            SelectComponents = VssXml.Bool(reader, "selectComponents") ?? false,
            BackupType = ParseBackupType(typeText),
            BackupTypeText = typeText,
            PartialFileSupport = VssXml.Bool(reader, "partialFileSupport") ?? false,
            SnapshotSetId = VssXml.GuidAttr(reader, "snapshotSetId"),
        };
    }

    private static VssBackupComponentsEntry ReadComponent(XmlReader reader)
    {
        return new VssBackupComponentsEntry(
            VssXml.AttrOrEmpty(reader, "logicalPath"),
            VssXml.AttrOrEmpty(reader, "componentName"),
            ParseComponentType(VssXml.Attr(reader, "componentType")))
        {
            BackupSucceeded = VssXml.Bool(reader, "backupSucceeded"),
            BackupStamp = VssXml.Attr(reader, "backupStamp"),
            PreviousBackupStamp = VssXml.Attr(reader, "previousBackupStamp"),
            BackupOptions = VssXml.Attr(reader, "backupOptions"),
        };
    }

    /// <summary>Closes what an end tag ends: collected metadata text, a writer's entry, a component.</summary>
    private static void EndElement(string name, List<VssBackupComponentsWriter> writers, ref WriterBuilder? writer, ref VssBackupComponentsEntry? component, ref StringBuilder? metadataText)
    {
        switch (name)
        {
            case "BACKUP_METADATA" when metadataText is not null:
                if (metadataText.Length > 0)
                {
                    AttachMetadata(metadataText.ToString(), writer, ref component);
                }

                metadataText = null;
                break;
            case "WRITER_COMPONENTS" when writer is not null:
                writers.Add(writer.Build());
                writer = null;
                break;
            case "COMPONENT" when writer is not null && component is not null:
                writer.Components.Add(component);
                component = null;
                break;
        }
    }

    private static void AttachMetadata(string metadata, WriterBuilder? writer, ref VssBackupComponentsEntry? component)
    {
        if (component is not null)
        {
            component = component with { BackupMetadata = metadata };
        }
        else if (writer is not null)
        {
            writer.BackupMetadata = metadata;
        }
    }

    /// <summary>Maps the document's <c>backupType</c> text.</summary>
    public static VssBackupType ParseBackupType(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "FULL" => VssBackupType.Full,
        "INCREMENTAL" => VssBackupType.Incremental,
        "DIFFERENTIAL" => VssBackupType.Differential,
        "LOG" => VssBackupType.Log,
        "COPY" => VssBackupType.Copy,
        "OTHER" => VssBackupType.Other,
        _ => VssBackupType.Undefined,
    };

    private static VssComponentType ParseComponentType(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "DATABASE" => VssComponentType.Database,
        "FILEGROUP" => VssComponentType.FileGroup,
        _ => VssComponentType.Undefined,
    };

    private sealed class WriterBuilder(Guid instanceId, Guid writerId, string? instanceName, VssBackupSchema schema)
    {
        public List<VssBackupComponentsEntry> Components { get; } = [];

        public string? BackupMetadata { get; set; }

        public VssBackupComponentsWriter Build() => new(instanceId, writerId, Components.ToArray())
        {
            InstanceName = instanceName,
            BackupSchema = schema,
            BackupMetadata = BackupMetadata,
        };
    }
}

/// <summary>A writer's entry in a Backup Components Document.</summary>
/// <param name="InstanceId">Writer instance id.</param>
/// <param name="WriterId">Writer class id.</param>
/// <param name="Components">Components added for this writer.</param>
internal sealed record VssBackupComponentsWriter(Guid InstanceId, Guid WriterId, IReadOnlyList<VssBackupComponentsEntry> Components)
{
    /// <summary>Instance name, when the writer has one.</summary>
    public string? InstanceName { get; init; }

    /// <summary>The writer's backup schema at backup time.</summary>
    public VssBackupSchema BackupSchema { get; init; }

    /// <summary>Writer-private metadata stored at writer level, when present.</summary>
    public string? BackupMetadata { get; init; }
}

/// <summary>A component in a Backup Components Document.</summary>
/// <param name="LogicalPath">Logical path (may be empty).</param>
/// <param name="Name">Component name.</param>
/// <param name="Type">Database or file group.</param>
internal sealed record VssBackupComponentsEntry(string LogicalPath, string Name, VssComponentType Type)
{
    /// <summary>What SetBackupSucceeded recorded, when the document carries it.</summary>
    public bool? BackupSucceeded { get; init; }

    /// <summary>The writer's backup stamp (for the next incremental/differential).</summary>
    public string? BackupStamp { get; init; }

    /// <summary>The stamp the requester passed in (SetPreviousBackupStamp).</summary>
    public string? PreviousBackupStamp { get; init; }

    /// <summary>Requester-private backup options.</summary>
    public string? BackupOptions { get; init; }

    /// <summary>Writer-private backup metadata (NTDS writes the backup expiration here).</summary>
    public string? BackupMetadata { get; init; }
}
