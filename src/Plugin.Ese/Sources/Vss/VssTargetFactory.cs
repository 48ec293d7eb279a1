using System.Security.Cryptography;
using System.Text;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>
/// Turns the components of a recognised ESE writer into discovery targets (<see cref="TargetKind.VssWriter"/>).
/// A component is a target when it declares at least one ESE database file.
/// </summary>
internal static class VssTargetFactory
{
    /// <summary>The stable target id: derived from writer class id and component logical path and name, never from a path on disk.</summary>
    public static string TargetId(Guid writerId, string logicalPath, string componentName)
    {
        var key = writerId.ToString("D") + "\n" + (logicalPath ?? "").ToUpperInvariant() + "\n" + componentName.ToUpperInvariant();
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return TargetIdPrefix + Convert.ToHexStringLower(hash.AsSpan(0, 12));
    }

    /// <summary>Every VSS target id starts with this.</summary>
    public const string TargetIdPrefix = "vss-";

    /// <summary>The database file specifications of a component (empty when it holds no ESE database).</summary>
    public static IReadOnlyList<VssFileDescriptor> DatabaseDescriptors(VssWriterComponent component, KnownEseWriter writer)
    {
        ArgumentNullException.ThrowIfNull(component);
        ArgumentNullException.ThrowIfNull(writer);
        var list = new List<VssFileDescriptor>(component.DatabaseFiles);
        foreach (var file in component.Files)
        {
            var isLogSide = EseFileNames.IsLogSpec(file.FileSpec) || EseFileNames.IsCheckpointSpec(file.FileSpec)
                || file.FileSpec.EndsWith(".jrs", StringComparison.OrdinalIgnoreCase);
            if (EseFileNames.IsDatabaseSpec(file.FileSpec) || (writer.FileGroupFilesAreDatabases && !isLogSide))
            {
                list.Add(file);
            }
        }

        return list;
    }

    /// <summary>Log and checkpoint specifications of a component (database log files, plus file-group logs).</summary>
    public static IReadOnlyList<VssFileDescriptor> LogDescriptors(VssWriterComponent component)
    {
        ArgumentNullException.ThrowIfNull(component);
        var list = new List<VssFileDescriptor>(component.LogFiles);
        list.AddRange(component.Files.Where(f => EseFileNames.IsLogSpec(f.FileSpec) || EseFileNames.IsCheckpointSpec(f.FileSpec)));
        return list;
    }

    /// <summary>Builds the targets of one writer; empty for writers that are not ESE-based or hold no ESE data.</summary>
    public static IReadOnlyList<BackupTarget> CreateTargets(VssWriterMetadata writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var known = EseWriterCatalog.Recognize(writer);
        if (known is null || !known.HoldsEseData)
        {
            return [];
        }

        var targets = new List<BackupTarget>();
        foreach (var component in writer.Components)
        {
            var databases = DatabaseDescriptors(component, known);
            if (databases.Count == 0)
            {
                continue;
            }

            targets.Add(CreateTarget(writer, known, component, databases));
        }

        return targets;
    }

    /// <summary>Backup kinds the writer's schema allows: full and copy always; incremental when declared.</summary>
    public static IReadOnlyList<BackupKind> SupportedKinds(VssBackupSchema schema) =>
        (schema & VssBackupSchema.Incremental) != 0
            ? [BackupKind.Full, BackupKind.Incremental, BackupKind.Copy]
            : [BackupKind.Full, BackupKind.Copy];

    private static BackupTarget CreateTarget(VssWriterMetadata writer, KnownEseWriter known, VssWriterComponent component, IReadOnlyList<VssFileDescriptor> databases)
    {
        var logs = LogDescriptors(component);
        TargetLogSet? logSet = null;
        string? checkpoint = null;
        foreach (var spec in logs)
        {
            var dir = VssPaths.Expand(spec.Path);
            if (EseFileNames.IsCheckpointSpec(spec.FileSpec) && !EseFileNames.HasWildcards(spec.FileSpec))
            {
                checkpoint ??= VssPaths.Join(dir, spec.FileSpec);
            }
            else if (EseFileNames.IsLogSpec(spec.FileSpec) && logSet is null)
            {
                logSet = new TargetLogSet(VssPaths.TrimTrailingSeparators(dir), EseFileNames.LogBaseNameOf(spec.FileSpec) ?? "");
            }
        }

        var who = writer.InstanceName is { Length: > 0 } instance && !writer.FriendlyName.Contains(instance, StringComparison.OrdinalIgnoreCase)
            ? $"{writer.FriendlyName} ({instance})"
            : writer.FriendlyName;

        return new BackupTarget
        {
            Id = TargetId(writer.WriterId, component.LogicalPath, component.Name),
            Kind = TargetKind.VssWriter,
            DisplayName = $"{who}: {component.FullName}",
            Location = component.FullName,
            Databases = databases.Select(d => new TargetDatabase(VssPaths.Join(VssPaths.Expand(d.Path), d.FileSpec))).ToArray(),
            Logs = logSet,
            CheckpointPath = checkpoint,
            SupportedBackupKinds = SupportedKinds(writer.BackupSchema),
            Vss = new VssComponentInfo(writer.WriterId, writer.FriendlyName, component.LogicalPath, component.Name)
            {
                WriterInstanceId = writer.InstanceId == Guid.Empty ? null : writer.InstanceId,
                WriterInstanceName = writer.InstanceName,
                Selectable = component.Selectable,
            },
        };
    }
}
