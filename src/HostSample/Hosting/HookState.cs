using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// What <c>hook pre</c> leaves for <c>hook post</c>: the pending set of one target, in one small JSON file per target under
/// <c>&lt;state directory&gt;/hooks/</c>. The key is the TARGET argument as the job scripts give it (a directory, normalised
/// to its full path, or a target id), so the post-job script finds the set the pre-job script started without passing
/// anything between them. Written to a temporary file and renamed, so a crash leaves the old state or the new one.
/// </summary>
internal sealed record HookState(string SetId, string TargetId, string Target, string Kind, string? Out, DateTimeOffset StartedAt)
{
    private const string Folder = "hooks";

    /// <summary>The state file for a TARGET argument.</summary>
    public static string PathFor(string stateDirectory, string targetArgument)
    {
        var key = Key(targetArgument);
        var safe = new string([.. key.TakeLast(32).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return System.IO.Path.Combine(stateDirectory, Folder, $"{safe}-{hash}.json");
    }

    /// <summary>The pending state of a target, or null.</summary>
    public static HookState? Read(string stateDirectory, string targetArgument)
    {
        var path = PathFor(stateDirectory, targetArgument);
        return File.Exists(path) ? JsonSerializer.Deserialize(File.ReadAllBytes(path), HookStateJsonContext.Default.HookState) : null;
    }

    /// <summary>Remembers the pending set of a target.</summary>
    public void Write(string stateDirectory)
    {
        var path = PathFor(stateDirectory, Target);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, this, HookStateJsonContext.Default.HookState);
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Forgets a target's pending set.</summary>
    public static void Remove(string stateDirectory, string targetArgument)
    {
        var path = PathFor(stateDirectory, targetArgument);
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>Forgets whichever target's state names <paramref name="setId"/> (prune).</summary>
    public static void Forget(string stateDirectory, string setId)
    {
        var folder = System.IO.Path.Combine(stateDirectory, Folder);
        if (!Directory.Exists(folder))
        {
            return;
        }

        foreach (var file in Directory.EnumerateFiles(folder, "*.json"))
        {
            try
            {
                if (JsonSerializer.Deserialize(File.ReadAllBytes(file), HookStateJsonContext.Default.HookState)?.SetId == setId)
                {
                    File.Delete(file);
                }
            }
            catch (JsonException)
            {
                // Not ours to judge: left alone.
            }
        }
    }

    private static string Key(string targetArgument) =>
        Directory.Exists(targetArgument) ? System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(targetArgument)) : targetArgument.Trim().ToLowerInvariant();
}

/// <summary>
/// Source-generated JSON for the hook state files, with the same options as the host's printed output so the files
/// read the same as before; its own context because the state belongs to hosting, which the output layer presents.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(HookState))]
internal sealed partial class HookStateJsonContext : JsonSerializerContext;
