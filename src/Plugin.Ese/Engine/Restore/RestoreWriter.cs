using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine.Restore;

/// <summary>
/// The second half of a restore: writes a checked <see cref="RestorePlan"/> and decides nothing but whether the bytes
/// arrived. Every file is hashed while written under a temporary name; all of them are renamed into place only when
/// all were written. What this writer adds is tracked, so that a failure takes all of it away again: temporary
/// files, files already renamed into place, and the folders it created. One writer per restore.
/// </summary>
internal sealed class RestoreWriter(OnePassCopier copier, IStagingFileSystem fileSystem, ILogger logger)
{
    private readonly List<(string Temp, string Final)> _written = [];
    private readonly List<string> _placed = [];
    private readonly List<string> _createdFolders = [];
    private readonly List<RestoredFile> _restored = [];
    private long _done;

    /// <summary>The files written so far.</summary>
    public IReadOnlyList<RestoredFile> Restored => _restored;

    /// <summary>Bytes written so far.</summary>
    public long BytesDone => _done;

    /// <summary>Writes every file of <paramref name="plan"/>; on failure removes what it wrote and returns why.</summary>
    /// <exception cref="OperationCanceledException">Cancelled (what was written is removed first).</exception>
    public async Task<PluginError?> WriteAsync(RestorePlan plan, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        try
        {
            CreateFolder(plan.Destination);
            CreateFolder(plan.Layout);
        }
        catch (CopyWriteException ex)
        {
            // A result, not an exception: the destination cannot be created.
            Cleanup();
            return ErrorMapping.FromWriteFailure(ex, plan.Destination);
        }

        progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Begin, 0, plan.Files.Count, 0, plan.TotalBytes));
        string? current = null;
        try
        {
            foreach (var item in plan.Files)
            {
                ct.ThrowIfCancellationRequested();
                current = item.SourcePath;
                if (await WriteFileAsync(item, plan, progress, ct) is { } mismatch)
                {
                    return Abort(mismatch, plan, progress);
                }
            }

            current = null;
            PlaceAll(plan);
            return null;
        }
        catch (OperationCanceledException)
        {
            Cleanup();
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Reading a stored set file is not a failure of the destination.
            return Abort(
                ex is CopyWriteException || (ex is IOException io && ErrorMapping.IsDiskFull(io)) || current is null
                    ? ErrorMapping.FromWriteFailure(ex, plan.Destination)
                    : ErrorMapping.FromReadFailure(ex, current),
                plan,
                progress);
        }
    }

    /// <summary>Writes one file under a temporary name; a hash or size that differs from the manifest is the error returned.</summary>
    private async Task<PluginError?> WriteFileAsync(PlannedFile item, RestorePlan plan, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        // Set paths were validated as plain relative paths; databases keep their sub-folders, logs sit at the top.
        var final = Path.Combine(plan.Layout, item.TargetName.Replace('/', Path.DirectorySeparatorChar));
        var folder = Path.GetDirectoryName(final)!;
        CreateFolder(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(final)}.restoring-{Guid.NewGuid():N}");
        _written.Add((temp, final));
        CopiedFile copied;
        await using (var reader = LocalFileReader.Open(item.SourcePath))
        {
            copied = await copier.CopyAsync(reader, item.SourcePath, item.TargetName, temp, n => _done += n, ct);
        }

        if (copied.Length != item.Entry.Size || !string.Equals(copied.Sha256, item.Entry.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            return new PluginError(ErrorCodes.HashMismatch, $"'{item.SourcePath}' does not match its manifest (SHA-256 {copied.Sha256}, expected {item.Entry.Sha256}); the stored set is damaged. Nothing was restored.") { File = item.SourcePath };
        }

        _restored.Add(new RestoredFile(item.TargetName, item.Entry.Role, copied.Length, copied.Sha256, item.FromSetId));
        progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Progress, _restored.Count, plan.Files.Count, _done, plan.TotalBytes) { CurrentFile = final });
        return null;
    }

    /// <summary>Renames every written file into place, then makes the renames durable.</summary>
    private void PlaceAll(RestorePlan plan)
    {
        foreach (var (temp, final) in _written)
        {
            var existed = File.Exists(final);
            try
            {
                fileSystem.MoveFile(temp, final, overwrite: plan.Overwrite);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CopyWriteException(final, ex);
            }

            if (!existed)
            {
                _placed.Add(final);
            }
        }

        // Every folder that received a file (databases keep their sub-folders), deepest first, then the layout root.
        foreach (var folder in _written.Select(w => Path.GetDirectoryName(w.Final)!).Append(plan.Layout).Distinct(StringComparer.Ordinal).OrderByDescending(f => f.Length))
        {
            fileSystem.SyncDirectory(folder);
        }

        _written.Clear();
        _placed.Clear();
        _createdFolders.Clear();
    }

    private PluginError Abort(PluginError error, RestorePlan plan, IProgress<OperationProgress>? progress)
    {
        Cleanup();
        progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Fail, _restored.Count, plan.Files.Count, _done, plan.TotalBytes) { Message = error.Message });
        return error;
    }

    /// <summary>Creates <paramref name="folder"/> and its missing parents, recording those it creates, outermost first.</summary>
    /// <exception cref="CopyWriteException">The folder cannot be created.</exception>
    private void CreateFolder(string folder)
    {
        var missing = new Stack<string>();
        for (var dir = folder; !string.IsNullOrEmpty(dir) && !Directory.Exists(dir); dir = Path.GetDirectoryName(dir))
        {
            missing.Push(dir);
        }

        try
        {
            fileSystem.CreateDirectory(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Some of the missing folders may exist now; the cleanup removes only empty ones.
            _createdFolders.AddRange(missing);
            throw new CopyWriteException(folder, ex);
        }

        _createdFolders.AddRange(missing);
    }

    private void Cleanup()
    {
        // Files renamed into place that did not exist before go too; a file that replaced an existing one (overwrite)
        // stays, as the one it replaced is gone anyway.
        foreach (var path in _written.Select(w => w.Temp).Concat(_placed))
        {
            try
            {
                fileSystem.DeleteFile(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "Could not remove partial restore file {File}.", path);
            }
        }

        foreach (var folder in Enumerable.Reverse(_createdFolders))
        {
            try
            {
                if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
                {
                    Directory.Delete(folder);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "Could not remove folder {Folder} created by the failed restore.", folder);
            }
        }
    }
}
