using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Worker.Protocol.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>
/// Runs the plugin out of process: plugin.json is validated as for loading, its <c>outOfProcess</c> entry names the
/// worker executable (inside the plugin folder), and the worker gets the plugin's configuration section as JSON.
/// The result is an <c>IBackupPlugin</c> proxy, so every command works unchanged.
/// </summary>
internal static class WorkerLauncher
{
    public static LoadedPlugin Start(string manifestPath, IConfiguration configuration, IBackupCatalog catalog, ILoggerFactory loggerFactory)
    {
        var manifest = PluginManifestReader.Read(manifestPath);
        var negotiated = PluginManifestReader.CheckCompatibility(manifest, Abstractions.ContractVersion.Supported);
        var model = manifest.ProcessModels.FirstOrDefault(m => m.Kind == "outOfProcess" && m.Executable is not null)
            ?? throw new PluginLoadException(PluginLoadErrorKind.ManifestInvalid, manifest.Path, $"Plugin '{manifest.Id}' declares no outOfProcess process model with an executable (field 'processModels').", "processModels");
        var executable = ResolveExecutable(manifest, model.Executable!);
        var startInfo = new WorkerStartInfo(executable)
        {
            HostName = "esebackup",
            HostVersion = typeof(WorkerLauncher).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Configuration = ToJson(configuration.GetSection(manifest.ConfigurationSection)),
        };
        try
        {
            var plugin = WorkerPlugin.StartAsync(startInfo, catalog, loggerFactory).GetAwaiter().GetResult();
            return new LoadedPlugin(manifest, Version.Parse(plugin.Initialization.ContractVersion), plugin);
        }
        catch (WorkerStartException ex)
        {
            throw new PluginLoadException(PluginLoadErrorKind.EntryTypeNotConstructible, manifest.Path, $"Plugin '{manifest.Id}': {ex.Message}", "processModels", ex);
        }
    }

    private static string ResolveExecutable(PluginManifest manifest, string relative)
    {
        var full = Path.GetFullPath(Path.Combine(manifest.Directory, relative));
        var folder = Path.GetFullPath(manifest.Directory) + Path.DirectorySeparatorChar;
        if (!full.StartsWith(folder, StringComparison.Ordinal))
        {
            throw new PluginLoadException(PluginLoadErrorKind.ManifestInvalid, manifest.Path, $"Plugin manifest '{manifest.Path}' is invalid: the worker executable must stay inside the plugin folder.", "processModels");
        }

        foreach (var candidate in OperatingSystem.IsWindows() ? new[] { full + ".exe", full } : [full])
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new PluginLoadException(PluginLoadErrorKind.AssemblyNotFound, manifest.Path, $"Plugin '{manifest.Id}': worker executable '{full}' does not exist (field 'processModels').", "processModels");
    }

    /// <summary>A configuration section as the JSON object the worker's <c>initialize</c> takes (values stay strings).</summary>
    public static JsonObject ToJson(IConfiguration section)
    {
        var o = new JsonObject();
        foreach (var child in section.GetChildren())
        {
            o[child.Key] = child.Value is { } value && !child.GetChildren().Any() ? JsonValue.Create(value) : ToJson(child);
        }

        return o;
    }
}
