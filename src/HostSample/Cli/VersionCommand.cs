using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using EseBackupPlugin.HostSample.Plugins;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// <c>esebackup --version</c>: the host's version, the plugin's (from its plugin.json, without loading its code) and
/// the contract versions on both sides, which is what a support case needs first.
/// </summary>
internal static class VersionCommand
{
    /// <summary>Replaces the root command's built-in version action (which prints only the host's version).</summary>
    public static void Install(RootCommand root, CliEnvironment env)
    {
        var option = root.Options.OfType<VersionOption>().Single();
        option.Action = new PrintVersions(env);
    }

    /// <summary>The lines <c>--version</c> prints, and whether the plugin's plugin.json could be read.</summary>
    public static (IReadOnlyList<string> Lines, bool PluginFound) Describe(string pluginManifestPath)
    {
        var lines = new List<string>
        {
            $"esebackup {InformationalVersion(typeof(VersionCommand).Assembly)}",
            $"contract {ContractVersion.Id} {ContractVersion.Current.ToString(2)} (host; {typeof(IBackupPlugin).Assembly.GetName().Name} {InformationalVersion(typeof(IBackupPlugin).Assembly)})",
        };
        try
        {
            var manifest = PluginManifestReader.Read(pluginManifestPath);
            lines.Add($"plugin {manifest.Id} {manifest.Version} (contract {manifest.Contract.Id} {string.Join(", ", manifest.Contract.Versions.Select(v => v.ToString(2)))}) from {manifest.Path}");
            return (lines, true);
        }
        catch (PluginLoadException ex)
        {
            lines.Add($"plugin: none usable at {pluginManifestPath}: {ex.Message}");
            return (lines, false);
        }
    }

    private static string InformationalVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? assembly.GetName().Version?.ToString() ?? "unknown";

    private sealed class PrintVersions(CliEnvironment env) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            // The same resolution as every command: --plugin, else Host:PluginManifest beside the host.
            var explicitPlugin = parseResult.GetValue<string?>("--plugin");
            var settings = HostConfiguration.ReadHostSettings(HostConfiguration.Build(parseResult.GetValue<string?>("--config")));
            var path = explicitPlugin is null ? settings.PluginManifest : Path.GetFullPath(explicitPlugin);
            var (lines, found) = Describe(path);
            foreach (var line in lines)
            {
                env.Out.WriteLine(line);
            }

            return found ? ExitCodes.Ok : ExitCodes.PluginLoad;
        }
    }
}
