using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>
/// What one backup of one writer component involves (reference §4 step 8 and §11.3): the components to add
/// explicitly, the components whose files are copied, and the directories whose volumes must be shadow-copied.
/// </summary>
/// <param name="Writer">The writer's metadata as gathered now.</param>
/// <param name="Known">What kind of ESE writer it is.</param>
/// <param name="InstanceId">Writer instance id (from GetWriterMetadata).</param>
/// <param name="Target">The target's component.</param>
/// <param name="Explicit">Components passed to AddComponent (and later SetBackupSucceeded).</param>
/// <param name="WithFiles">Components whose file specifications are copied (explicit ones and everything below them).</param>
internal sealed record VssBackupPlan(
    VssWriterMetadata Writer,
    KnownEseWriter Known,
    Guid InstanceId,
    VssWriterComponent Target,
    IReadOnlyList<VssWriterComponent> Explicit,
    IReadOnlyList<VssWriterComponent> WithFiles)
{
    /// <summary>The components as the requester adds them.</summary>
    public IReadOnlyList<VssSelectedComponent> Selection =>
        Explicit.Select(c => new VssSelectedComponent(InstanceId, Writer.WriterId, Writer.FriendlyName, c.Type, c.LogicalPath, c.Name)).ToArray();

    /// <summary>Every directory a copied file specification points at (environment variables expanded).</summary>
    public IReadOnlyList<string> Directories =>
        WithFiles.SelectMany(c => c.DatabaseFiles.Concat(c.LogFiles).Concat(c.Files))
            .Select(d => VssPaths.TrimTrailingSeparators(VssPaths.Expand(d.Path)))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .ToArray();

    /// <summary>
    /// Plans the backup of component (<paramref name="logicalPath"/>, <paramref name="name"/>):
    /// the component itself, plus every non-selectable component without a selectable ancestor (mandatory
    /// whenever the writer takes part) that is not already below an added one. Returns null when the writer
    /// has no such component.
    /// </summary>
    public static VssBackupPlan? Create(VssWriterMetadata writer, KnownEseWriter known, Guid instanceId, string logicalPath, string name)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(known);
        var target = writer.Components.FirstOrDefault(c =>
            c.LogicalPath.Equals(logicalPath ?? "", StringComparison.OrdinalIgnoreCase) && c.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (target is null)
        {
            return null;
        }

        var explicitList = new List<VssWriterComponent> { target };
        foreach (var c in writer.Components)
        {
            var ancestors = writer.Components.Where(a => !ReferenceEquals(a, c) && a.IsAncestorOf(c)).ToList();
            var mandatory = !c.Selectable && !ancestors.Any(a => a.Selectable);
            var covered = explicitList.Any(e => ReferenceEquals(e, c) || e.IsAncestorOf(c));
            if (mandatory && !covered && !ancestors.Any(a => !a.Selectable))
            {
                explicitList.Add(c);
            }
        }

        var withFiles = writer.Components.Where(c => explicitList.Any(e => ReferenceEquals(e, c) || e.IsAncestorOf(c))).ToArray();
        return new VssBackupPlan(writer, known, instanceId, target, explicitList, withFiles);
    }
}
