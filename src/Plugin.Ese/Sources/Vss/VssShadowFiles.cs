using System.Buffers.Binary;
using System.IO.Enumeration;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Sources.Vss.Requester;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>One file to stage, found in a shadow copy.</summary>
/// <param name="ShadowPath">Where it is read: inside the shadow copy.</param>
/// <param name="OriginalPath">Where it lives on the original volume (for the manifest and messages).</param>
/// <param name="Role">Its role in the set.</param>
/// <param name="Length">Its length when found.</param>
/// <param name="StageName">Its name in the set directory.</param>
internal sealed record VssShadowFile(string ShadowPath, string OriginalPath, FileRole Role, long Length, string StageName)
{
    /// <summary>For logs: the generation (from the name, or from the header for the current log).</summary>
    public long? Generation { get; init; }

    /// <summary>For logs: the file was the current log (<c>edb.log</c>), staged under its generation's name.</summary>
    public bool WasCurrentLog { get; init; }
}

/// <summary>
/// Finds the files of a planned backup inside the shadow copies: every file specification of the copied
/// components (environment variables expanded, wildcards with Windows semantics, recursion as declared),
/// minus the writer's excluded files, minus reserve and pre-formatted logs (never part of a backup), and,
/// for incremental backups, only the logs from the chain's last generation on.
/// </summary>
internal static class VssShadowFiles
{
    private const int LogHeaderGenerationOffset = 4;

    public static IReadOnlyList<VssShadowFile> Collect(
        VssBackupPlan plan,
        Func<string, VssShadowVolume?> volumeOf,
        VssBackupType type,
        long? fromGeneration,
        string? targetId)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(volumeOf);
        var found = new Dictionary<string, VssShadowFile>(StringComparer.OrdinalIgnoreCase);
        var logsOnly = type == VssBackupType.Incremental;
        var databaseSpecs = 0;

        foreach (var component in plan.WithFiles)
        {
            foreach (var (descriptor, origin) in Descriptors(component))
            {
                if (!descriptor.AppliesTo(type))
                {
                    continue;
                }

                var directory = VssPaths.TrimTrailingSeparators(VssPaths.Expand(descriptor.Path));
                var volume = volumeOf(directory)
                    ?? throw new PluginException(new PluginError(ErrorCodes.InternalError, $"'{directory}' is on no volume of the snapshot set.") { TargetId = targetId });
                var shadowDirectory = volume.ToShadowPath(directory);
                var isDatabaseSpec = origin == Origin.Database
                    || (origin == Origin.FileGroup && VssTargetFactory.DatabaseDescriptors(component, plan.Known).Contains(descriptor));
                if (isDatabaseSpec && !logsOnly)
                {
                    databaseSpecs++;
                }

                if (!Directory.Exists(shadowDirectory))
                {
                    if (isDatabaseSpec && !logsOnly)
                    {
                        throw Missing(directory, descriptor, targetId);
                    }

                    continue;
                }

                var matched = 0;
                foreach (var file in Enumerate(shadowDirectory, descriptor))
                {
                    var originalPath = OriginalPathOf(file.FullName, shadowDirectory, directory);
                    if (IsExcluded(plan.Writer, originalPath))
                    {
                        continue;
                    }

                    var candidate = Classify(file, originalPath, isDatabaseSpec, origin);
                    if (candidate is null || (logsOnly && candidate.Role != FileRole.Log))
                    {
                        continue;
                    }

                    matched++;
                    found.TryAdd(file.FullName, candidate);
                }

                if (matched == 0 && isDatabaseSpec && !logsOnly)
                {
                    throw Missing(directory, descriptor, targetId);
                }
            }
        }

        if (!logsOnly && databaseSpecs == 0)
        {
            throw new PluginException(new PluginError(ErrorCodes.MissingFileToBackup, $"Writer '{plan.Writer.FriendlyName}' declares no database file for component '{plan.Target.FullName}'.") { TargetId = targetId });
        }

