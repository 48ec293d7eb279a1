using System.Reflection;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.HostSample.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Tests.Plugins;

/// <summary>
/// The contract's list of shared assemblies is the one the host loader uses, covers every type the entry type's
/// constructor receives, and the host meets every version floor.
/// </summary>
public class SharedAssembliesTests
{
    [Fact]
    public void Every_type_the_entry_constructor_receives_comes_from_a_shared_assembly()
    {
        // What PluginLoader hands to ActivatorUtilities: ILoggerFactory, IConfiguration, IBackupCatalog (and the
        // IServiceProvider that carries them). IConfiguration exposes IChangeToken from Primitives.
        Type[] crossing = [typeof(ILoggerFactory), typeof(IConfiguration), typeof(IBackupCatalog), typeof(ActivatorUtilities), typeof(Microsoft.Extensions.Primitives.IChangeToken)];
        var names = crossing.Select(t => t.Assembly.GetName().Name!).Distinct().ToList();
        Assert.All(names, n => Assert.True(SharedAssemblies.IsShared(n), n + " crosses the boundary but is not shared"));
    }

    [Fact]
    public void The_host_supplies_every_shared_assembly_at_or_above_its_floor()
    {
        foreach (var shared in SharedAssemblies.All)
        {
            var loaded = Assembly.Load(new AssemblyName(shared.Name));
            Assert.True(shared.IsSatisfiedBy(loaded.GetName().Version!), $"{shared.Name} {loaded.GetName().Version} is below the floor {shared.MinimumVersion}");
        }
    }

    [Fact]
    public void The_plugin_load_context_defers_exactly_the_shared_assemblies_to_the_host()
    {
        var context = new PluginLoadContext(Path.Combine(TestSupport.PluginFolder, "EseBackupPlugin.Ese.dll"));
        foreach (var shared in SharedAssemblies.All)
        {
            var fromPlugin = context.LoadFromAssemblyName(new AssemblyName(shared.Name));
            Assert.Same(System.Runtime.Loader.AssemblyLoadContext.Default, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(fromPlugin));
        }

        // A private dependency of the plugin resolves from the plugin folder, into the plugin's own context.
        var binder = context.LoadFromAssemblyName(new AssemblyName("Microsoft.Extensions.Configuration.Binder"));
        Assert.Same(context, System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(binder));
    }

    [Fact]
    public void The_msbuild_copy_of_the_list_matches_the_contract()
    {
        // Bundle and host layout drop shared assemblies by SharedAssemblies.props; it must say what the code says.
        var props = System.Xml.Linq.XDocument.Load(Path.Combine(TestSupport.RepoRoot, "src", "Plugin.Abstractions", "SharedAssemblies.props"));
        var fromProps = props.Descendants("EseSharedAssembly")
            .Select(e => (Name: (string)e.Attribute("Include")!, Floor: Version.Parse((string)e.Attribute("MinimumVersion")!)))
            .ToList();
        Assert.Equal(SharedAssemblies.All.Select(a => (a.Name, a.MinimumVersion)), fromProps);
    }
}
