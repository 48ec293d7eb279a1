using System.Text.Json.Nodes;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// <c>esebackup plugins</c> shows what the loaded plugin says about itself; every way a plugin package can be broken
/// ends with exit code 4 and a message naming the file and what is wrong.
/// </summary>
public class PluginLoadingCliTests
{
    [Fact]
    public async Task Plugins_json_prints_identity_version_and_capabilities_of_the_loaded_plugin()
    {
        var run = await CliKit.RunAsync("plugins", "--json");

        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var listing = System.Text.Json.JsonSerializer.Deserialize(run.Out, HostJsonContext.Default.PluginListing)!;
        var pluginJson = TestSupport.RepoPluginJson();
        Assert.Equal(Path.Combine(TestSupport.PluginFolder, "plugin.json"), listing.ManifestPath);
        Assert.Equal((string)pluginJson["id"]!, listing.Id);
        Assert.Equal((string)pluginJson["version"]!, listing.Version);
        Assert.Equal(Abstractions.ContractVersion.Current.ToString(2), listing.NegotiatedContractVersion);

        // The info block comes from the plugin object itself, not from plugin.json.
        var info = listing.Info;
        Assert.Equal("esebackup.ese", info.Id);
        Assert.Equal(listing.Version, info.Version);
        Assert.Equal(Abstractions.ContractVersion.Current.ToString(2), info.ContractVersion);
        Assert.True(info.Capabilities.CanVerifySets && info.Capabilities.CanRestore && info.Capabilities.CanInspectFiles);
        var fileSet = Assert.Single(info.Capabilities.TargetKinds, k => k.Kind == Abstractions.Targets.TargetKind.FileSet);
        Assert.True(fileSet.Available);
        Assert.Equal([Abstractions.BackupKind.Full, Abstractions.BackupKind.Incremental, Abstractions.BackupKind.Copy], fileSet.BackupKinds);
        Assert.Equal(Abstractions.Manifest.TruncationPerformer.Plugin, fileSet.Truncation);
        Assert.Equal(["file-set"], fileSet.Strategies);
        if (!OperatingSystem.IsWindows())
        {
            Assert.All(info.Capabilities.TargetKinds.Where(k => k.Kind != Abstractions.Targets.TargetKind.FileSet), k => Assert.False(k.Available));
        }

        // And the raw JSON carries the field names a host script would use.
        var raw = JsonNode.Parse(run.Out)!;
        Assert.Equal("esebackup.ese", (string)raw["info"]!["id"]!);
        Assert.Equal("fileSet", (string)raw["info"]!["capabilities"]!["targetKinds"]![0]!["kind"]!);
    }

    public static TheoryData<string, string[]> BrokenPackages => new()
    {
        { "assembly-not-found", ["entry assembly", "does not exist", "entry.assembly"] },
        { "entry-type-missing", ["EseBackupPlugin.Ese.NoSuchPlugin", "is not in", "entry.type"] },
        { "entry-type-not-a-plugin", ["EseBackupPlugin.Ese.Composition.EsePluginOptions", "does not implement", "IBackupPlugin"] },
        { "incompatible-contract-version", ["9.0", "this host supports", "contract.versions"] },
        { "other-contract", ["Someone.Else.Contract", "contract.id"] },
        { "malformed-json", ["is not valid JSON", "line 3"] },
        { "schema-violation", ["is invalid", "entry"] },
        { "manifest-missing", ["does not exist"] },
        { "bad-plugin-configuration", ["could not be created", "EsePlugin:Engine:BufferSize"] },
    };

    [Theory]
    [MemberData(nameof(BrokenPackages))]
    public async Task A_broken_plugin_package_exits_with_4_and_says_what_is_wrong(string broken, string[] expected)
    {
        using var temp = new TempDir();
        string manifest;
        var extra = new List<string>();
        switch (broken)
        {
            case "assembly-not-found":
                manifest = TestSupport.PluginCopy(temp, copyAssemblies: false);
                break;
            case "entry-type-missing":
                manifest = TestSupport.PluginCopy(temp, j => j["entry"]!["type"] = "EseBackupPlugin.Ese.NoSuchPlugin");
                break;
            case "entry-type-not-a-plugin":
                manifest = TestSupport.PluginCopy(temp, j => j["entry"]!["type"] = "EseBackupPlugin.Ese.Composition.EsePluginOptions");
                break;
            case "incompatible-contract-version":
                manifest = TestSupport.PluginCopy(temp, j => j["contract"]!["versions"] = new JsonArray("9.0"));
                break;
            case "other-contract":
                manifest = TestSupport.PluginCopy(temp, j => j["contract"]!["id"] = "Someone.Else.Contract");
                break;
            case "malformed-json":
                manifest = TestSupport.PluginCopy(temp);
                File.WriteAllText(manifest, "{\n  \"manifestVersion\": 1,\n  \"id\": \"esebackup.ese\" \"version\": \"0.1.0\"\n}");
                break;
            case "schema-violation":
                manifest = TestSupport.PluginCopy(temp, j => j.Remove("entry"));
                break;
            case "manifest-missing":
                manifest = temp.Combine("nowhere", "plugin.json");
                break;
            default:
                manifest = TestSupport.PluginCopy(temp);
                var config = temp.Combine("bad.json");
                File.WriteAllText(config, """{ "EsePlugin": { "Engine": { "BufferSize": 1000 } } }""");
                extra.AddRange(["--config", config]);
                break;
        }

        foreach (var command in new[] { new[] { "plugins", "--json" }, ["verify", temp.Path], ["discover", "--path", temp.Path] })
        {
            var run = await CliKit.RunAsync([.. command, "--plugin", manifest, "--repository", temp.Combine("repo"), .. extra]);

            Assert.True(run.ExitCode == ExitCodes.PluginLoad, $"{broken} / {command[0]}: {run}");
            Assert.StartsWith("error: cannot load plugin:", run.Error, StringComparison.Ordinal);
            Assert.Contains(manifest, run.Error, StringComparison.Ordinal);
            foreach (var e in expected)
            {
                Assert.True(run.Error.Contains(e, StringComparison.Ordinal), $"{broken}: the message does not say '{e}': {run.Error}");
            }

            if (command.Contains("--json") || extra.Contains("--json"))
            {
                // The JSON rule: exactly one document, the error one.
                Assert.Equal(ExitCodes.PluginLoad, run.Json["exitCode"]!.GetValue<int>());
                Assert.Equal("PluginLoadFailed", run.Json["error"]!["code"]!["name"]!.GetValue<string>());
            }
            else
            {
                Assert.Empty(run.Out);
            }
        }
    }
}
