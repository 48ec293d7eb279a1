using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// Walks directories (bounded depth, never through symbolic links) and groups the ESE files it finds by
/// log signature into file sets.
/// </summary>
internal sealed class FileSetScanner(FileSetOptions options, ILogger logger)
{
    /// <summary>
    /// A backup set (staged, stored or being staged) below a scanned root is a copy of a target, not a target: its logs
    /// carry the live stream's signature, so counting it would make every backup look like a second location of its
    /// own source.
    /// </summary>
    private static bool IsBackupSet(DirectoryInfo directory) =>
        directory.Name.StartsWith(Engine.Staging.StagingArea.PartialPrefix, StringComparison.Ordinal)
        || File.Exists(Path.Combine(directory.FullName, Abstractions.Manifest.BackupManifest.FileName));

    /// <summary>
    /// Every file-set group under <paramref name="root"/>. <paramref name="alsoProbe"/> names files outside the walk
    /// that belong with it (databases a target listed, kept in another folder than the logs); they join the group
    /// of their log signature.
    /// </summary>
    public IReadOnlyList<FileSetGroup> Scan(string root, int? maxDepth, CancellationToken ct, IEnumerable<string>? alsoProbe = null)
    {
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            logger.LogWarning("File-set root {Root} does not exist.", full);
            return [];
        }

