using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Engine.Staging;

/// <summary>
/// What a host's staging directory must be, checked before anything is written: an absolute path (a relative one
/// would depend on whatever the process's working directory happens to be), a directory rather than a file, and
/// outside every directory the target's files live in (a set staged inside its own source would be scanned as part
/// of that source, and a restore of it would land in the live files).
/// </summary>
internal static class StagingRules
{
    /// <summary>The path itself: empty, relative or a regular file. <see langword="null"/> when usable.</summary>
    public static PluginError? CheckPath(string? staging, string targetId)
    {
        if (string.IsNullOrWhiteSpace(staging))
        {
            return new PluginError(ErrorCodes.InvalidPath, "No staging directory was given.") { TargetId = targetId };
        }

        if (!Path.IsPathFullyQualified(staging))
        {
            return new PluginError(ErrorCodes.InvalidPath, $"Staging directory '{staging}' is a relative path; give a full path (it is not resolved against the working directory).")
            {
                TargetId = targetId,
                File = staging,
            };
        }

        var full = Path.GetFullPath(staging);
        if (File.Exists(full))
        {
            return new PluginError(ErrorCodes.InvalidPath, $"Staging directory '{full}' is a file, not a directory.") { TargetId = targetId, File = full };
        }

        return null;
    }

    /// <summary>The staging directory lies in (or is) a directory holding the target's files.</summary>
    public static PluginError? CheckOutsideSource(string staging, BackupTarget target)
    {
        var full = Normalized(staging);
        foreach (var source in SourceDirectories(target))
        {
            if (full.StartsWith(source, PathComparison))
            {
                return new PluginError(
                    ErrorCodes.InvalidPath,
                    $"Staging directory '{Path.GetFullPath(staging)}' is inside '{source.TrimEnd(Path.DirectorySeparatorChar)}', which holds files of '{target.DisplayName}'; stage outside the target's directories.")
                {
                    TargetId = target.Id,
                    File = Path.GetFullPath(staging),
                };
            }
        }

        return null;
    }

    private static IEnumerable<string> SourceDirectories(BackupTarget target)
    {
        var files = target.Databases.Select(d => d.Path).Append(target.CheckpointPath);
        var directories = files.Where(f => f is not null && Path.IsPathFullyQualified(f)).Select(f => Path.GetDirectoryName(f!))
            .Append(target.Logs?.Directory)
            .Append(target.Kind == TargetKind.FileSet ? target.Location : null);
        return directories.Where(d => !string.IsNullOrEmpty(d) && Path.IsPathFullyQualified(d)).Select(d => Normalized(d!)).Distinct(StringComparer.Ordinal);
    }

    private static string Normalized(string directory) => Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;

    private static StringComparison PathComparison => OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
}
