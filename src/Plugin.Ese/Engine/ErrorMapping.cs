using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Engine.Copy;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>Turns exceptions and verification findings into contract errors that name file and position.</summary>
internal static class ErrorMapping
{
    private const int EnospcUnix = 28;
    private const int ErrorDiskFull = unchecked((int)0x80070070);
    private const int ErrorHandleDiskFull = unchecked((int)0x80070027);

    private const int ErofsUnix = 30;
    private const int ErrorWriteProtect = unchecked((int)0x80070013);

    public static bool IsDiskFull(IOException ex) => ex.HResult is EnospcUnix or ErrorDiskFull or ErrorHandleDiskFull;

    /// <summary>EROFS / ERROR_WRITE_PROTECT: retrying will not help until someone makes the place writable.</summary>
    public static bool IsReadOnly(IOException ex) => ex.HResult is ErofsUnix or ErrorWriteProtect;

    /// <summary>A write-side I/O failure in staging or a restore destination.</summary>
    public static PluginError FromWriteFailure(Exception ex, string path, string? targetId = null) => ex switch
    {
        // The copier names the file it failed to write; report the underlying error for that file.
        CopyWriteException { InnerException: { } inner } w => FromWriteFailure(inner, w.Path, targetId),
        IOException io when IsDiskFull(io) => new PluginError(ErrorCodes.DiskFull, $"The disk holding '{path}' is full: {io.Message}") { File = path, TargetId = targetId },
        IOException io when IsReadOnly(io) => new PluginError(ErrorCodes.PermissionDenied, $"'{path}' is on a read-only file system: {io.Message}") { File = path, TargetId = targetId },
        UnauthorizedAccessException => new PluginError(ErrorCodes.PermissionDenied, $"Access to '{path}' was denied: {ex.Message}") { File = path, TargetId = targetId },
        _ => new PluginError(ErrorCodes.DiskIO, $"Writing '{path}' failed: {ex.Message}") { File = path, TargetId = targetId },
    };

    /// <summary>A read-side failure of a source file.</summary>
    public static PluginError FromReadFailure(Exception ex, string path, string? targetId = null) => ex switch
    {
        PluginException pe => pe.Error,
        FileNotFoundException or DirectoryNotFoundException => new PluginError(ErrorCodes.MissingFileToBackup, $"'{path}' disappeared before it could be copied: {ex.Message}") { File = path, TargetId = targetId },
        UnauthorizedAccessException => new PluginError(ErrorCodes.PermissionDenied, $"Access to '{path}' was denied: {ex.Message}") { File = path, TargetId = targetId },
        _ => new PluginError(ErrorCodes.DiskIO, $"Reading '{path}' failed: {ex.Message}") { File = path, TargetId = targetId },
    };

    /// <summary>
    /// The error that fails a backup for a file whose checks found corruption: ESE's
    /// <c>ReadVerifyFailure</c> for databases, <c>LogReadVerifyFailure</c> for logs, naming page or generation.
    /// </summary>
    /// <param name="result">The verification that found corruption.</param>
    /// <param name="path">The file, as the error names it.</param>
    /// <param name="targetId">The target being backed up.</param>
    /// <param name="plannedGeneration">The log generation the source planned this file to be: a damaged header's own generation field may be the damage.</param>
    public static PluginError FromCorruption(StreamVerification result, string path, string? targetId, long? plannedGeneration = null)
    {
        var first = result.Findings.First(f => f.Severity == FindingSeverity.Corruption);
        var more = result.Findings.Count(f => f.Severity == FindingSeverity.Corruption) - 1;
        var code = result.Role == FileRole.Log ? ErrorCodes.LogReadVerifyFailure : ErrorCodes.ReadVerifyFailure;
        var where = first.Page is { } page ? $" page {page}" : first.Sector is { } sector ? $" sector {sector}" : string.Empty;
        var message = $"'{path}'{where} failed verification: {first.Message}" + (more > 0 ? $" ({more} more finding(s))" : string.Empty) + " The backup was abandoned; nothing was staged and no log was truncated.";
        return new PluginError(code, message)
        {
            File = path,
            TargetId = targetId,
            Page = first.Page,
            Offset = first.Offset,
            Generation = first.Generation ?? plannedGeneration ?? result.Log?.Generation,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["finding"] = first.Code,
                ["expected"] = first.Expected ?? string.Empty,
                ["actual"] = first.Actual ?? string.Empty,
            },
        };
    }
}
