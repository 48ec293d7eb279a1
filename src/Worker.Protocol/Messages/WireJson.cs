using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using EseBackupPlugin.Abstractions.Json;

namespace EseBackupPlugin.Worker.Protocol.Messages;

/// <summary>
/// The JSON of the wire: the contract's source-generated context (camelCase, enums as camelCase strings, nulls
/// omitted: the same JSON the manifests use) plus the protocol's own records, unindented. No reflection.
/// </summary>
public static class WireJson
{
    /// <summary>The serializer options of every message.</summary>
    public static JsonSerializerOptions Options { get; } = Create();

    /// <summary>Metadata for <typeparamref name="T"/>, from the contract's context first.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>
    /// Deserializes a contract record, giving every optional member the JSON omits the contract's default (taken
    /// from <paramref name="defaults"/>). The source-generated metadata would otherwise set an omitted init-only
    /// member of a record with constructor parameters to <see langword="null"/>/<see langword="default"/>, so a
    /// client in another language that leaves out <c>searchPaths</c> or <c>crossFileChecks</c> would get a
    /// different request from the one the contract documents.
    /// </summary>
    /// <param name="json">The params object.</param>
    /// <param name="defaults">An instance whose optional members hold the contract's defaults.</param>
    public static T? DeserializeWithDefaults<T>(JsonElement json, T defaults)
    {
        var info = Info<T>();
        if (json.ValueKind != JsonValueKind.Object)
        {
            return json.Deserialize(info);
        }

        var node = JsonNode.Parse(json.GetRawText())!.AsObject();
        var fallback = JsonSerializer.SerializeToNode(defaults, info)!.AsObject();
        foreach (var property in info.Properties)
        {
            if (property.AssociatedParameter is not { IsMemberInitializer: false } && !node.ContainsKey(property.Name)
                && fallback[property.Name] is { } value)
            {
                node[property.Name] = value.DeepClone();
            }
        }

        return node.Deserialize(info);
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(ContractJsonContext.Default.Options)
        {
            WriteIndented = false,
            TypeInfoResolver = JsonTypeInfoResolver.Combine(ContractJsonContext.Default, ProtocolJsonContext.Default),
        };
        options.MakeReadOnly();
        return options;
    }
}
