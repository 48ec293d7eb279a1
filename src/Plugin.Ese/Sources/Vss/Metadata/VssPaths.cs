namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>
/// Path arithmetic for paths that come from writers (Windows paths, even when a test runs on Linux against
/// the ABI fake with native paths). Only string work: no I/O.
/// </summary>
internal static class VssPaths
{
    /// <summary>Expands <c>%VAR%</c> references the way writers write them.</summary>
    public static string Expand(string path) => Environment.ExpandEnvironmentVariables(path);

    /// <summary>The separator a path already uses; the platform's when it uses none or both.</summary>
    public static char SeparatorOf(string path)
    {
        var backslash = path.Contains('\\', StringComparison.Ordinal);
        var slash = path.Contains('/', StringComparison.Ordinal);
        return backslash == slash ? Path.DirectorySeparatorChar : backslash ? '\\' : '/';
    }

    /// <summary>Joins a directory and a name with the directory's own separator.</summary>
    public static string Join(string directory, string name)
    {
        if (directory.Length == 0)
        {
            return name;
        }

        var last = directory[^1];
        return last is '\\' or '/' ? directory + name : directory + SeparatorOf(directory) + name;
    }

    /// <summary>Appends a separator when the path does not end with one.</summary>
    public static string WithTrailingSeparator(string path)
    {
        if (path.Length == 0)
        {
            return path;
        }

        var last = path[^1];
        return last is '\\' or '/' ? path : path + SeparatorOf(path);
    }

    /// <summary>Removes trailing separators (but keeps a bare root such as <c>C:\</c> or <c>/</c>).</summary>
    public static string TrimTrailingSeparators(string path)
    {
        var end = path.Length;
        while (end > 1 && path[end - 1] is '\\' or '/' && !(end == 3 && path[1] == ':'))
        {
            end--;
        }

        return path[..end];
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="root"/> or lies below it (case-insensitive, as on Windows).</summary>
    public static bool IsUnder(string path, string root)
    {
        var r = WithTrailingSeparator(root);
        var p = WithTrailingSeparator(path);
        return p.StartsWith(r, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The path of <paramref name="originalPath"/> inside a shadow copy: the part after the volume's mount point,
    /// appended to the shadow device object with a separator (never the bare device path, which names a device).
    /// </summary>
    public static string ToShadowPath(string originalPath, string mountPoint, string shadowDevice)
    {
        var root = WithTrailingSeparator(mountPoint);
        var full = WithTrailingSeparator(originalPath);
        if (!full.StartsWith(root, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{originalPath}' is not on the volume mounted at '{mountPoint}'.", nameof(originalPath));
        }

        var relative = TrimTrailingSeparators(originalPath.Length >= root.Length ? originalPath[root.Length..] : "");
        var device = WithTrailingSeparator(shadowDevice);
        var separator = SeparatorOf(shadowDevice);
        if (separator != '\\')
        {
            relative = relative.Replace('\\', separator);
        }

        return device + relative;
    }
}
