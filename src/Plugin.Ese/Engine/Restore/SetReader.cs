using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Ese.Engine.Restore;

/// <summary>Reads set directories defensively: a restore trusts nothing but the manifest and the bytes.</summary>
internal static class SetReader
{
    /// <summary>Largest manifest accepted (a set of a million files stays far below it).</summary>
    private const long MaxManifestBytes = 256L * 1024 * 1024;

    /// <summary>Reads and parses <c>manifest.json</c> of a set directory.</summary>
    /// <exception cref="PluginException">Missing, oversized or invalid manifest.</exception>
    public static async Task<BackupManifest> ReadManifestAsync(string setDirectory, CancellationToken ct)
    {
        var path = Path.Combine(setDirectory, BackupManifest.FileName);
        if (!Directory.Exists(setDirectory))
        {
            throw new PluginException(new PluginError(ErrorCodes.SetNotFound, $"Set directory '{setDirectory}' does not exist.") { File = setDirectory });
        }

        if (!File.Exists(path))
        {
            throw new PluginException(new PluginError(ErrorCodes.ManifestInvalid, $"'{setDirectory}' has no {BackupManifest.FileName}: it is not a complete backup set.") { File = path });
        }

        var info = new FileInfo(path);
        if (info.Length > MaxManifestBytes)
        {
            throw new PluginException(new PluginError(ErrorCodes.ManifestInvalid, $"Manifest '{path}' is {info.Length:N0} bytes, larger than any real manifest.") { File = path });
        }

        var bytes = await File.ReadAllBytesAsync(path, ct);
        var manifest = ManifestJson.Deserialize(bytes, path);
        var duplicates = manifest.Files.GroupBy(f => f.Path, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
        {
            throw new PluginException(new PluginError(ErrorCodes.UnsafeManifestPath, $"Manifest '{path}' lists '{duplicates[0]}' more than once (names are compared ignoring case, as Windows does).") { File = path });
        }

        foreach (var f in manifest.Files)
        {
            if (f.Size < 0 || f.Sha256.Length != 64 || !f.Sha256.All(Uri.IsHexDigit))
            {
                throw new PluginException(new PluginError(ErrorCodes.ManifestInvalid, $"Manifest '{path}' has an invalid size or SHA-256 for '{f.Path}'.") { File = path });
            }
        }

        return manifest;
    }

    /// <summary>
    /// Resolves a manifest path inside a set directory, refusing absolute paths, <c>..</c>, and paths that
    /// leave the directory through a symbolic link anywhere along the way.
    /// </summary>
    public static (string? Path, PluginError? Error) Resolve(string setDirectory, string relativePath)
    {
        var root = Path.GetFullPath(setDirectory);
        if (!SetPaths.IsSafeRelativePath(relativePath))
        {
            return (null, new PluginError(ErrorCodes.UnsafeManifestPath, $"Manifest path '{relativePath}' is not a plain relative path inside the set (absolute, '..', or reserved characters).") { File = relativePath });
        }

        var full = Path.GetFullPath(Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar)));
        if (!IsUnder(full, root))
        {
            return (null, new PluginError(ErrorCodes.UnsafeManifestPath, $"Manifest path '{relativePath}' resolves outside the set directory.") { File = relativePath });
        }

        // Walk from the file up to the set root: no component may be a link that leads elsewhere.
        for (var p = full; p.Length > root.Length; p = Path.GetDirectoryName(p)!)
        {
            FileSystemInfo info = Directory.Exists(p) ? new DirectoryInfo(p) : new FileInfo(p);
            if (info.Exists && info.LinkTarget is not null)
            {
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !IsUnder(Path.GetFullPath(target.FullName), root))
                {
                    return (null, new PluginError(ErrorCodes.UnsafeManifestPath, $"Manifest path '{relativePath}' goes through the symbolic link '{p}', which leads outside the set directory.") { File = p });
                }
            }
        }

        return (full, null);
    }

    /// <summary>Whether <paramref name="path"/> lies strictly inside <paramref name="root"/>.</summary>
    public static bool IsUnder(string path, string root)
    {
        var r = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        return path.StartsWith(r, OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
    }

    /// <summary>
    /// The ESE checks across a sequence of logs, from manifest facts: contiguous generations, one log
    /// signature, and each generation's "previous generation" time equal to its predecessor's creation time.
    /// </summary>
    public static IReadOnlyList<Finding> CheckLogSequence(BackupManifest manifest, IReadOnlyList<ManifestFile> logs)
    {
        var findings = new List<Finding>();
        var ordered = logs.Where(l => l.Log is not null).OrderBy(l => l.Log!.Generation).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            var prev = ordered[i - 1];
            var cur = ordered[i];
            var (pg, cg) = (prev.Log!.Generation, cur.Log!.Generation);
            if (cg == pg)
            {
                continue;
            }

            if (cg != pg + 1)
            {
                findings.Add(new Finding("LogGenerationGap", FindingSeverity.Corruption, $"Set {manifest.SetId} lacks log generations {pg + 1} to {cg - 1}.") { Generation = pg + 1, EseError = ErrorCodes.MissingRestoreLogFiles.EseError });
                continue;
            }

            if (prev.Log.LogSignature is { } ps && cur.Log.LogSignature is { } cs && ps != cs)
            {
                findings.Add(new Finding("LogSignatureMismatch", FindingSeverity.Corruption, $"Log generation {cg} ('{cur.Path}') belongs to another log stream than generation {pg}.") { Generation = cg, EseError = ErrorCodes.GivenLogFileHasBadSignature.EseError });
            }

            if (prev.Log.Created is { } created && cur.Log.PreviousGenerationCreated is { } prevTime && created != prevTime)
            {
                findings.Add(new Finding("LogNotContiguous", FindingSeverity.Corruption, $"Log generation {cg} ('{cur.Path}') does not follow generation {pg}: it records the previous generation as created {prevTime:O}, but generation {pg} was created {created:O}.") { Generation = cg, EseError = ErrorCodes.GivenLogFileIsNotContiguous.EseError });
            }
        }

        return findings;
    }
}
