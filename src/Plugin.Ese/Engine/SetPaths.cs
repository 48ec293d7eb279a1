namespace EseBackupPlugin.Ese.Engine;

/// <summary>Rules for paths inside a backup set (manifest entries).</summary>
internal static class SetPaths
{
    /// <summary>
    /// True for a relative path with <c>/</c> separators that cannot leave its directory: not rooted, no
    /// drive or UNC prefix, no <c>.</c>/<c>..</c> segments, no empty segments, no backslashes, colons or
    /// control characters (which would mean something else on Windows).
    /// </summary>
    public static bool IsSafeRelativePath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 1024 || path[0] == '/' || path.EndsWith('/'))
        {
            return false;
        }

        foreach (var c in path)
        {
            if (c < 0x20 || c is '\\' or ':' or '<' or '>' or '"' or '|' or '?' or '*')
            {
                return false;
            }
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || segment.EndsWith('.') || segment.EndsWith(' '))
            {
                return false;
            }
        }

        return true;
    }
}