        return InStageOrder(NameCurrentLogs(found.Values.ToList()), logsOnly ? fromGeneration : null, targetId);
    }

    /// <summary>An incremental's logs from <paramref name="fromGeneration"/> on, refused if two would share a stage name, in staging order.</summary>
    private static VssShadowFile[] InStageOrder(List<VssShadowFile> files, long? fromGeneration, string? targetId)
    {
        if (fromGeneration is { } from)
        {
            files = files.Where(f => f.Generation is null || f.Generation >= from).ToList();
        }

        var duplicate = files.GroupBy(f => f.StageName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new PluginException(new PluginError(
                ErrorCodes.InvalidPath,
                $"Two files of the backup would be staged as '{duplicate.Key}': {string.Join(", ", duplicate.Select(f => f.OriginalPath))}.") { TargetId = targetId });
        }

        return files
            .OrderBy(f => f.Role switch { FileRole.Database => 0, FileRole.Log => 1, FileRole.Checkpoint => 2, _ => 3 })
            .ThenBy(f => f.WasCurrentLog)
            .ThenBy(f => f.Generation ?? 0)
            .ThenBy(f => f.StageName, StringComparer.OrdinalIgnoreCase)
            .ToArray();
    }

    /// <summary>The generation written in a log file's header (offset 4), or null when the file is too short.</summary>
    public static long? ReadLogGeneration(string path)
    {
        var header = EseHeaderFiles.ReadHead(path, LogHeaderGenerationOffset + sizeof(int), out _);
        if (header.Length < LogHeaderGenerationOffset + sizeof(int))
        {
            return null;
        }

        var generation = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(LogHeaderGenerationOffset));
        return generation > 0 ? generation : null;
    }

    private enum Origin
    {
        Database,
        Log,
        FileGroup,
    }

    private static IEnumerable<(VssFileDescriptor, Origin)> Descriptors(VssWriterComponent c) =>
        c.DatabaseFiles.Select(d => (d, Origin.Database))
            .Concat(c.LogFiles.Select(d => (d, Origin.Log)))
            .Concat(c.Files.Select(d => (d, Origin.FileGroup)));

    private static IEnumerable<FileInfo> Enumerate(string shadowDirectory, VssFileDescriptor descriptor)
    {
        var options = new EnumerationOptions
        {
            MatchType = MatchType.Win32,
            MatchCasing = MatchCasing.CaseInsensitive,
            RecurseSubdirectories = descriptor.Recursive,
            IgnoreInaccessible = false,
            AttributesToSkip = 0,
            ReturnSpecialDirectories = false,
        };
        var spec = descriptor.FileSpec.Length == 0 ? "*" : descriptor.FileSpec;
        return new DirectoryInfo(shadowDirectory).EnumerateFiles(spec, options);
    }

    private static string OriginalPathOf(string shadowFile, string shadowDirectory, string originalDirectory)
    {
        var relative = shadowFile[VssPaths.WithTrailingSeparator(shadowDirectory).Length..];
        var separator = VssPaths.SeparatorOf(originalDirectory);
        if (separator != Path.DirectorySeparatorChar)
        {
            relative = relative.Replace(Path.DirectorySeparatorChar, separator);
        }

        return VssPaths.Join(originalDirectory, relative);
    }

    private static bool IsExcluded(VssWriterMetadata writer, string originalPath)
    {
        var cut = originalPath.LastIndexOfAny(['\\', '/']);
        var directory = cut < 0 ? "" : originalPath[..cut];
        var name = originalPath[(cut + 1)..];
        foreach (var ex in writer.ExcludeFiles)
        {
            var exDirectory = VssPaths.TrimTrailingSeparators(VssPaths.Expand(ex.Path));
            var inDirectory = VssPaths.TrimTrailingSeparators(directory).Equals(exDirectory, StringComparison.OrdinalIgnoreCase)
                || (ex.Recursive && VssPaths.IsUnder(directory, exDirectory));
            if (inDirectory && FileSystemName.MatchesWin32Expression(ex.FileSpec, name, ignoreCase: true))
            {
                return true;
            }
        }

        return false;
    }

    private static VssShadowFile? Classify(FileInfo file, string originalPath, bool isDatabaseSpec, Origin origin)
    {
        if (isDatabaseSpec)
        {
            return new VssShadowFile(file.FullName, originalPath, FileRole.Database, file.Length, file.Name);
        }

        switch (EseFileNames.ClassifyLogSideFile(file.Name))
        {
            case LogSideFileKind.ReserveOrTemporary:
                return null;
            case LogSideFileKind.ArchivedLog:
                return new VssShadowFile(file.FullName, originalPath, FileRole.Log, file.Length, file.Name) { Generation = LogFileName.ArchivedGeneration(file.Name) };
            case LogSideFileKind.CurrentLog:
                return new VssShadowFile(file.FullName, originalPath, FileRole.Log, file.Length, file.Name) { WasCurrentLog = true };
            case LogSideFileKind.Checkpoint:
                return new VssShadowFile(file.FullName, originalPath, FileRole.Checkpoint, file.Length, file.Name);
            default:
                var role = origin == Origin.FileGroup && EseFileNames.IsDatabaseSpec(file.Name) ? FileRole.Database : FileRole.Other;
                return new VssShadowFile(file.FullName, originalPath, role, file.Length, file.Name);
        }
    }

    /// <summary>The current log is staged under its generation's name (read from its header in the shadow copy).</summary>
    private static List<VssShadowFile> NameCurrentLogs(List<VssShadowFile> files)
    {
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            if (!f.WasCurrentLog)
            {
                continue;
            }

            var generation = ReadLogGeneration(f.ShadowPath);
            if (generation is null)
            {
                continue;
            }

            var baseName = Path.GetFileNameWithoutExtension(f.StageName);
            var extension = Path.GetExtension(f.StageName);
            var digits = files
                .Where(o => o.Role == FileRole.Log && !o.WasCurrentLog)
                .Select(o => LogFileName.TryParse(o.StageName))
                .FirstOrDefault(n => n is { IsArchivedLog: true } && n.BaseName.Equals(baseName, StringComparison.OrdinalIgnoreCase))
                ?.GenerationDigits ?? 5;
            files[i] = f with
            {
                Generation = generation,
                StageName = LogFileName.ArchivedName(baseName, generation.Value, extension, eightDigits: digits == 8),
            };
        }

        return files;
    }

    private static PluginException Missing(string directory, VssFileDescriptor descriptor, string? targetId) =>
        new(new PluginError(ErrorCodes.MissingFileToBackup, $"The shadow copy holds no file matching '{descriptor.FileSpec}' in '{directory}', which the writer declares as a database.")
        {
            TargetId = targetId,
            File = VssPaths.Join(directory, descriptor.FileSpec),
        });
}
