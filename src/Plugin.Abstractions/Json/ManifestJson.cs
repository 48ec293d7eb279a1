using System.Text.Json;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Abstractions.Json;

/// <summary>Reads and writes <see cref="BackupManifest"/> documents in their stable JSON form.</summary>
public static class ManifestJson
{
    /// <summary>Serializes a manifest to UTF-8 JSON (the bytes <see cref="ContractJsonContext"/> would write, written directly).</summary>
    /// <param name="manifest">The manifest.</param>
    public static byte[] Serialize(BackupManifest manifest) => ManifestWriter.Write(manifest);

    /// <summary>
    /// Parses a manifest. Unknown versions, malformed JSON and missing required properties are
    /// refused with <see cref="ErrorCodes.ManifestInvalid"/>, naming <paramref name="source"/>.
    /// </summary>
    /// <param name="utf8Json">The document.</param>
    /// <param name="source">Where the document came from (a path), for error messages.</param>
    /// <exception cref="PluginException">The document is not a usable manifest.</exception>
    public static BackupManifest Deserialize(ReadOnlySpan<byte> utf8Json, string source)
    {
        int version;
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(source, "the document is not a JSON object");
            }

            if (!doc.RootElement.TryGetProperty("manifestVersion", out var v) || !v.TryGetInt32(out version))
            {
                throw Invalid(source, "property 'manifestVersion' is missing or not an integer");
            }
        }
        catch (JsonException ex)
        {
            throw Invalid(source, $"malformed JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}: {ex.Message}", ex);
        }

        if (version != BackupManifest.CurrentVersion)
        {
            throw Invalid(source, $"manifestVersion {version} is not supported (this plugin reads version {BackupManifest.CurrentVersion})");
        }

        try
        {
            return JsonSerializer.Deserialize(utf8Json, ContractJsonContext.Default.BackupManifest)
                ?? throw Invalid(source, "the document is null");
        }
        catch (JsonException ex)
        {
            var where = ex.Path is { Length: > 0 } p ? $" at '{p}'" : string.Empty;
            throw Invalid(source, $"invalid manifest{where}: {ex.Message}", ex);
        }
    }

    private static PluginException Invalid(string source, string why, Exception? inner = null)
        => new(new PluginError(ErrorCodes.ManifestInvalid, $"Manifest '{source}' is invalid: {why}.") { File = source }, inner);
}
