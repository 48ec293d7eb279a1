using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// Finds the databases of a file set that their own bytes no longer identify. A database whose header pages are zeroed,
/// that was emptied or overwritten is "not ESE" to the sniffer, so a plan built from headers alone would store a "full"
/// of logs and a checkpoint. The set's other files still say where its databases are: the attach lists of the log and
/// checkpoint headers, the flush map (<c>.jfm</c>) ESE keeps beside each database under the same name, the databases
/// the chain's earlier sets copied, and the databases the target was listed with. A file at such a place that is not a
/// readable database is a damaged database.
/// </summary>
internal static class DatabaseWitnesses
{
    /// <summary>The first damaged database found, as a <c>ReadVerifyFailure</c> naming the file and what was unreadable.</summary>
    /// <param name="group">The set as scanned now.</param>
    /// <param name="listed">Databases the target was listed with (absolute paths).</param>
    /// <param name="chain">The chain this backup would follow (its sets' manifests name the databases they copied).</param>
    /// <param name="targetId">For the error.</param>
    public static PluginError? FindDamaged(FileSetGroup group, IEnumerable<string> listed, IReadOnlyList<CatalogEntry> chain, string targetId)
    {
        var healthy = group.Databases.Select(d => d.Path).ToHashSet(StringComparer.Ordinal);

        // Every other file of the set may stand where a database should: even a valid log or checkpoint header at a database's
        // place (the bytes of another file copied or swapped over it) is a damaged database, not a log.
        var suspects = group.Others.Concat(group.Logs).Concat(group.Checkpoint is { } own ? [own] : [])
            .Where(o => !healthy.Contains(o.Path)).DistinctBy(o => o.Path).ToList();

        // A file with a database's magic but a header that fails its checksum needs no other witness.
        if (group.Problems.Concat(suspects).FirstOrDefault(p => p.DamagedDatabase) is { } damaged)
        {
            return Damaged(damaged, "its own bytes carry a database's magic or file type", targetId);
        }

        foreach (var (witness, attached) in group.Logs.Concat(group.Checkpoint is { } c ? [c] : [])
                     .SelectMany(f => f.AttachedDatabases.Select(a => (Witness: f, Attached: a))))
        {
            if (suspects.FirstOrDefault(s => EndsWith(attached, Path.GetRelativePath(group.Location, s.Path))) is { } hit)
            {
                return Damaged(hit, $"the header of '{Path.GetFileName(witness.Path)}' lists it as attached database '{attached}'", targetId);
            }
        }

        // A flush map by name or by content; even a "database" named like a flush map still names the database's place.
        foreach (var map in group.Others.Concat(group.Databases).Where(o => o.FlushMap || o.Path.EndsWith(".jfm", StringComparison.OrdinalIgnoreCase)))
        {
            var stem = Path.GetFileNameWithoutExtension(map.Path);
            var dir = Path.GetDirectoryName(map.Path);
            if (suspects.FirstOrDefault(s => s != map && Path.GetDirectoryName(s.Path) == dir
                    && string.Equals(Path.GetFileNameWithoutExtension(s.Path), stem, StringComparison.OrdinalIgnoreCase)
                    && !IsLogStreamFile(s.Path)) is { } hit)
            {
                return Damaged(hit, $"the flush map '{Path.GetFileName(map.Path)}' beside it carries its name", targetId);
            }
        }

        var remembered = listed.Select(p => (Path: Path.GetFullPath(p), Witness: "the target was listed with it"))
            .Concat(chain.SelectMany(e => e.Manifest.Files
                .Where(f => f.Role == FileRole.Database)
                .SelectMany(f => ChainPlaces(group.Location, e.Manifest, f))));
        foreach (var (path, witness) in remembered)
        {
            var hit = suspects.FirstOrDefault(s => string.Equals(s.Path, path, StringComparison.Ordinal));
            if (hit is not null)
            {
                return Damaged(hit, witness, targetId);
            }
        }

        return null;
    }

