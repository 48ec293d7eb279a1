using System.Text.RegularExpressions;
using ArchUnitNET.Domain;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using static ArchUnitNET.Fluent.Slices.SliceRuleDefinition;

namespace EseBackupPlugin.Ese.Tests;

/// <summary>
/// The layering of DESIGN.md §3, read from the compiled plugin (every type reference in signatures, fields, attributes
/// and method bodies): Errors &lt;- Format &lt;- Engine &lt;- Sources/* &lt;- composition root; Samples beside the Engine on
/// Format; Windows/* used only by Sources/* and depending on nothing of the plugin; no namespace cycles. A new edge
/// against these rules fails here, naming the types on both ends.
/// </summary>
public class ArchitectureTests
{
    private const string Root = "EseBackupPlugin.Ese";

    private static readonly Architecture Plugin = new ArchLoader().LoadAssemblies(typeof(EsePlugin).Assembly).Build();

    /// <summary>
    /// Each layer (a namespace and everything below it) and the plugin namespaces it may use besides its own. Everything
    /// else of the plugin is forbidden to it, the composition root (<c>EseBackupPlugin.Ese</c>, <c>Composition</c>) too.
    /// The contract (<c>EseBackupPlugin.Abstractions</c>) and the BCL are open to every layer.
    /// </summary>
    public static TheoryData<string, string[]> Layers => new()
    {
        // The JetErr enum and its table: a leaf.
        { "Errors", [] },
        // On-disk structures: spans in, records out.
        { "Format", ["Errors"] },
        // Synthetic sets are written with the format's own structures, nothing else.
        { "Samples", ["Format", "Errors"] },
        // The engine never knows which source it runs on, nor the native layer.
        { "Engine", ["Format", "Errors"] },
        // Sources hand the engine its port types and build on the one two-phase mechanism (Engine.TwoPhase) and the
        // engine's target-copy and lock helpers; they never reach the copier, staging, restore or verification.
        { "Sources", ["Engine.Ports", "Engine.TwoPhase", "Engine.Locking", "Format", "Errors", "Windows"] },
        // The native layer depends on nothing of the plugin: raw imports return plain ints and HRESULTs.
        { "Windows", [] },
    };

    [Theory]
    [MemberData(nameof(Layers))]
    public void Each_layer_uses_only_the_layers_below_it(string layer, string[] allowed)
    {
        var forbidden = Types().That().ResideInNamespaceMatching(ForbiddenFor(layer, allowed)).As($"plugin types outside {layer} and [{string.Join(", ", allowed)}]");
        Types().That().ResideInNamespaceMatching(Below(layer)).Should().NotDependOnAny(forbidden).Check(Plugin);
    }

    /// <summary>Each source and each native binding, with its siblings (sources share code through Sources itself).</summary>
    public static TheoryData<string, string> Siblings => new()
    {
        { "Sources.FileSet", "Sources.Esent" }, { "Sources.FileSet", "Sources.Vss" },
        { "Sources.Esent", "Sources.FileSet" }, { "Sources.Esent", "Sources.Vss" },
        { "Sources.Vss", "Sources.FileSet" }, { "Sources.Vss", "Sources.Esent" },
        { "Windows.Esent", "Windows.Vss" }, { "Windows.Vss", "Windows.Esent" },
    };

    [Theory]
    [MemberData(nameof(Siblings))]
    public void Siblings_do_not_use_each_other(string folder, string sibling)
    {
        var other = Types().That().ResideInNamespaceMatching(Below(sibling)).As(sibling);
        Types().That().ResideInNamespaceMatching(Below(folder)).Should().NotDependOnAny(other).Check(Plugin);
    }

    [Fact]
    public void The_sibling_table_covers_every_source_and_native_binding()
    {
        // A new folder under Sources/ or Windows/ must join the table above.
        var folders = Plugin.Namespaces.Select(n => n.FullName)
            .Select(n => Regex.Match(n, $@"^{Regex.Escape(Root)}\.((Sources|Windows)\.[^.]+)"))
            .Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Order().ToList();
        Assert.Equal(Siblings.Select(row => (string)row[0]).Distinct().Order(), folders);
    }

    [Fact]
    public void No_namespace_of_the_plugin_is_part_of_a_cycle()
    {
        // Every namespace is its own slice (Sources.Vss, Sources.Vss.Requester, ... separately), so a cycle between a
        // folder and its subfolder counts as well; the root namespace is covered by the layer rules, which forbid it.
        Slices().Matching(Root + ".(**)").Should().BeFreeOfCycles().Check(Plugin);
    }

    [Fact]
    public void Windows_only_code_is_called_only_from_sources_and_the_composition_root()
    {
        // Stated from the callee's side as well, so a new layer added later is covered without editing the table.
        var callers = Types().That().ResideInNamespaceMatching($@"^{Regex.Escape(Root)}\.(?!(Windows|Sources|Composition)(\.|$)).+$");
        callers.Should().NotDependOnAny(Types().That().ResideInNamespaceMatching(Below("Windows"))).Check(Plugin);
    }

    [Fact]
    public void The_layer_table_covers_every_namespace_of_the_plugin()
    {
        // A namespace outside every layer would escape the rules above; the composition root is the only one allowed to.
        string[] layers = [.. Layers.Select(row => (string)row[0]), "Composition"];
        var stray = Plugin.Namespaces.Select(n => n.FullName)
            .Where(n => n.StartsWith(Root + ".", StringComparison.Ordinal))
            .Where(n => !layers.Any(l => Regex.IsMatch(n, Below(l))))
            .ToList();
        Assert.Empty(stray);
    }

    /// <summary>The namespace <paramref name="layer"/> and everything below it.</summary>
    private static string Below(string layer) => $@"^{Regex.Escape(Root + "." + layer)}(\..+)?$";

    /// <summary>Plugin namespaces outside <paramref name="layer"/> and <paramref name="allowed"/>, the root one included.</summary>
    private static string ForbiddenFor(string layer, string[] allowed)
    {
        var open = string.Join("|", allowed.Append(layer).Select(Regex.Escape));
        return $@"^{Regex.Escape(Root)}(?!\.({open})(\.|$))(\..+)?$";
    }
}
