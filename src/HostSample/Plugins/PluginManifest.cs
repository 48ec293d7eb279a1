namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>The parsed <c>plugin.json</c>: what a host knows about a plugin before loading any of its code.</summary>
/// <param name="Path">Full path of the plugin.json file.</param>
/// <param name="Id">Plugin id.</param>
/// <param name="Version">Plugin version.</param>
/// <param name="Contract">Contract id and versions.</param>
/// <param name="Entry">Assembly and entry type.</param>
/// <param name="Platforms">Operating systems and architectures.</param>
/// <param name="ProcessModels">How the plugin may be run.</param>
/// <param name="ConfigurationSection">Configuration section with the plugin's options.</param>
internal sealed record PluginManifest(
    string Path,
    string Id,
    string Version,
    PluginContractRef Contract,
    PluginEntry Entry,
    IReadOnlyList<PluginPlatform> Platforms,
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

/// <summary>A process model (only <c>inProcess</c> is implemented).</summary>
internal sealed record PluginProcessModel(string Kind, bool IsDefault, string? Executable);
