using System.Runtime.InteropServices;
using System.Text.Json;

namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>
/// Reads plugin.json: JSON syntax first (with line numbers), then the shipped JSON schema
/// (<c>plugin.schema.json</c>, embedded in the host so a plugin cannot weaken it), then the checks a schema
/// cannot express (contract id and version negotiation, platform, the entry assembly staying inside the
/// plugin folder). Every failure names the file and the field.
/// </summary>
internal static class PluginManifestReader
{
    private static readonly Lazy<SchemaValidator> Schema = new(() => SchemaValidator.Load(SchemaText));

    /// <summary>The schema text shipped with the host.</summary>
    public static string SchemaText
    {
        get
        {
            using var stream = typeof(PluginManifestReader).Assembly.GetManifestResourceStream("plugin.schema.json")
                ?? throw new InvalidOperationException("The host was built without its embedded plugin.schema.json.");
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Reads and validates a plugin.json file.</summary>
    /// <exception cref="PluginLoadException">The file is missing, malformed or invalid.</exception>
    public static PluginManifest Read(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new PluginLoadException(PluginLoadErrorKind.ManifestNotFound, full, $"Plugin manifest '{full}' does not exist.");
        }

        string text;
        try
        {
            text = File.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PluginLoadException(PluginLoadErrorKind.ManifestNotFound, full, $"Plugin manifest '{full}' cannot be read: {ex.Message}", inner: ex);
        }

        return Parse(text, full);
    }

    /// <summary>Validates plugin.json text; <paramref name="path"/> is used in messages and to resolve the entry assembly.</summary>
    public static PluginManifest Parse(string text, string path)
    {
        using var doc = ParseJson(text, path);
        ValidateAgainstSchema(text, path);
        return Map(doc.RootElement, path);
    }

    private static JsonDocument ParseJson(string text, string path)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Disallow, AllowTrailingCommas = false });
        }
        catch (JsonException ex)
        {
            throw new PluginLoadException(
                PluginLoadErrorKind.ManifestMalformed,
                path,
                $"Plugin manifest '{path}' is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}): {ex.Message}",
                inner: ex);
        }
    }

    private static void ValidateAgainstSchema(string text, string path)
    {
        var errors = Schema.Value.Validate(text);
        if (errors.Count == 0)
        {
            return;
        }

        var all = string.Join("; ", errors.Select(Describe).Distinct().Take(5));
        throw new PluginLoadException(
            PluginLoadErrorKind.ManifestInvalid,
            path,
            $"Plugin manifest '{path}' is invalid: {all}.",
            FieldOf(errors[0]));
    }

    /// <summary>The field an error is about, as <c>entry.assembly</c> or <c>platforms[0].os</c>.</summary>
    private static string FieldOf(SchemaViolation error) => error.Field.Length == 0 ? "(root)" : error.Field;

    private static string Describe(SchemaViolation error)
    {
        var field = FieldOf(error);
        return error.Kind switch
        {
            SchemaViolationKind.Required => $"required field '{field}' is missing",
            SchemaViolationKind.NotAllowed => $"field '{field}' is not allowed",
            SchemaViolationKind.NotInEnum => $"field '{field}' has a value that is not allowed",
            SchemaViolationKind.Pattern => $"field '{field}' has an invalid format",
            SchemaViolationKind.Type => $"field '{field}' has the wrong type",
            SchemaViolationKind.Length => $"field '{field}' is too short or too long",
            SchemaViolationKind.TooFewItems => $"field '{field}' has too few items",
            SchemaViolationKind.NotUnique => $"field '{field}' repeats an item",
            _ => $"field '{field}': {error.Kind}",
        } + $" (line {error.Line})";
    }

    private static PluginManifest Map(JsonElement root, string path)
    {
        var contract = root.GetProperty("contract");
        var versions = contract.GetProperty("versions").EnumerateArray().Select(v => Version.Parse(v.GetString()!)).ToList();
        var entry = root.GetProperty("entry");
        var manifest = new PluginManifest(
            path,
            root.GetProperty("id").GetString()!,
            root.GetProperty("version").GetString()!,
            new PluginContractRef(contract.GetProperty("id").GetString()!, versions),
            new PluginEntry(entry.GetProperty("assembly").GetString()!, entry.GetProperty("type").GetString()!),
            [.. root.GetProperty("platforms").EnumerateArray().Select(p => new PluginPlatform(
                p.GetProperty("os").GetString()!,
                p.TryGetProperty("architectures", out var a) ? [.. a.EnumerateArray().Select(x => x.GetString()!)] : []))],
            [.. root.GetProperty("processModels").EnumerateArray().Select(m => new PluginProcessModel(
                m.GetProperty("kind").GetString()!,
                OptionalBool(m, "default"),
                OptionalString(m, "executable")))],
            root.GetProperty("configuration").GetProperty("section").GetString()!);

        // The schema forbids absolute paths and '..'; resolve anyway, so no spelling can leave the folder.
        var pluginDir = System.IO.Path.GetFullPath(manifest.Directory) + System.IO.Path.DirectorySeparatorChar;
        if (!manifest.AssemblyPath.StartsWith(pluginDir, StringComparison.Ordinal))
        {
            throw new PluginLoadException(PluginLoadErrorKind.ManifestInvalid, path, $"Plugin manifest '{path}' is invalid: 'entry.assembly' must stay inside the plugin folder.", "entry.assembly");
        }

        return manifest;
    }

    /// <summary>Checks what the schema cannot: contract id, a version both sides speak, and this platform.</summary>
    /// <returns>The negotiated contract version.</returns>
    public static Version CheckCompatibility(PluginManifest manifest, IReadOnlyList<Version> hostVersions)
    {
        if (!string.Equals(manifest.Contract.Id, Abstractions.ContractVersion.Id, StringComparison.Ordinal))
        {
            throw new PluginLoadException(
                PluginLoadErrorKind.IncompatibleContract,
                manifest.Path,
                $"Plugin '{manifest.Id}' implements contract '{manifest.Contract.Id}', but this host speaks '{Abstractions.ContractVersion.Id}' (field 'contract.id').",
                "contract.id");
        }

        var negotiated = Abstractions.ContractVersion.Negotiate(manifest.Contract.Versions, hostVersions);
        if (negotiated is null)
        {
            throw new PluginLoadException(
                PluginLoadErrorKind.IncompatibleContract,
                manifest.Path,
                $"Plugin '{manifest.Id}' implements contract versions {string.Join(", ", manifest.Contract.Versions)}, but this host supports {string.Join(", ", hostVersions)} (field 'contract.versions').",
                "contract.versions");
        }

        var os = CurrentOs();
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var platform = manifest.Platforms.FirstOrDefault(p => p.Os == os);
        if (platform is null || (platform.Architectures.Count > 0 && !platform.Architectures.Contains(arch)))
        {
            throw new PluginLoadException(
                PluginLoadErrorKind.PlatformNotSupported,
                manifest.Path,
                $"Plugin '{manifest.Id}' does not declare support for {os}/{arch} (field 'platforms').",
                "platforms");
        }

        return negotiated;
    }

    /// <summary>The operating system name used in plugin.json.</summary>
    public static string CurrentOs() =>
        OperatingSystem.IsWindows() ? "windows" : OperatingSystem.IsMacOS() ? "macos" : "linux";

    private static string? OptionalString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool OptionalBool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;
}
