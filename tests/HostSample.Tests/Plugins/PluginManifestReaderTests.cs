using System.Text.Json.Nodes;
using EseBackupPlugin.HostSample.Plugins;

namespace EseBackupPlugin.HostSample.Tests.Plugins;

public class PluginManifestReaderTests
{
    private static PluginLoadException Refused(Action<JsonObject> edit)
    {
        using var temp = new TempDir();
        var path = TestSupport.PluginCopy(temp, edit, copyAssemblies: false);
        return Assert.Throws<PluginLoadException>(() => PluginManifestReader.Read(path));
    }

    [Fact]
    public void The_shipped_plugin_json_is_valid()
    {
        var m = PluginManifestReader.Read(Path.Combine(TestSupport.RepoRoot, "plugin.json"));
        Assert.Equal("esebackup.ese", m.Id);
        Assert.Equal("EseBackupPlugin.Ese.dll", m.Entry.Assembly);
        Assert.Equal("EsePlugin", m.ConfigurationSection);
        Assert.Contains(m.ProcessModels, p => p.Kind == "inProcess" && p.IsDefault);
        Assert.Equal(Abstractions.ContractVersion.Current, PluginManifestReader.CheckCompatibility(m, [new Version(1, 0)]));
    }

    [Fact]
    public void The_shipped_schema_is_the_one_embedded_in_the_host()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "plugin.schema.json")).ReplaceLineEndings(), PluginManifestReader.SchemaText.ReplaceLineEndings());
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        var ex = Assert.Throws<PluginLoadException>(() => PluginManifestReader.Read(Path.Combine(Path.GetTempPath(), "nope-" + Guid.NewGuid(), "plugin.json")));
        Assert.Equal(PluginLoadErrorKind.ManifestNotFound, ex.Kind);
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        using var temp = new TempDir();
        var path = temp.Combine("plugin.json");
        File.WriteAllText(path, "{\n  \"id\": \"x\",\n  oops\n}");
        var ex = Assert.Throws<PluginLoadException>(() => PluginManifestReader.Read(path));
        Assert.Equal(PluginLoadErrorKind.ManifestMalformed, ex.Kind);
        Assert.Contains("line 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("id", "id")]
    [InlineData("version", "version")]
    [InlineData("contract", "contract")]
    [InlineData("entry", "entry")]
    [InlineData("platforms", "platforms")]
    [InlineData("configuration", "configuration")]
    [InlineData("manifestVersion", "manifestVersion")]
    public void Missing_required_field_is_named(string field, string expectedField)
    {
        var ex = Refused(j => j.Remove(field));
        Assert.Equal(PluginLoadErrorKind.ManifestInvalid, ex.Kind);
        Assert.Equal(expectedField, ex.Field);
        Assert.Contains($"'{expectedField}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_nested_field_is_named_with_its_path()
    {
        var ex = Refused(j => j["entry"]!.AsObject().Remove("type"));
        Assert.Equal("entry.type", ex.Field);
    }

    [Theory]
    [InlineData("../outside/EseBackupPlugin.Ese.dll")]
    [InlineData("/abs/EseBackupPlugin.Ese.dll")]
    [InlineData("EseBackupPlugin.Ese.exe")]
    public void Entry_assembly_must_be_a_dll_inside_the_plugin_folder(string assembly)
    {
        var ex = Refused(j => j["entry"]!["assembly"] = assembly);
        Assert.Equal(PluginLoadErrorKind.ManifestInvalid, ex.Kind);
        Assert.Equal("entry.assembly", ex.Field);
    }

    [Fact]
    public void Wrong_types_and_values_are_refused()
    {
        Assert.Equal("manifestVersion", Refused(j => j["manifestVersion"] = 2).Field);
        Assert.Equal("version", Refused(j => j["version"] = "one").Field);
        Assert.Equal("platforms[0].os", Refused(j => j["platforms"]![0]!["os"] = "plan9").Field);
        Assert.Equal("processModels[0].kind", Refused(j => j["processModels"]![0]!["kind"] = "threads").Field);
        Assert.Equal("unexpected", Refused(j => j["unexpected"] = true).Field);
    }

    [Fact]
    public void Contract_id_and_versions_must_be_compatible()
    {
        var m = PluginManifestReader.Parse(
            WithContractVersions("2.0"),
            Path.Combine(Path.GetTempPath(), "p", "plugin.json"));
        var ex = Assert.Throws<PluginLoadException>(() => PluginManifestReader.CheckCompatibility(m, [new Version(1, 0)]));
        Assert.Equal(PluginLoadErrorKind.IncompatibleContract, ex.Kind);
        Assert.Equal("contract.versions", ex.Field);

        var other = PluginManifestReader.Parse(
            TestSupport.RepoPluginJson().ToJsonString().Replace("EseBackupPlugin.Contract", "Someone.Else", StringComparison.Ordinal),
            Path.Combine(Path.GetTempPath(), "p", "plugin.json"));
        Assert.Equal("contract.id", Assert.Throws<PluginLoadException>(() => PluginManifestReader.CheckCompatibility(other, [new Version(1, 0)])).Field);
    }

    [Fact]
    public void A_newer_minor_version_negotiates_down_to_the_shared_major()
    {
        var m = PluginManifestReader.Parse(
            WithContractVersions("1.0", "1.4", "2.0"),
            Path.Combine(Path.GetTempPath(), "p", "plugin.json"));
        Assert.Equal(new Version(1, 4), PluginManifestReader.CheckCompatibility(m, [new Version(1, 0)]));
    }

    [Fact]
    public void Platform_must_be_declared()
    {
        var json = TestSupport.RepoPluginJson();
        json["platforms"] = new JsonArray(new JsonObject { ["os"] = PluginManifestReader.CurrentOs() == "windows" ? "linux" : "windows" });
        var m = PluginManifestReader.Parse(json.ToJsonString(), Path.Combine(Path.GetTempPath(), "p", "plugin.json"));
        var ex = Assert.Throws<PluginLoadException>(() => PluginManifestReader.CheckCompatibility(m, [new Version(1, 0)]));
        Assert.Equal(PluginLoadErrorKind.PlatformNotSupported, ex.Kind);
    }

    private static string WithContractVersions(params string[] versions)
    {
        var json = TestSupport.RepoPluginJson();
        json["contract"]!["versions"] = new JsonArray([.. versions.Select(v => (JsonNode)v)]);
        return json.ToJsonString();
    }
}
