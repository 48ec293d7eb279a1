using System.Reflection;
using EseBackupPlugin.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>A plugin the host has loaded.</summary>
/// <param name="Manifest">Its plugin.json.</param>
/// <param name="ContractVersion">The contract version both sides agreed on.</param>
/// <param name="Plugin">The entry object.</param>
internal sealed record LoadedPlugin(PluginManifest Manifest, Version ContractVersion, IBackupPlugin Plugin);

/// <summary>
/// Loads a plugin from its plugin.json: validate, negotiate the contract, load the entry assembly into an
/// isolated context, and create the entry type through dependency injection with the host's services.
/// </summary>
internal sealed class PluginLoader(ILogger<PluginLoader> logger)
{
    /// <summary>Loads the plugin described by <paramref name="manifestPath"/>.</summary>
    /// <param name="manifestPath">The plugin.json.</param>
    /// <param name="servicesForPlugin">
    /// Builds the services the entry type's constructor may ask for, given the validated manifest (for its
    /// configuration section): logger factory, configuration section, catalog.
    /// </param>
    /// <param name="hostContractVersions">Contract versions the host speaks; defaults to the contract assembly's.</param>
    /// <exception cref="PluginLoadException">Any step failed; the exception says which and why.</exception>
    public LoadedPlugin Load(string manifestPath, Func<PluginManifest, IServiceProvider> servicesForPlugin, IReadOnlyList<Version>? hostContractVersions = null)
    {
        ArgumentNullException.ThrowIfNull(servicesForPlugin);
        var manifest = PluginManifestReader.Read(manifestPath);
        var negotiated = PluginManifestReader.CheckCompatibility(manifest, hostContractVersions ?? Abstractions.ContractVersion.Supported);

        if (!File.Exists(manifest.AssemblyPath))
        {
            throw new PluginLoadException(
                PluginLoadErrorKind.AssemblyNotFound,
                manifest.Path,
                $"Plugin '{manifest.Id}': entry assembly '{manifest.AssemblyPath}' does not exist (field 'entry.assembly').",
                "entry.assembly");
        }

        var context = new PluginLoadContext(manifest.AssemblyPath);
        Assembly assembly;
        try
        {
            assembly = context.LoadFromAssemblyPath(manifest.AssemblyPath);
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or IOException)
        {
            throw new PluginLoadException(
                PluginLoadErrorKind.AssemblyNotFound,
                manifest.Path,
                $"Plugin '{manifest.Id}': entry assembly '{manifest.AssemblyPath}' cannot be loaded: {ex.Message}",
                "entry.assembly",
                ex);
        }

        var type = assembly.GetType(manifest.Entry.Type, throwOnError: false, ignoreCase: false)
            ?? throw new PluginLoadException(
                PluginLoadErrorKind.EntryTypeNotFound,
                manifest.Path,
                $"Plugin '{manifest.Id}': entry type '{manifest.Entry.Type}' is not in '{Path.GetFileName(manifest.AssemblyPath)}' (field 'entry.type').",
                "entry.type");

        if (!typeof(IBackupPlugin).IsAssignableFrom(type) || type.IsAbstract || type.IsInterface)
        {
            var why = type.GetInterfaces().Any(i => i.FullName == typeof(IBackupPlugin).FullName)
                ? "it implements a different copy of the contract assembly (the plugin folder must not ship its own)"
                : $"it does not implement {typeof(IBackupPlugin).FullName}";
            throw new PluginLoadException(
                PluginLoadErrorKind.EntryTypeNotAPlugin,
                manifest.Path,
                $"Plugin '{manifest.Id}': entry type '{manifest.Entry.Type}' cannot be used: {why} (field 'entry.type').",
                "entry.type");
        }

        IBackupPlugin plugin;
        try
        {
            plugin = (IBackupPlugin)ActivatorUtilities.CreateInstance(servicesForPlugin(manifest), type);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var cause = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            throw new PluginLoadException(
                PluginLoadErrorKind.EntryTypeNotConstructible,
                manifest.Path,
                $"Plugin '{manifest.Id}': entry type '{manifest.Entry.Type}' could not be created: {cause.Message}",
                "entry.type",
                cause);
        }

        logger.LogInformation("Loaded plugin {PluginId} {Version} (contract {Contract}) from {Path}", manifest.Id, manifest.Version, negotiated, manifest.AssemblyPath);
        return new LoadedPlugin(manifest, negotiated, plugin);
    }
}
