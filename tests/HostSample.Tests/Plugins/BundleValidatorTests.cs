using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Plugins;
using EseBackupPlugin.HostSample.Tests.Cli;

namespace EseBackupPlugin.HostSample.Tests.Plugins;

/// <summary>
/// <c>esebackup plugins --plugin-dir</c>: a bundle is valid only when plugin.json, the contract, the entry type and
/// every assembly reference hold, and no assembly the host shares is shipped in it. The plugin layout the build
/// makes (the same rules as the published bundle) is the valid case; each broken copy fails the one check it breaks.
/// </summary>
public class BundleValidatorTests
{
    [Fact]
    public void The_plugin_layout_the_build_makes_is_a_valid_bundle()
    {
        var report = BundleValidator.Validate(TestSupport.PluginFolder);
        Assert.True(report.Valid, string.Join("\n", report.Checks.Where(c => !c.Passed).Select(c => c.Name + ": " + c.Detail)));
        Assert.Equal(["schema", "contract", "entry", "shared", "references"], report.Checks.Select(c => c.Name).Where(n => !n.StartsWith("processModel:", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_shared_assembly_shipped_in_the_bundle_is_refused_by_name()
    {
        using var temp = new TempDir();
        var dir = Copy(temp);
        var shared = SharedAssemblies.All[1].Name + ".dll";
        File.Copy(Path.Combine(AppContext.BaseDirectory, shared), Path.Combine(dir, shared));

        var check = Failed(BundleValidator.Validate(dir), "shared");
        Assert.Contains(shared, check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_private_dependency_is_named_with_the_assembly_that_needs_it()
    {
        using var temp = new TempDir();
        var dir = Copy(temp);
        File.Delete(Path.Combine(dir, "Microsoft.Extensions.Configuration.Binder.dll"));

        var check = Failed(BundleValidator.Validate(dir), "references");
        Assert.Contains("EseBackupPlugin.Ese.dll references Microsoft.Extensions.Configuration.Binder", check.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_entry_type_that_is_not_there_fails_the_entry_check()
    {
        using var temp = new TempDir();
        var dir = Copy(temp, j => j["entry"]!["type"] = "EseBackupPlugin.Ese.NoSuchPlugin");
        Assert.Contains("EseBackupPlugin.Ese.NoSuchPlugin", Failed(BundleValidator.Validate(dir), "entry").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_contract_version_the_host_does_not_speak_fails_the_contract_check()
    {
        using var temp = new TempDir();
        var dir = Copy(temp, j => j["contract"]!["versions"] = new JsonArray("2.0"));
        Assert.Contains("contract.versions", Failed(BundleValidator.Validate(dir), "contract").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_plugin_json_against_the_schema_stops_the_check_at_once()
    {
        using var temp = new TempDir();
        var dir = Copy(temp, j => j.Remove("entry"));
        var report = BundleValidator.Validate(dir);
        Assert.Equal("schema", Assert.Single(report.Checks).Name);
        Assert.False(report.Valid);
    }

    [Fact]
    public async Task The_cli_exits_0_for_a_valid_bundle_and_4_for_a_broken_one()
    {
        var ok = await CliKit.RunAsync("plugins", "--plugin-dir", TestSupport.PluginFolder, "--json");
        Assert.True(ok.ExitCode == ExitCodes.Ok, ok.ToString());
        Assert.True((bool)JsonNode.Parse(ok.Out)!["valid"]!);

        using var temp = new TempDir();
        var dir = Copy(temp);
        File.Delete(Path.Combine(dir, "EseBackupPlugin.Ese.dll"));
        var bad = await CliKit.RunAsync("plugins", "--plugin-dir", dir);
        Assert.Equal(ExitCodes.PluginLoad, bad.ExitCode);
        Assert.Contains("FAILED", bad.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Version_prints_the_host_the_contract_and_the_plugin()
    {
        var run = await CliKit.RunAsync("--version");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var plugin = TestSupport.RepoPluginJson();
        Assert.Contains($"contract {ContractVersion.Id} {ContractVersion.Current.ToString(2)}", run.Out, StringComparison.Ordinal);
        Assert.Contains($"plugin {plugin["id"]} {plugin["version"]}", run.Out, StringComparison.Ordinal);
    }

    private static BundleCheck Failed(BundleReport report, string name)
    {
        Assert.False(report.Valid);
        var check = Assert.Single(report.Checks, c => c.Name == name);
        Assert.False(check.Passed, check.Detail);
        Assert.All(report.Checks.Where(c => c.Name != name), c => Assert.True(c.Passed, c.Name + ": " + c.Detail));
        return check;
    }

    private static string Copy(TempDir temp, Action<JsonObject>? edit = null) =>
        Path.GetDirectoryName(TestSupport.PluginCopy(temp, edit))!;
}
