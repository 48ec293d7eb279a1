using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>Writes one JSON document to standard output.</summary>
internal static class JsonOut
{
    private static async Task WriteRawAsync<T>(TextWriter output, T value, JsonTypeInfo<T> typeInfo)
    {
        await output.WriteLineAsync(JsonSerializer.Serialize(value, typeInfo));
        await output.FlushAsync();
    }

    /// <summary>Writes a command's one JSON document and counts it (see <see cref="CliEnvironment.JsonDocuments"/>).</summary>
    public static async Task WriteAsync<T>(CliEnvironment env, T value, JsonTypeInfo<T> typeInfo)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (env.JsonDocuments > 0)
        {
            throw new InvalidOperationException("A command printed a second JSON document; --json promises exactly one.");
        }

        env.JsonDocuments++;
        await WriteRawAsync(env.Out, value, typeInfo);
    }
}
