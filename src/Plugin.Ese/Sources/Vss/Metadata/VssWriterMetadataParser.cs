using System.Xml;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>
/// Streaming parser for Writer Metadata Documents (reference §11.2). One forward pass with an
/// <see cref="XmlReader"/>: element order, line ends and attribute layout do not matter, and memory
/// stays proportional to the facts kept (repeated directory strings are shared), never to a DOM.
/// Accepts a whole <c>WRITER_METADATA</c> document or a bare <c>BACKUP_LOCATIONS</c> fragment.
/// </summary>
internal static class VssWriterMetadataParser
{
    /// <summary>Parses a document held in a string (what SaveAsXML returns).</summary>
    public static VssWriterMetadata Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return Parse(new StringReader(xml), identityOnly: false);
    }

    /// <summary>Parses a stored document, detecting its encoding.</summary>
    public static VssWriterMetadata ParseFile(string path) => Parse(VssXml.OpenFile(path), identityOnly: false);

    /// <summary>
    /// Reads only the root and <c>IDENTIFICATION</c> (which real documents put first), for a cheap look at
    /// writers that turn out not to matter. Falls back to a whole pass when identification comes late.
    /// </summary>
    public static VssWriterMetadata ParseIdentity(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        return Parse(new StringReader(xml), identityOnly: true);
    }

    /// <summary>Parses a document from a text reader (the reader is disposed).</summary>
    public static VssWriterMetadata Parse(TextReader text, bool identityOnly)
    {
        ArgumentNullException.ThrowIfNull(text);
        using var reader = XmlReader.Create(text, VssXml.ReaderSettings);
        var state = new ParseState();
        var sawRoot = false;

        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.EndElement)
            {
                if (reader.LocalName is "FILE_GROUP" or "DATABASE")
                {
                    state.EndComponent();
                }

                continue;
            }

            if (reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (!sawRoot)
            {
                sawRoot = true;
                if (reader.LocalName == "WRITER_METADATA")
                {
                    state.DocumentVersion = VssXml.Attr(reader, "version");
                    state.BackupSchema = (VssBackupSchema)(VssXml.Number(reader, "backupSchema") ?? 0);
                    continue;
                }

                if (reader.LocalName != "BACKUP_LOCATIONS")
                {
                    throw new FormatException($"Not a writer metadata document: the root element is <{reader.LocalName}>.");
                }
            }

            if (ReadElement(reader, state, identityOnly))
            {
                return state.Build();
            }
        }

        if (!sawRoot)
        {
            throw new FormatException("The writer metadata document is empty.");
        }

        if (state.HasOpenComponent)
        {
            throw new FormatException("The writer metadata document ends inside a component.");
        }

        return state.Build();
    }

    /// <summary>Reads one element into <paramref name="state"/>; true when an identity-only parse has what it needs.</summary>
    private static bool ReadElement(XmlReader reader, ParseState state, bool identityOnly)
    {
        switch (reader.LocalName)
        {
            case "IDENTIFICATION":
                state.ReadIdentification(reader);
                if (identityOnly)
                {
                    return true;
                }

                break;
            case "RESTORE_METHOD":
                state.ReadRestoreMethod(reader);
                break;
            case "ALTERNATE_LOCATION_MAPPING":
                state.AlternateLocations.Add(state.ReadDescriptor(reader));
                break;
            case "FILE_GROUP":
            case "DATABASE":
                state.BeginComponent(reader);
                if (reader.IsEmptyElement)
                {
                    state.EndComponent();
                }

                break;
            case "FILE_LIST":
                state.Current(reader).Files.Add(state.ReadDescriptor(reader));
                break;
            case "DATABASE_FILES":
                state.Current(reader).DatabaseFiles.Add(state.ReadDescriptor(reader));
                break;
            case "DATABASE_LOGFILES":
                state.Current(reader).LogFiles.Add(state.ReadDescriptor(reader));
                break;
            case "DEPENDENCY":
                state.Current(reader).Dependencies.Add(new VssComponentDependency(
                    VssXml.GuidAttr(reader, "writerId") ?? Guid.Empty,
                    VssXml.AttrOrEmpty(reader, "logicalPath"),
                    VssXml.AttrOrEmpty(reader, "componentName")));
                break;
            case "EXCLUDE_FILES":
                state.ExcludeFiles.Add(state.ReadDescriptor(reader));
                break;
            case "EXCLUDE_FILES_FROM_SNAPSHOT":
                state.ExcludeFromSnapshot.Add(state.ReadDescriptor(reader));
                break;
            default:
                // BACKUP_LOCATIONS, INCLUDE_FILES (reserved) and anything newer: nothing to keep.
                break;
        }

        return false;
    }

    internal static VssUsageType ParseUsage(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "BOOTABLE_SYSTEM_STATE" => VssUsageType.BootableSystemState,
        "SYSTEM_SERVICE" => VssUsageType.SystemService,
        "USER_DATA" => VssUsageType.UserData,
        "OTHER" => VssUsageType.Other,
        _ => VssUsageType.Undefined,
    };

    internal static VssSourceType ParseSource(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "TRANSACTION_DB" => VssSourceType.TransactedDb,
        "NONTRANSACTION_DB" => VssSourceType.NonTransactedDb,
        "OTHER" => VssSourceType.Other,
        _ => VssSourceType.Undefined,
    };

    internal static VssRestoreMethod ParseRestoreMethod(string? text) => text?.Trim().ToUpperInvariant() switch
    {
        "RESTORE_IF_NOT_THERE" => VssRestoreMethod.RestoreIfNotThere,
        "RESTORE_IF_CAN_BE_REPLACED" => VssRestoreMethod.RestoreIfCanReplace,
        "STOP_RESTART_SERVICE" => VssRestoreMethod.StopRestoreStart,
        "RESTORE_TO_ALTERNATE_LOCATION" => VssRestoreMethod.RestoreToAlternateLocation,
        "REPLACE_AT_REBOOT" => VssRestoreMethod.RestoreAtReboot,
        "REPLACE_AT_REBOOT_IF_CANNOT_REPLACE" => VssRestoreMethod.RestoreAtRebootIfCannotReplace,
        "CUSTOM" => VssRestoreMethod.Custom,
        "RESTORE_STOP_START" => VssRestoreMethod.RestoreStopStart,
        _ => VssRestoreMethod.Undefined,
    };

    internal static VssWriterRestore ParseWriterRestore(string? text)
    {
        var value = text?.Trim() ?? "";
        if (value.Equals("never", StringComparison.OrdinalIgnoreCase))
        {
            return VssWriterRestore.Never;
        }

        if (value.Equals("always", StringComparison.OrdinalIgnoreCase))
        {
            return VssWriterRestore.Always;
        }

        return value.Contains("fail", StringComparison.OrdinalIgnoreCase) ? VssWriterRestore.IfReplaceFails : VssWriterRestore.Undefined;
    }

    private sealed class ComponentBuilder(VssComponentType type, string logicalPath, string name)
    {
        public VssComponentType Type { get; } = type;

        public string LogicalPath { get; } = logicalPath;

        public string Name { get; } = name;

        public string? Caption { get; init; }

        public bool RestoreMetadata { get; init; }

        public bool Notify { get; init; }

        public bool Selectable { get; init; }

        public bool SelectableForRestore { get; init; }

        public VssComponentFlags Flags { get; init; }

        public List<VssFileDescriptor> Files { get; } = [];

        public List<VssFileDescriptor> DatabaseFiles { get; } = [];

        public List<VssFileDescriptor> LogFiles { get; } = [];

        public List<VssComponentDependency> Dependencies { get; } = [];

        public VssWriterComponent Build() => new(Type, LogicalPath, Name)
        {
            Caption = Caption,
            RestoreMetadata = RestoreMetadata,
            NotifyOnBackupComplete = Notify,
            Selectable = Selectable,
            SelectableForRestore = SelectableForRestore,
            Flags = Flags,
            Files = Files.ToArray(),
            DatabaseFiles = DatabaseFiles.ToArray(),
            LogFiles = LogFiles.ToArray(),
            Dependencies = Dependencies.ToArray(),
        };
    }

    private sealed class ParseState
    {
        private readonly Dictionary<string, string> _pool = new(StringComparer.Ordinal);
        private readonly List<VssWriterComponent> _components = [];
        private ComponentBuilder? _current;
        private VssWriterMetadata _identity = new();
        private VssRestoreMethodInfo? _restore;

        public string? DocumentVersion { get; set; }

        public VssBackupSchema BackupSchema { get; set; }

        public bool HasOpenComponent => _current is not null;

        public List<VssFileDescriptor> ExcludeFiles { get; } = [];

        public List<VssFileDescriptor> ExcludeFromSnapshot { get; } = [];

        public List<VssFileDescriptor> AlternateLocations { get; } = [];

        public void ReadIdentification(XmlReader reader)
        {
            _identity = new VssWriterMetadata
            {
                WriterId = VssXml.GuidAttr(reader, "writerId") ?? Guid.Empty,
                InstanceId = VssXml.GuidAttr(reader, "instanceId") ?? Guid.Empty,
                InstanceName = VssXml.Attr(reader, "instanceName"),
                FriendlyName = VssXml.AttrOrEmpty(reader, "friendlyName"),
                Usage = ParseUsage(VssXml.Attr(reader, "usage")),
                DataSource = ParseSource(VssXml.Attr(reader, "dataSource")),
                MajorVersion = (int)(VssXml.Number(reader, "majorVersion") ?? 0),
                MinorVersion = (int)(VssXml.Number(reader, "minorVersion") ?? 0),
            };
        }

        public void ReadRestoreMethod(XmlReader reader)
        {
            var method = VssXml.AttrOrEmpty(reader, "method");
            _restore = new VssRestoreMethodInfo(
                ParseRestoreMethod(method),
                method,
                ParseWriterRestore(VssXml.Attr(reader, "writerRestore")),
                VssXml.Bool(reader, "rebootRequired") ?? false)
            {
                Service = VssXml.Attr(reader, "service"),
                UserProcedure = VssXml.Attr(reader, "userProcedure"),
            };
        }

        public void BeginComponent(XmlReader reader)
        {
            if (_current is not null)
            {
                throw new FormatException($"Component '{_current.Name}' contains another component.");
            }

            var type = reader.LocalName == "DATABASE" ? VssComponentType.Database : VssComponentType.FileGroup;
            _current = new ComponentBuilder(type, VssXml.AttrOrEmpty(reader, "logicalPath"), VssXml.AttrOrEmpty(reader, "componentName"))
            {
                Caption = VssXml.Attr(reader, "caption"),
                RestoreMetadata = VssXml.Bool(reader, "restoreMetadata") ?? false,
                Notify = VssXml.Bool(reader, "notifyOnBackupComplete") ?? false,
                Selectable = VssXml.Bool(reader, "selectable") ?? false,
                SelectableForRestore = VssXml.Bool(reader, "selectableForRestore") ?? false,
                Flags = (VssComponentFlags)(VssXml.Number(reader, "componentFlags") ?? 0),
            };
        }

        public void EndComponent()
        {
            if (_current is not null)
            {
                _components.Add(_current.Build());
                _current = null;
            }
        }

        public ComponentBuilder Current(XmlReader reader) =>
            _current ?? throw new FormatException($"<{reader.LocalName}> appears outside a component.");

        public VssFileDescriptor ReadDescriptor(XmlReader reader)
        {
            var alternate = VssXml.Attr(reader, "alternatePath");
            return new VssFileDescriptor(
                Pool(VssXml.AttrOrEmpty(reader, "path")),
                VssXml.AttrOrEmpty(reader, "filespec"),
                VssXml.Bool(reader, "recursive") ?? false)
            {
                AlternatePath = alternate is null ? null : Pool(alternate),
                BackupTypeMask = (VssFileSpecBackupType)(VssXml.Number(reader, "filespecBackupType") ?? 0),
            };
        }

        public VssWriterMetadata Build() => _identity with
        {
            DocumentVersion = DocumentVersion,
            BackupSchema = BackupSchema,
            RestoreMethod = _restore,
            Components = _components.ToArray(),
            ExcludeFiles = ExcludeFiles.ToArray(),
            ExcludeFromSnapshot = ExcludeFromSnapshot.ToArray(),
            AlternateLocationMappings = AlternateLocations.ToArray(),
        };

        private string Pool(string value)
        {
            if (_pool.TryGetValue(value, out var pooled))
            {
                return pooled;
            }

            _pool[value] = value;
            return value;
        }
    }
}
