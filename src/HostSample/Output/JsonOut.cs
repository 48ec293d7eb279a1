using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>Writes one JSON document to standard output.</summary>
internal static class JsonOut
{
    public static async Task WriteAsync<T>(TextWriter output, T value, JsonTypeInfo<T> typeInfo)
    {
        await output.WriteLineAsync(JsonSerializer.Serialize(value, typeInfo));
        await output.FlushAsync();
    }
}
