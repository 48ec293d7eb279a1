using System.Xml;

namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>
/// The <c>Manifest.xml</c> of a DiskShadow metadata cab (UTF-16LE without a BOM, single-quoted attributes):
/// the shadow copy set, its shadow copies, the Backup Components Document file and the writer metadata files.
/// Lets an operator import metadata produced by DiskShadow; parsed with the same streaming reader.
/// </summary>
/// <param name="ShadowCopySetId">The snapshot set id.</param>
/// <param name="MachineName">Machine the set was taken on.</param>
/// <param name="ShadowCopies">Shadow copies of the set.</param>
/// <param name="BackupComponentsFile">File name of the Backup Components Document.</param>
/// <param name="Writers">Writers and their metadata files, in order.</param>
internal sealed record DiskShadowManifest(
    Guid? ShadowCopySetId,
    string? MachineName,
    IReadOnlyList<DiskShadowCopy> ShadowCopies,
    string? BackupComponentsFile,
    IReadOnlyList<DiskShadowWriter> Writers)
{
    /// <summary>Aliases (name to value).</summary>
    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    /// <summary>Number of writers the manifest announces.</summary>
    public int? DeclaredWriterCount { get; init; }

    /// <summary>Reads a manifest file, detecting its encoding.</summary>
    public static DiskShadowManifest ParseFile(string path) => Parse(VssXml.OpenFile(path));

    /// <summary>Reads a manifest (the reader is disposed).</summary>
    public static DiskShadowManifest Parse(TextReader text)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = XmlReader.Create(text, VssXml.ReaderSettings);
        Guid? setId = null;
        string? machine = null;
        string? bcFile = null;
        int? count = null;
        var copies = new List<DiskShadowCopy>();
        var writers = new List<DiskShadowWriter>();
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var sawRoot = false;

        while (reader.Read())
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (!sawRoot)
            {
                sawRoot = true;
                if (reader.LocalName != "Manifest")
                {
                    throw new FormatException($"Not a DiskShadow manifest: the root element is <{reader.LocalName}>.");
                }

                continue;
            }

            switch (reader.LocalName)
            {
                case "ShadowCopySet":
                    setId = VssXml.GuidAttr(reader, "GUID");
                    machine = VssXml.Attr(reader, "MachineName");
                    break;
                case "ShadowCopy":
                    copies.Add(new DiskShadowCopy(
                        VssXml.GuidAttr(reader, "GUID") ?? Guid.Empty,
                        VssXml.Attr(reader, "Alias"),
                        VssXml.AttrOrEmpty(reader, "OriginalVolume"),
                        VssXml.GuidAttr(reader, "Provider")));
                    break;
                case "BackupComponents":
                    bcFile = VssXml.Attr(reader, "File");
                    break;
                case "Alias":
                    aliases[VssXml.AttrOrEmpty(reader, "Name")] = VssXml.AttrOrEmpty(reader, "Value");
                    break;
                case "Writers":
                    count = (int?)VssXml.Number(reader, "Count");
                    break;
                case "Writer":
                    writers.Add(new DiskShadowWriter(
                        VssXml.AttrOrEmpty(reader, "Name").Replace("%s", " ", StringComparison.Ordinal),
                        VssXml.AttrOrEmpty(reader, "MetadataFile")));
                    break;
                default:
                    break;
            }
        }

        if (!sawRoot)
        {
            throw new FormatException("The DiskShadow manifest is empty.");
        }

        return new DiskShadowManifest(setId, machine, copies, bcFile, writers)
        {
            Aliases = aliases,
            DeclaredWriterCount = count,
        };
    }
}

/// <summary>One shadow copy listed by a DiskShadow manifest.</summary>
/// <param name="Id">Shadow copy id.</param>
/// <param name="Alias">DiskShadow alias.</param>
/// <param name="OriginalVolume">Volume it was taken of.</param>
/// <param name="ProviderId">Provider id (all zero: default provider).</param>
internal sealed record DiskShadowCopy(Guid Id, string? Alias, string OriginalVolume, Guid? ProviderId);

/// <summary>One writer listed by a DiskShadow manifest.</summary>
/// <param name="Name">Writer name (DiskShadow writes spaces as <c>%s</c>; decoded here).</param>
/// <param name="MetadataFile">Path of its <c>WMn.xml</c> on the machine that made the cab; only the file name is meaningful elsewhere.</param>
internal sealed record DiskShadowWriter(string Name, string MetadataFile)
{
    /// <summary>The metadata file's name (the last segment of a Windows path).</summary>
    public string MetadataFileName
    {
        get
        {
            var cut = MetadataFile.LastIndexOfAny(['\\', '/']);
            return cut < 0 ? MetadataFile : MetadataFile[(cut + 1)..];
        }
    }
}
