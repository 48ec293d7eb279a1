using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace EseBackupPlugin.Worker;

/// <summary>
/// Turns the <c>configuration</c> object of <c>initialize</c> into the <see cref="IConfiguration"/> the plugin binds,
/// with the keys appsettings.json would give (<c>FileSet:Roots:0</c>): objects nest with <c>:</c>, arrays by index.
/// </summary>
internal static class ConfigurationJson
{
    public static IConfiguration ToConfiguration(JsonObject? json)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (json is not null)
        {
            Flatten(json, null, values);
        }

        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }

    private static void Flatten(JsonNode? node, string? prefix, Dictionary<string, string?> values)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, child) in o)
                {
                    Flatten(child, prefix is null ? name : prefix + ":" + name, values);
                }

                break;
            case JsonArray a:
                for (var i = 0; i < a.Count; i++)
                {
                    Flatten(a[i], prefix + ":" + i.ToString(CultureInfo.InvariantCulture), values);
                }

                break;
            case JsonValue v when prefix is not null:
                values[prefix] = v.GetValueKind() switch
                {
                    JsonValueKind.String => v.GetValue<string>(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    _ => v.ToJsonString(),
                };
                break;
            case null when prefix is not null:
                values[prefix] = null;
                break;
        }
    }
}
