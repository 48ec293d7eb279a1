using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>Maps I/O exceptions to contract errors (with ESE's names where they exist).</summary>
internal static class IoErrors
{
    /// <summary>True for the exceptions reading a file can legitimately throw.</summary>
    public static bool IsIoFailure(Exception ex) => ex is IOException or UnauthorizedAccessException or System.Security.SecurityException;

    /// <summary>The error for a failed read of <paramref name="path"/>.</summary>
    public static PluginError FromException(Exception ex, string path)
    {
        var code = ex switch
        {
            FileNotFoundException or DirectoryNotFoundException => ErrorCodes.FileNotFound,
            UnauthorizedAccessException or System.Security.SecurityException => ErrorCodes.PermissionDenied,
            _ => ErrorCodes.DiskIO,
        };
        return new PluginError(code, $"Cannot read {path}: {ex.Message}") { File = path };
    }

    /// <summary>The error for a path that does not exist.</summary>
    public static PluginError NotFound(string path) =>
        new(ErrorCodes.FileNotFound, $"{path} does not exist.") { File = path };
}
