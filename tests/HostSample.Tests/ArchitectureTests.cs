using ArchUnitNET.Domain;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using EseBackupPlugin.HostSample.Hosting;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using static ArchUnitNET.Fluent.Slices.SliceRuleDefinition;

namespace EseBackupPlugin.HostSample.Tests;

/// <summary>
/// DESIGN.md §3 for the sample host: it codes against the contract (and the worker's wire protocol, which is a
/// contract too), never against the plugin's internals or the worker itself, and its folders form no cycle.
/// </summary>
public class ArchitectureTests
{
    private static readonly Architecture Host = new ArchLoader().LoadAssemblies(typeof(HostWorkflow).Assembly).Build();

    [Fact]
    public void The_host_uses_the_contract_and_the_wire_protocol_only()
    {
        // EseBackupPlugin.Ese.* is the plugin, EseBackupPlugin.Worker the worker process; Worker.Protocol stays open.
        var plugin = Types().That().ResideInNamespaceMatching(@"^EseBackupPlugin\.(Ese(\..+)?|Worker)$").As("the plugin and the worker");
        Types().That().ResideInNamespaceMatching(@"^EseBackupPlugin\.HostSample(\..+)?$").Should().NotDependOnAny(plugin).Check(Host);
    }

    [Fact]
    public void No_namespace_of_the_host_is_part_of_a_cycle()
    {
        Slices().Matching("EseBackupPlugin.HostSample.(**)").Should().BeFreeOfCycles().Check(Host);
    }
}
