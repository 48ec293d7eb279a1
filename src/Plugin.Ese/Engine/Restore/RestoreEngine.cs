using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine.Restore;

/// <summary>
/// Restores a chain (a full or copy set, then its incrementals in order) into a directory in the layout
/// ESE recovery expects: databases and logs side by side, the newest copy of each log generation, the
/// checkpoint only when asked. Two steps: <see cref="RestorePlanner"/> checks everything before the first byte
/// (chain links, safe paths, contiguous generations, one log signature, the databases' required logs present);
/// <see cref="RestoreWriter"/> writes, hashing every byte, and files appear under their final names only when all
/// of them were written. A restore through ESE then runs <see cref="IEseRestorer"/> over the laid-out files.
/// </summary>
internal sealed class RestoreEngine(OnePassCopier copier, IStagingFileSystem fileSystem, IEseRestorer? eseRestorer, ILogger<RestoreEngine> logger)
{
    public async Task<RestoreResult> RestoreAsync(RestoreRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Mode == RestoreMode.EseRestore && eseRestorer is not { IsAvailable: true })
        {
            return Fail(new PluginError(ErrorCodes.PlatformNotSupported, "Restoring through ESE (JetRestoreInstance) needs esent.dll, which this machine does not have; restore with mode FilesOnly and run recovery on Windows."));
        }

        var (plan, planError) = await RestorePlanner.PlanAsync(request, ct);
        if (plan is null)
        {
            return Fail(planError!);
        }

        var writer = new RestoreWriter(copier, fileSystem, logger);
        if (await writer.WriteAsync(plan, progress, ct) is { } writeError)
        {
            return Fail(writeError);
        }

        var restored = writer.Restored;
        var range = plan.LogRange;
        logger.LogInformation("Restored {Count} files from {Sets} set(s) into {Destination} (logs {Range}).", restored.Count, plan.SetCount, plan.Destination, range);
        if (request.Mode == RestoreMode.EseRestore && eseRestorer is not null && await RestoreThroughEseAsync(plan, eseRestorer, ct) is { } eseError)
        {
            return new RestoreResult { Error = eseError, Files = restored, LogRange = range };
        }

        progress?.Report(new OperationProgress(OperationKind.Restore, ProgressPhase.Complete, restored.Count, plan.Files.Count, writer.BytesDone, plan.TotalBytes));
        return new RestoreResult { Files = restored, LogRange = range };
    }

    /// <summary>Lets ESE recover the laid-out files into the destination, then removes the layout.</summary>
    private async Task<PluginError?> RestoreThroughEseAsync(RestorePlan plan, IEseRestorer restorer, CancellationToken ct)
    {
        // JetRestoreInstance finds databases through empty <name>.pat files beside them (streaming sets carry none).
        foreach (var db in plan.Files.Where(p => p.Entry.Role == FileRole.Database))
        {
            var pat = Path.ChangeExtension(Path.Combine(plan.Layout, db.TargetName.Replace('/', Path.DirectorySeparatorChar)), ".pat");
            if (!File.Exists(pat))
            {
                try
                {
                    await File.WriteAllBytesAsync(pat, [], ct);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    return ErrorMapping.FromWriteFailure(ex, pat);
                }
            }
        }

        if (await restorer.RestoreAsync(plan.Layout, plan.Destination, ct) is { } eseError)
        {
            return eseError;
        }

        fileSystem.DeleteDirectory(plan.Layout);
        return null;
    }

    private RestoreResult Fail(PluginError error)
    {
        logger.LogError("Restore failed: {Error}", error);
        return new RestoreResult { Error = error };
    }
}
