using System.Reflection;
using System.Runtime.Loader;

namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>
/// An isolated load context for one plugin. The plugin's own dependencies resolve from its folder (its
/// <c>.deps.json</c>), so two plugins may carry different versions of a library. Only the assemblies whose
/// types cross the boundary are shared with the host: the contract, and the Microsoft.Extensions
/// abstractions the entry type's constructor receives (logging, configuration, DI). Sharing them is what
/// makes the host's <c>ILoggerFactory</c> the same type as the one the plugin asks for. The list is the
/// contract's own (<see cref="Abstractions.SharedAssemblies"/>), so host, bundle check and docs cannot disagree.
/// </summary>
internal sealed class PluginLoadContext : AssemblyLoadContext
{
    private readonly AssemblyDependencyResolver _resolver;

    public PluginLoadContext(string pluginAssemblyPath)
        : base(name: "plugin:" + Path.GetFileNameWithoutExtension(pluginAssemblyPath), isCollectible: false)
    {
        _resolver = new AssemblyDependencyResolver(pluginAssemblyPath);
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        if (assemblyName.Name is { } name && Abstractions.SharedAssemblies.IsShared(name))
        {
            // Returning null defers to the default context: host and plugin see one copy of the type.
            return null;
        }

        var path = _resolver.ResolveAssemblyToPath(assemblyName);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        var path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