        var probed = new List<ProbedFile>();
        var truncated = false;
        var depthLimit = Math.Max(0, maxDepth ?? options.MaxDepth);
        var queue = new Queue<(string Dir, int Depth)>();
        queue.Enqueue((full, 0));
        var count = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            ct.ThrowIfCancellationRequested();
            var (dir, depth) = queue.Dequeue();
            foreach (var entry in ListDirectory(dir).OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                if (entry.LinkTarget is not null)
                {
                    continue; // never follow links: they could lead out of the root or loop
                }

                if (entry is DirectoryInfo sub)
                {
                    if (depth < depthLimit && !IsBackupSet(sub))
                    {
                        queue.Enqueue((sub.FullName, depth + 1));
                    }
                }
                else if (entry is FileInfo file)
                {
                    if (count++ >= options.MaxFilesPerRoot)
                    {
                        truncated = true;
                        continue;
                    }

                    seen.Add(file.FullName);
                    Add(file.FullName);
                }
            }
        }

        var outside = ProbeAlso(alsoProbe ?? [], seen, probed);

        if (truncated)
        {
            logger.LogWarning("Scanning {Root} stopped after {Max} files (FileSet:MaxFilesPerRoot); file sets there may be incomplete.", full, options.MaxFilesPerRoot);
        }

        var groups = Group(probed);
        if (outside.Count > 0)
        {
            groups = [.. groups.Select(g => g with { Others = [.. g.Others, .. outside.Where(o => !g.Others.Contains(o))] })];
        }

        return truncated ? [.. groups.Select(g => g with { ScanTruncated = true })] : groups;

        void Add(string path)
        {
            // Every file is kept, ESE or not: a database destroyed beyond recognition is found later by its name.
            probed.Add(FormatFileProbe.Probe(path));
        }
    }

    /// <summary>One directory's entries; one that cannot be listed is logged and skipped.</summary>
    private List<FileSystemInfo> ListDirectory(string dir)
    {
        try
        {
            return new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true, AttributesToSkip = 0 }).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(ex, "Cannot list {Directory}.", dir);
            return [];
        }
    }

    /// <summary>
    /// Probes files known to belong to the set that the walk did not reach; those that are no longer ESE files by their
    /// own bytes (a database destroyed beyond recognition) are returned, as they are still files of the set.
    /// </summary>
    private static List<ProbedFile> ProbeAlso(IEnumerable<string> alsoProbe, HashSet<string> seen, List<ProbedFile> probed)
    {
        var outside = new List<ProbedFile>();
        foreach (var extra in alsoProbe)
        {
            var path = Path.GetFullPath(extra);
            if (seen.Add(path) && File.Exists(path))
            {
                probed.Add(FormatFileProbe.Probe(path));
                if (probed[^1].Kind is not (ProbedKind.Database or ProbedKind.Log or ProbedKind.Checkpoint))
                {
                    outside.Add(probed[^1]);
                }
            }
        }

        return outside;
    }

    /// <summary>Groups probed files by log signature; a group's location is its logs' (or checkpoint's, or first database's) directory.</summary>
    public static IReadOnlyList<FileSetGroup> Group(IReadOnlyList<ProbedFile> files)
    {
        var groups = new List<FileSetGroup>();
        var damaged = files.Where(f => f.Kind == ProbedKind.Log && f.LogSignature is null).ToList();
        var unreadable = files.Where(f => f.Kind == ProbedKind.Unreadable).ToList();
        foreach (var bySignature in files.Where(f => f.LogSignature is not null).GroupBy(f => f.LogSignature!, StringComparer.Ordinal))
        {
            var logs = bySignature.Where(f => f.Kind == ProbedKind.Log && f.Generation is not null).ToList();
            var checkpoints = bySignature.Where(f => f.Kind == ProbedKind.Checkpoint).ToList();
            var databases = bySignature.Where(f => f.Kind == ProbedKind.Database).ToList();

            // Logs of one stream in two directories are two copies of the stream: keep them apart.
            var logDirs = logs.Select(l => Path.GetDirectoryName(l.Path)!).Concat(checkpoints.Select(c => Path.GetDirectoryName(c.Path)!)).Distinct(StringComparer.Ordinal).ToList();
            if (logDirs.Count == 0)
            {
                var dir = Path.GetDirectoryName(databases[0].Path)!;
                groups.Add(new FileSetGroup(bySignature.Key, dir, databases, [], null) { Others = OthersBelow(files, dir, databases) });
                continue;
            }

            foreach (var dir in logDirs)
            {
                var here = logs.Where(l => Path.GetDirectoryName(l.Path) == dir).ToList();
                var checkpoint = checkpoints.FirstOrDefault(c => Path.GetDirectoryName(c.Path) == dir);
                var baseName = here.Select(l => l.BaseName).Concat([checkpoint?.BaseName]).FirstOrDefault(b => b is not null);

                // Logs with damaged headers join the set of their directory and base name.
                foreach (var bad in damaged.Where(d => Path.GetDirectoryName(d.Path) == dir && string.Equals(d.BaseName, baseName, StringComparison.OrdinalIgnoreCase)))
                {
                    var generation = bad.Generation ?? (here.Count == 0 ? 1 : here.Max(l => l.Generation!.Value) + 1);
                    here.Add(bad with { Generation = generation, LogSignature = bySignature.Key });
                }
                // Databases belong to the log directory that is their own directory or the nearest one above it.
                var dbs = databases.Where(d => NearestLogDir(d.Path, logDirs) == dir).ToList();
                groups.Add(new FileSetGroup(bySignature.Key, dir, dbs, here, checkpoint)
                {
                    Problems = [.. unreadable.Where(u => Path.GetDirectoryName(u.Path) == dir)],
                    Others = OthersBelow(files, dir, [.. dbs, .. here, .. checkpoint is null ? [] : new[] { checkpoint }]),
                });
            }
        }

        return groups;
    }

    /// <summary>
    /// Every file in the set's directory tree that is not one of its own (whatever it is, even another set's log or
    /// checkpoint): a database's place may hold anything once the file was emptied, overwritten or swapped.
    /// </summary>
    private static List<ProbedFile> OthersBelow(IReadOnlyList<ProbedFile> files, string dir, IEnumerable<ProbedFile> own)
    {
        var mine = own.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        return [.. files.Where(f => IsBelow(f.Path, dir) && !mine.Contains(f.Path))];
    }

    private static bool IsBelow(string path, string dir) => path.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string? NearestLogDir(string databasePath, List<string> logDirs)
    {
        var dbDir = Path.GetDirectoryName(databasePath)!;
        return logDirs
            .Where(d => dbDir == d || dbDir.StartsWith(d + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .OrderByDescending(d => d.Length)
            .FirstOrDefault() ?? logDirs[0];
    }
}
