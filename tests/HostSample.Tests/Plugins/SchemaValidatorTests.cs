using System.Text.Json.Nodes;
using CsCheck;
using EseBackupPlugin.HostSample.Plugins;
using NJsonSchema;

namespace EseBackupPlugin.HostSample.Tests.Plugins;

/// <summary>
/// The host's own schema validator against an independent one (NJsonSchema): on the shipped plugin.json and on many
/// randomly broken copies of it, both must agree whether the manifest is valid, and where they name a field, on the field.
/// </summary>
public class SchemaValidatorTests
{
    private static readonly Lazy<JsonSchema> Oracle = new(() => JsonSchema.FromJsonAsync(PluginManifestReader.SchemaText).GetAwaiter().GetResult());
    private static readonly SchemaValidator Ours = SchemaValidator.Load(PluginManifestReader.SchemaText);

    private static JsonObject Shipped() => JsonNode.Parse(File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "plugin.json")))!.AsObject();

    [Fact]
    public void The_shipped_manifest_is_valid_for_both()
    {
        var text = Shipped().ToJsonString();
        Assert.Empty(Oracle.Value.Validate(text));
        Assert.Empty(Ours.Validate(text));
    }

    [Fact]
    public void Both_agree_on_randomly_broken_manifests()
    {
        // Each case takes one value somewhere in the manifest and breaks it one way.
        var paths = Leaves(Shipped(), string.Empty).ToList();
        var breakers = new (string Name, Func<JsonNode?, JsonNode?> Break)[]
        {
            ("number", _ => JsonValue.Create(7)),
            ("fraction", _ => JsonValue.Create(1.5)),
            ("string", _ => JsonValue.Create("zz")),
            ("empty string", _ => JsonValue.Create(string.Empty)),
            ("long string", _ => JsonValue.Create(new string('a', 1001))),
            ("true", _ => JsonValue.Create(true)),
            ("null", _ => null),
            ("empty array", _ => new JsonArray()),
            ("empty object", _ => new JsonObject()),
            ("array of two equal", n => new JsonArray(n?.DeepClone(), n?.DeepClone())),
            ("path", _ => JsonValue.Create("../x.dll")),
        };
        Gen.Select(Gen.Int[0, paths.Count - 1], Gen.Int[0, breakers.Length - 1], Gen.Bool).Sample(
            (p, b, removeInstead) =>
            {
                var manifest = Shipped();
                var (parent, key) = Locate(manifest, paths[p]);
                var what = removeInstead ? "removed" : breakers[b].Name;
                if (removeInstead)
                {
                    Remove(parent, key);
                }
                else
                {
                    Set(parent, key, breakers[b].Break(Get(parent, key)));
                }

                var text = manifest.ToJsonString();
                var oracle = Oracle.Value.Validate(text);
                var ours = Ours.Validate(text);
                Assert.True(
                    oracle.Count == 0 == (ours.Count == 0),
                    $"{paths[p]} {what}: NJsonSchema found [{string.Join(", ", oracle.Select(e => e.Path + " " + e.Kind))}], ours [{string.Join(", ", ours.Select(e => e.Field + " " + e.Kind))}]");
            },
            iter: 400,
            threads: 1);
    }

    [Fact]
    public void An_added_property_and_a_missing_one_are_named()
    {
        var manifest = Shipped();
        manifest["entry"]!.AsObject().Remove("type");
        manifest["platforms"]![0]!["color"] = "blue";
        var found = Ours.Validate(manifest.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        Assert.Contains(found, v => v.Kind == SchemaViolationKind.Required && v.Field == "entry.type");
        Assert.Contains(found, v => v.Kind == SchemaViolationKind.NotAllowed && v.Field == "platforms[0].color");
        Assert.All(found, v => Assert.True(v.Line > 1, $"{v.Field} on line {v.Line}"));
    }

    [Fact]
    public void A_dollar_anchor_means_the_end_of_the_value_as_in_ECMA_262()
    {
        // .NET's '$' also matches before a final line feed (so did NJsonSchema's); JSON Schema's does not.
        var manifest = Shipped();
        manifest["version"] = "1.0.0\n";
        Assert.Contains(Ours.Validate(manifest.ToJsonString()), v => v.Kind == SchemaViolationKind.Pattern && v.Field == "version");
        Assert.Equal(@"^a\z[$]\$(b|c\z)", SchemaValidator.EcmaEnd(@"^a$[$]\$(b|c$)"));
    }

    [Fact]
    public void A_very_long_value_is_a_violation_not_a_crash()
    {
        var manifest = Shipped();
        manifest["entry"]!["assembly"] = string.Concat(Enumerable.Repeat("a/", 400_000)) + "x.exe";
        Assert.Contains(Ours.Validate(manifest.ToJsonString()), v => v.Field == "entry.assembly");
    }

    [Fact]
    public void A_schema_keyword_it_does_not_check_is_refused_when_loading()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SchemaValidator.Load("""{ "type": "object", "properties": { "a": { "type": "integer", "minimum": 3 } } }"""));
        Assert.Contains("minimum", ex.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<string> Leaves(JsonNode node, string path)
    {
        yield return path;
        switch (node)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    foreach (var leaf in v is null ? [path + "/" + k] : Leaves(v, path + "/" + k))
                    {
                        yield return leaf;
                    }
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    foreach (var leaf in Leaves(a[i]!, path + "/" + i))
                    {
                        yield return leaf;
                    }
                }

                break;
        }
    }

    private static (JsonNode? Parent, string Key) Locate(JsonObject root, string path)
    {
        if (path.Length == 0)
        {
            return (null, string.Empty);
        }

        var parts = path.TrimStart('/').Split('/');
        JsonNode current = root;
        foreach (var part in parts[..^1])
        {
            current = current is JsonArray a ? a[int.Parse(part, System.Globalization.CultureInfo.InvariantCulture)]! : current[part]!;
        }

        return (current, parts[^1]);
    }

    private static JsonNode? Get(JsonNode? parent, string key) => parent switch
    {
        JsonArray a => a[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)],
        JsonObject o => o[key],
        _ => null,
    };

    private static void Set(JsonNode? parent, string key, JsonNode? value)
    {
        switch (parent)
        {
            case JsonArray a:
                a[int.Parse(key, System.Globalization.CultureInfo.InvariantCulture)] = value;
                break;
            case JsonObject o:
                o[key] = value;
                break;
        }
    }

    private static void Remove(JsonNode? parent, string key)
    {
        switch (parent)
        {
            case JsonArray a:
                a.RemoveAt(int.Parse(key, System.Globalization.CultureInfo.InvariantCulture));
                break;
            case JsonObject o:
                o.Remove(key);
                break;
        }
    }
}
