using ArchUnitNET.Domain;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace EseBackupPlugin.Worker.Tests;

/// <summary>
/// DESIGN.md §3 for the worker: it hosts the plugin through its composition root (the entry type in
/// <c>EseBackupPlugin.Ese</c>) like any host, so it never reaches a layer inside the plugin; the wire protocol knows
/// nothing of the plugin at all.
/// </summary>
public class ArchitectureTests
{
    // The worker is an executable the tests run, not a referenced assembly: read it from where the build put it.
    private static readonly Architecture Worker = new ArchLoader()
        .LoadFilteredDirectory(Path.GetDirectoryName(TestSupport.WorkerExecutable)!, "EseBackupPlugin.Worker*.dll")
        .Build();

    [Fact]
    public void The_worker_reaches_the_plugin_through_its_composition_root_only()
    {
        var inside = Types().That().ResideInNamespaceMatching(@"^EseBackupPlugin\.Ese\..+$").As("plugin layers below the composition root");
        Types().That().ResideInNamespaceMatching(@"^EseBackupPlugin\.Worker$").Should().NotDependOnAny(inside).Check(Worker);
    }

    [Fact]
    public void The_wire_protocol_knows_nothing_of_the_plugin()
    {
        var plugin = Types().That().ResideInNamespaceMatching(@"^EseBackupPlugin\.Ese(\..+)?$").As("the plugin");
        Types().That().ResideInNamespaceMatching(@"^EseBackupPlugin\.Worker\.Protocol(\..+)?$").Should().NotDependOnAny(plugin).Check(Worker);
    }

    [Fact]
    public void The_worker_assemblies_were_found()
    {
        // The rules above pass vacuously on an empty load; make sure both assemblies were read.
        Assert.Contains(Worker.Assemblies, a => a.Name == "EseBackupPlugin.Worker" && !a.IsOnlyReferenced);
        Assert.Contains(Worker.Assemblies, a => a.Name == "EseBackupPlugin.Worker.Protocol" && !a.IsOnlyReferenced);
    }
}
