using System.Text.Json;
using EseBackupPlugin.HostSample.Output;
using EseBackupPlugin.HostSample.Tests.Cli;
using NJsonSchema;

namespace EseBackupPlugin.HostSample.Tests.Plugins;

/// <summary>
/// The published <c>manifest.schema.json</c> describes what the plugin really writes: every checked-in manifest
/// fixture (each version) and a manifest from a backup made now through the CLI validate against it. The schema
/// refuses unknown properties, so a field added to the manifest without the schema fails here.
/// </summary>
public class ManifestSchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "manifest.schema.json"))).GetAwaiter().GetResult());

    [Fact]
    public void Every_manifest_fixture_is_valid_against_the_schema()
    {
        var fixtures = Directory.GetFiles(Path.Combine(TestSupport.RepoRoot, "tests", "Plugin.Abstractions.Tests", "Fixtures", "Manifests"), "*.json", SearchOption.AllDirectories);
        Assert.NotEmpty(fixtures);
        foreach (var fixture in fixtures)
        {
            AssertValid(File.ReadAllText(fixture), fixture);
        }
    }

    [Fact]
    public async Task Manifests_written_now_are_valid_against_the_schema()
    {
        using var temp = new TempDir();
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, databaseBytes: 2L << 20, generations: 4, seed: 61);
        string[] common = ["--repository", temp.Combine("repo"), "--config", CliKit.WriteConfig(temp)];
        foreach (var kind in new[] { "full", "copy" })
        {
            var run = await CliKit.RunAsync(["backup", source, "--kind", kind, "--json", .. common]);
            Assert.True(run.ExitCode == 0, run.ToString());
            var output = JsonSerializer.Deserialize(run.Out, HostJsonContext.Default.BackupOutput)!;
            var path = Path.Combine(output.SetPath!, "manifest.json");
            AssertValid(await File.ReadAllTextAsync(path), path);
        }
    }

    [Fact]
    public void The_schema_refuses_a_manifest_that_breaks_it()
    {
        var fixture = Directory.GetFiles(Path.Combine(TestSupport.RepoRoot, "tests", "Plugin.Abstractions.Tests", "Fixtures", "Manifests", "v1"), "*.json")[0];
        var text = File.ReadAllText(fixture).Replace("\"role\": \"database\"", "\"role\": \"dataBase\"", StringComparison.Ordinal);
        Assert.NotEmpty(Schema.Value.Validate(text));
    }

    private static void AssertValid(string json, string path)
    {
        var errors = Schema.Value.Validate(json);
        Assert.True(errors.Count == 0, $"{path}: {string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}"))}");
    }
}
