using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Staging;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine.Restore;

/// <summary>
/// Restores a chain (a full or copy set, then its incrementals in order) into a directory in the layout
/// ESE recovery expects: databases and logs side by side, the newest copy of each log generation, the
/// checkpoint only when asked. Everything is checked before the first byte is written (chain links, safe
/// paths, contiguous generations, one log signature, the databases' required logs present); every byte is
/// hashed while written; files appear under their final names only when all of them were written.
/// </summary>
internal sealed class RestoreEngine(OnePassCopier copier, IStagingFileSystem fileSystem, IEseRestorer? eseRestorer, ILogger<RestoreEngine> logger)
{
    private sealed record PlannedFile(ManifestFile Entry, string SourcePath, string TargetName, string FromSetId);

    public async Task<RestoreResult> RestoreAsync(RestoreRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.SetDirectories.Count == 0)
        {
            return Fail(new PluginError(ErrorCodes.InvalidParameter, "A restore needs at least one set directory."));
        }

        if (request.Mode == RestoreMode.EseRestore && eseRestorer is not { IsAvailable: true })
        {
            return Fail(new PluginError(ErrorCodes.PlatformNotSupported, "Restoring through ESE (JetRestoreInstance) needs esent.dll, which this machine does not have; restore with mode FilesOnly and run recovery on Windows."));
        }

        var manifests = new List<(BackupManifest Manifest, string Directory)>();
        foreach (var dir in request.SetDirectories.Select(Path.GetFullPath))
        {
            try
            {
                manifests.Add((await SetReader.ReadManifestAsync(dir, ct), dir));
            }
            catch (PluginException ex)
            {
                return Fail(ex.Error);
            }
        }

        if (CheckChain(manifests) is { } chainError)
        {
            return Fail(chainError);
        }

        var (plan, planError) = Plan(manifests, request.IncludeCheckpoint);
        if (planError is not null)
        {
            return Fail(planError);
        }

        if (CheckLogs(manifests[0].Manifest, plan) is { } logError)
        {
            return Fail(logError);
        }