    /// <summary>
    /// The full backup the plan is about to replace must not lose a database: every database of the chain's full set must
    /// be in the plan, matched by database signature or by its place in the set.
    /// </summary>
    public static PluginError? CheckAgainstChain(IReadOnlyList<PlannedFile> plannedDatabases, FileSetGroup group, IReadOnlyList<CatalogEntry> chain, string targetId)
    {
        if (chain.Count == 0)
        {
            return null;
        }

        var full = chain[0].Manifest;
        var signatures = group.Databases.Select(d => d.DatabaseSignature).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var setPaths = plannedDatabases.Select(p => p.SetPath).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var had in full.Files.Where(f => f.Role == FileRole.Database))
        {
            var bySignature = had.Database?.DatabaseSignature is { } s && signatures.Contains(s);
            if (!bySignature && !setPaths.Contains(had.Path))
            {
                return new PluginError(
                    ErrorCodes.MissingFileToBackup,
                    $"Set {full.SetId}, the full backup of this chain, holds database '{had.Path}' (from '{had.SourcePath ?? had.Path}'), but it is not in '{group.Location}' now: a full without it would silently drop it from the chain.")
                { TargetId = targetId, File = had.SourcePath ?? had.Path };
            }
        }

        return null;
    }

    private static IEnumerable<(string Path, string Witness)> ChainPlaces(string location, BackupManifest manifest, ManifestFile file)
    {
        var witness = $"set {manifest.SetId} of this chain copied it as database '{file.Path}'";
        if (file.SourcePath is { } source)
        {
            yield return (Path.GetFullPath(source), witness);
        }

        if (!file.Path.StartsWith("databases/", StringComparison.Ordinal))
        {
            yield return (Path.GetFullPath(Path.Combine(location, file.Path.Replace('/', Path.DirectorySeparatorChar))), witness);
        }
    }

    private static PluginError Damaged(ProbedFile file, string witness, string targetId)
    {
        var what = file switch
        {
            { Length: 0 } => "the file is empty",
            { Kind: ProbedKind.Log, HeaderDamaged: false } => $"it holds a transaction log's header (generation {file.Generation}), not a database's",
            { Kind: ProbedKind.Checkpoint } => "it holds a checkpoint's header, not a database's",
            { Kind: ProbedKind.Database } => $"it is a database of another log stream ({file.LogSignature})",
            _ => $"no readable database header in its first pages ({file.Problem ?? "not identified"})",
        };
        return new PluginError(
            ErrorCodes.ReadVerifyFailure,
            $"'{file.Path}' is a database of this set ({witness}), but {what}: the database is damaged. A full backup without it could not restore anything, so none is made.")
        {
            TargetId = targetId,
            File = file.Path,
            Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["eseName"] = "JET_errReadVerifyFailure", ["witness"] = witness },
        };
    }

    /// <summary>
    /// True when <paramref name="attachedPath"/> (as ESE stored it, Windows or Unix separators) ends with every component of
    /// <paramref name="relativePath"/>, ignoring case: <c>C:\Windows\System32\sru\SRUDB.dat</c> names <c>SRUDB.dat</c>, and
    /// <c>…\CatRoot2\{GUID}\catdb</c> names <c>{GUID}/catdb</c> but not another folder's <c>catdb</c>.
    /// </summary>
    internal static bool EndsWith(string attachedPath, string relativePath)
    {
        var attached = attachedPath.Split(['\\', '/'], StringSplitOptions.RemoveEmptyEntries);
        var relative = relativePath.Split(['\\', '/'], StringSplitOptions.RemoveEmptyEntries);
        if (relative.Length == 0 || relative.Length > attached.Length || relative[0] == "..")
        {
            return false;
        }

        for (var i = 1; i <= relative.Length; i++)
        {
            if (!string.Equals(attached[^i], relative[^i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLogStreamFile(string path) =>
        Path.GetExtension(path).ToUpperInvariant() is ".JFM" or ".LOG" or ".CHK" or ".JRS" or ".PAT";
}
