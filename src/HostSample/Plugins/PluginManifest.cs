namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>The parsed <c>plugin.json</c>: what a host knows about a plugin before loading any of its code.</summary>
/// <param name="Path">Full path of the plugin.json file.</param>
/// <param name="ManifestVersion">Format version of plugin.json.</param>
/// <param name="Id">Plugin id.</param>
/// <param name="Name">Display name.</param>
/// <param name="Version">Plugin version.</param>
/// <param name="Description">One line.</param>
/// <param name="Contract">Contract id and versions.</param>
/// <param name="Entry">Assembly and entry type.</param>
/// <param name="Platforms">Operating systems and architectures.</param>
/// <param name="Capabilities">Declared capabilities.</param>
/// <param name="ProcessModels">How the plugin may be run.</param>
/// <param name="ConfigurationSection">Configuration section with the plugin's options.</param>
internal sealed record PluginManifest(
    string Path,
    int ManifestVersion,
    string Id,
    string? Name,
    string Version,
    string? Description,
    PluginContractRef Contract,
    PluginEntry Entry,
    IReadOnlyList<PluginPlatform> Platforms,
    PluginDeclaredCapabilities Capabilities,
    IReadOnlyList<PluginProcessModel> ProcessModels,
    string ConfigurationSection)
{
    /// <summary>Directory holding plugin.json; entry paths are relative to it.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(Path)!;

    /// <summary>Full path of the entry assembly.</summary>
    public string AssemblyPath => System.IO.Path.GetFullPath(System.IO.Path.Combine(Directory, Entry.Assembly));
}

/// <summary>The contract a plugin implements.</summary>
internal sealed record PluginContractRef(string Id, IReadOnlyList<Version> Versions);

/// <summary>Where the plugin's code is.</summary>
internal sealed record PluginEntry(string Assembly, string Type);

/// <summary>A platform the plugin runs on.</summary>
internal sealed record PluginPlatform(string Os, IReadOnlyList<string> Architectures);

/// <summary>Capabilities as declared in plugin.json (the loaded plugin reports the live ones).</summary>
internal sealed record PluginDeclaredCapabilities(IReadOnlyList<DeclaredTargetKind> TargetKinds, bool Verify, bool Restore, bool Inspect);

/// <summary>One declared target kind.</summary>
internal sealed record DeclaredTargetKind(string Kind, IReadOnlyList<string> Os, IReadOnlyList<string> BackupKinds, string? Truncation);

/// <summary>A process model (only <c>inProcess</c> is implemented).</summary>
internal sealed record PluginProcessModel(string Kind, bool IsDefault, string? Executable);