        var destination = Path.GetFullPath(request.Destination);
        if (File.Exists(destination))
        {
            return Fail(new PluginError(ErrorCodes.InvalidPath, $"Restore destination '{destination}' is a file.") { File = destination });
        }

        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any() && !request.Overwrite)
        {
            return Fail(new PluginError(ErrorCodes.DestinationNotEmpty, $"Restore destination '{destination}' is not empty; choose an empty directory or ask to overwrite.") { File = destination });
        }

        // What this restore adds is tracked, so that a failure takes all of it away again: temporary files, files
        // already renamed into place, and the folders it created (a failed restore used to leave those behind).
        var written = new List<(string Temp, string Final)>();
        var placed = new List<string>();
        var createdFolders = new List<string>();

        // Files only: the layout is the destination. Through ESE: lay out beside it, then let ESE restore into it.
        var layout = request.Mode == RestoreMode.EseRestore ? Path.Combine(destination, ".esebackup-restore-layout") : destination;
        try
        {
            CreateFolder(destination, createdFolders);
            CreateFolder(layout, createdFolders);
        }
        catch (CopyWriteException ex)
        {
            // A result, not an exception: the destination cannot be created.
            Cleanup(written, placed, createdFolders);
            return Fail(ErrorMapping.FromWriteFailure(ex, destination));
        }
        var restored = new List<RestoredFile>();
        var total = plan.Sum(p => p.Entry.Size);
        long done = 0;
        string? current = null;
        progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Begin, 0, plan.Count, 0, total));
        try
        {
            foreach (var item in plan)
            {
                ct.ThrowIfCancellationRequested();
                current = item.SourcePath;
                // Set paths were validated as plain relative paths; databases keep their sub-folders, logs sit at the top.
                var final = Path.Combine(layout, item.TargetName.Replace('/', Path.DirectorySeparatorChar));
                var folder = Path.GetDirectoryName(final)!;
                CreateFolder(folder, createdFolders);
                var temp = Path.Combine(folder, $".{Path.GetFileName(final)}.restoring-{Guid.NewGuid():N}");
                written.Add((temp, final));
                CopiedFile copied;
                await using (var reader = LocalFileReader.Open(item.SourcePath))
                {
                    copied = await copier.CopyAsync(reader, item.SourcePath, item.TargetName, temp, n => done += n, ct);
                }

                if (copied.Length != item.Entry.Size || !string.Equals(copied.Sha256, item.Entry.Sha256, StringComparison.OrdinalIgnoreCase))
                {
                    return Abort(new PluginError(ErrorCodes.HashMismatch, $"'{item.SourcePath}' does not match its manifest (SHA-256 {copied.Sha256}, expected {item.Entry.Sha256}); the stored set is damaged. Nothing was restored.") { File = item.SourcePath });
                }

                restored.Add(new RestoredFile(item.TargetName, item.Entry.Role, copied.Length, copied.Sha256, item.FromSetId));
                progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Progress, restored.Count, plan.Count, done, total) { CurrentFile = final });
            }

            current = null;
            foreach (var (temp, final) in written)
            {
                var existed = File.Exists(final);
                try
                {
                    fileSystem.MoveFile(temp, final, overwrite: request.Overwrite);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CopyWriteException(final, ex);
                }

                if (!existed)
                {
                    placed.Add(final);
                }
            }

            // Every folder that received a file (databases keep their sub-folders), deepest first, then the layout root.
            foreach (var folder in written.Select(w => Path.GetDirectoryName(w.Final)!).Append(layout).Distinct(StringComparer.Ordinal).OrderByDescending(f => f.Length))
            {
                fileSystem.SyncDirectory(folder);
            }

            written.Clear();
            placed.Clear();
            createdFolders.Clear();
        }
        catch (OperationCanceledException)
        {
            Cleanup(written, placed, createdFolders);
            throw;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Reading a stored set file is not a failure of the destination.
            return Abort(ex is CopyWriteException || (ex is IOException io && ErrorMapping.IsDiskFull(io)) || current is null
                ? ErrorMapping.FromWriteFailure(ex, destination)
                : ErrorMapping.FromReadFailure(ex, current));
        }

        var generations = plan.Where(p => p.Entry.Log is not null).Select(p => p.Entry.Log!.Generation).ToList();
        var range = generations.Count > 0 ? new GenerationRange(generations.Min(), generations.Max()) : null;
        logger.LogInformation("Restored {Count} files from {Sets} set(s) into {Destination} (logs {Range}).", restored.Count, manifests.Count, destination, range);

        if (request.Mode == RestoreMode.EseRestore && eseRestorer is not null)
        {
            // JetRestoreInstance finds databases through empty <name>.pat files beside them (streaming sets carry none).
            foreach (var db in plan.Where(p => p.Entry.Role == FileRole.Database))
            {
                var pat = Path.ChangeExtension(Path.Combine(layout, db.TargetName.Replace('/', Path.DirectorySeparatorChar)), ".pat");
                if (!File.Exists(pat))
                {
                    try
                    {
                        await File.WriteAllBytesAsync(pat, [], ct);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        return new RestoreResult { Error = ErrorMapping.FromWriteFailure(ex, pat), Files = restored, LogRange = range };
                    }
                }
            }

            var eseError = await eseRestorer.RestoreAsync(layout, destination, ct);
            if (eseError is not null)
            {
                return new RestoreResult { Error = eseError, Files = restored, LogRange = range };
            }

            fileSystem.DeleteDirectory(layout);
        }

        progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Complete, restored.Count, plan.Count, done, total));
        return new RestoreResult { Files = restored, LogRange = range };

        RestoreResult Abort(PluginError error)
        {
            Cleanup(written, placed, createdFolders);
            progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Fail, restored.Count, plan.Count, done, total) { Message = error.Message });
            return Fail(error);
        }
    }

    /// <summary>Creates <paramref name="folder"/> and its missing parents, recording those it creates, outermost first.</summary>
    /// <exception cref="CopyWriteException">The folder cannot be created.</exception>
    private void CreateFolder(string folder, List<string> created)
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
            created.AddRange(missing);
            throw new CopyWriteException(folder, ex);
        }

        created.AddRange(missing);
    }

    private void Cleanup(List<(string Temp, string Final)> written, List<string> placed, List<string> createdFolders)
    {
        // Files renamed into place that did not exist before go too; a file that replaced an existing one (overwrite)
        // stays, as the one it replaced is gone anyway.
        foreach (var path in written.Select(w => w.Temp).Concat(placed))
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

        foreach (var folder in Enumerable.Reverse(createdFolders))
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

    private RestoreResult Fail(PluginError error)
    {
        logger.LogError("Restore failed: {Error}", error);
        return new RestoreResult { Error = error };
    }

    /// <summary>The sets must form one chain of one target: a full (or copy), then incrementals linked in order.</summary>
    private static PluginError? CheckChain(List<(BackupManifest Manifest, string Directory)> sets)
    {
        var first = sets[0].Manifest;
        if (first.Kind == BackupKind.Incremental)
        {
            return new PluginError(ErrorCodes.InvalidParameter, $"A restore chain must start with a full or copy set; '{sets[0].Directory}' holds incremental set {first.SetId}.") { File = sets[0].Directory };
        }

        for (var i = 1; i < sets.Count; i++)
        {
            var (m, dir) = sets[i];
            var prev = sets[i - 1].Manifest;
            if (m.Kind != BackupKind.Incremental || m.Target.Id != first.Target.Id || m.Chain.ChainId != first.SetId || m.Chain.PreviousSetId != prev.SetId)
            {
                return new PluginError(ErrorCodes.InvalidParameter, $"Set {m.SetId} ('{dir}') does not continue the chain: expected an incremental of target {first.Target.Id} following set {prev.SetId} in chain {first.SetId}.") { File = dir };
            }
        }

        return null;
    }

    /// <summary>Chooses what to write: the full's databases (and .pat files), the newest copy of every log, optionally the checkpoint.</summary>
    private static (List<PlannedFile> Plan, PluginError? Error) Plan(List<(BackupManifest Manifest, string Directory)> sets, bool includeCheckpoint)
    {
        var plan = new List<PlannedFile>();
        var logs = new SortedDictionary<long, PlannedFile>();
        PlannedFile? checkpoint = null;
        foreach (var (manifest, dir) in sets)
        {
            foreach (var entry in manifest.Files)
            {
                var (path, error) = SetReader.Resolve(dir, entry.Path);
                if (error is not null)
                {
                    return ([], error);
                }

                if (!File.Exists(path))
                {
                    return ([], new PluginError(ErrorCodes.FileNotFound, $"Set {manifest.SetId} lacks '{entry.Path}', listed in its manifest.") { File = path });
                }

                var planned = new PlannedFile(entry, path!, entry.Path, manifest.SetId);
                switch (entry.Role)
                {
                    case FileRole.Log when entry.Log is not null:
                        logs[entry.Log.Generation] = planned; // a later set's copy is the final version
                        break;
                    case FileRole.Checkpoint:
                        checkpoint = planned;
                        break;
                    case FileRole.Database or FileRole.Patch or FileRole.Other when ReferenceEquals(manifest, sets[0].Manifest):
                        plan.Add(planned);
                        break;
                    default:
                        break;
                }
            }
        }

        plan.AddRange(logs.Values);
        if (includeCheckpoint && checkpoint is not null)
        {
            plan.Add(checkpoint);
        }

        var clash = plan.GroupBy(p => p.TargetName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            return ([], new PluginError(ErrorCodes.UnsafeManifestPath, $"Two files of the chain would both be restored as '{clash.Key}' ({string.Join(", ", clash.Select(c => c.Entry.Path))}); a restore needs unique names."));
        }

        return (plan, null);
    }

    /// <summary>Log sequence and database requirements, from the manifests, before anything is written.</summary>
    private static PluginError? CheckLogs(BackupManifest first, List<PlannedFile> plan)
    {
        var logs = plan.Where(p => p.Entry.Log is not null).Select(p => p.Entry).ToList();
        var broken = SetReader.CheckLogSequence(first, logs).FirstOrDefault(f => f.Severity == FindingSeverity.Corruption);
        if (broken is not null)
        {
            var code = broken.Code switch
            {
                "LogSignatureMismatch" => ErrorCodes.GivenLogFileHasBadSignature,
                "LogNotContiguous" => ErrorCodes.GivenLogFileIsNotContiguous,
                _ => ErrorCodes.MissingRestoreLogFiles,
            };
            return new PluginError(code, "The chain cannot be restored: " + broken.Message) { Generation = broken.Generation };
        }

        var low = logs.Count > 0 ? logs.Min(l => l.Log!.Generation) : (long?)null;
        var high = logs.Count > 0 ? logs.Max(l => l.Log!.Generation) : (long?)null;
        foreach (var db in plan.Where(p => p.Entry.Database is not null))
        {
            var facts = db.Entry.Database!;
            if (facts.RequiredLogRange is { } need && need.Low > 0 && (low is null || need.Low < low || need.High > high))
            {
                return new PluginError(ErrorCodes.RequiredLogFilesMissing, $"Database '{db.Entry.Path}' needs log generations {need}, but the chain holds {(low is null ? "none" : $"{low}-{high}")}.") { File = db.SourcePath };
            }

            var logSignature = logs.Select(l => l.Log!.LogSignature).FirstOrDefault(s => s is not null);
            if (facts.LogSignature is { } dbLog && logSignature is not null && dbLog != logSignature && logs.Count > 0)
            {
                return new PluginError(ErrorCodes.DatabaseLogSetMismatch, $"Database '{db.Entry.Path}' belongs to log stream {dbLog}, but the chain's logs belong to {logSignature}.") { File = db.SourcePath };
            }
        }

        return null;
    }
}
