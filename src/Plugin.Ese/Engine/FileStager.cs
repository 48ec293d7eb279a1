using System.Diagnostics;
using System.Runtime.ExceptionServices;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Format;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>
/// Copies a session's files into the run's set target (one pass each: verify, hash, write) and adds each to the
/// manifest in the source's order. Up to <c>degree</c> files are copied at once when both the session and the target
/// allow it; the copies then share the copier's buffers, so memory stays that of one copy. The first file that fails
/// stops the others (cancelled, their partial files left to the work directory's removal) and is the one reported.
/// </summary>
internal sealed class FileStager(ILogger logger)
{
    /// <summary>Stages every file of <paramref name="run"/>'s session into <paramref name="manifest"/>.</summary>
    /// <returns>The error that stopped staging (naming the file), or <see langword="null"/> when every file is staged.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> was cancelled.</exception>
    /// <exception cref="PluginException">The session could not offer its next file.</exception>
    public async Task<PluginError?> StageAsync(BackupRun run, ManifestBuilder manifest, int degree, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(manifest);
        var session = run.Session;
        var shares = session.FilesMayBeReadInParallel && run.Work.CopiesInParallel ? Math.Max(1, degree) : 1;
        var meter = new StageMeter(progress, session.Estimate);
        meter.Report(ProgressPhase.Begin, 0, null);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = new Queue<Copy>();
        try
        {
            await foreach (var file in session.GetFilesAsync(ct))
            {
                if (!SetPaths.IsSafeRelativePath(file.RelativePath) || !names.Add(file.RelativePath))
                {
                    return new PluginError(ErrorCodes.InternalError, $"The source offered an unusable or duplicate set path '{file.RelativePath}'.") { TargetId = run.Target.Id, File = file.SourcePath };
                }

                running.Enqueue(Start(run, file, meter, shares, stop));
                while (running.Count >= shares)
                {
                    if (await FinishOldestAsync(run, manifest, running, ct) is { } error)
                    {
                        return error;
                    }
                }
            }

            while (running.Count > 0)
            {
                if (await FinishOldestAsync(run, manifest, running, ct) is { } error)
                {
                    return error;
                }
            }

            return null;
        }
        finally
        {
            // A copy still running when staging stops (a failure, the session's own error, a cancel) is stopped and awaited:
            // nothing may write into the work directory once the run undoes it.
            await stop.CancelAsync();
            while (running.Count > 0)
            {
                // Its error, if any, was superseded by the one being reported (reading Exception marks it observed).
                await running.Dequeue().Task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Starts one file's copy on the thread pool (a small file is copied on the calling thread otherwise).</summary>
    private static Copy Start(BackupRun run, SourceFile file, StageMeter meter, int shares, CancellationTokenSource stop)
    {
        var display = file.SourcePath ?? file.StagedPath ?? file.RelativePath;
        var task = Task.Run(
            async () =>
            {
                try
                {
                    return await CopyOneAsync(run, file, display, meter, shares, stop.Token);
                }
                catch (OperationCanceledException ex) when (!stop.IsCancellationRequested)
                {
                    // Nobody asked to stop (not the caller, not a failing file beside it): a reader's or writer's own timeout
                    // gave up. That is a failure of this file, reported as one, never a cancellation the host did not ask for.
                    await stop.CancelAsync();
                    throw new IOException($"Copying '{display}' was cancelled although no cancellation was requested: {ex.Message}", ex);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The first failure stops the files beside it; it is the one reported.
                    await stop.CancelAsync();
                    throw;
                }
            },
            CancellationToken.None);
        return new Copy(file, display, task);
    }

    private static async Task<CopiedFile> CopyOneAsync(BackupRun run, SourceFile file, string display, StageMeter meter, int shares, CancellationToken ct)
    {
        await using var reader = await file.OpenAsync(ct);
        var copied = await run.Work.CopyAsync(file, reader, display, n => meter.Add(n, display), shares, ct);
        if (copied.Verification.HasCorruption)
        {
            throw new CopyCorruptionException(copied.Verification);
        }

        meter.FileDone();
        return copied;
    }

    /// <summary>
    /// Waits for the oldest running copy and adds its file to the manifest; returns the error that stopped it, or, when it
    /// was stopped because another file failed, that file's error.
    /// </summary>
    private async Task<PluginError?> FinishOldestAsync(BackupRun run, ManifestBuilder manifest, Queue<Copy> running, CancellationToken ct)
    {
        var copy = running.Peek();
        try
        {
            var copied = await copy.Task;
            running.Dequeue();
            run.Work.Accept(copy.File);
            var entry = manifest.Add(copy.File, copied);
            if (copied.Verification.Unit == VerificationUnit.None.ToName())
            {
                // No pages or segments to count (a checkpoint, a reserve log, another file): "0 nones verified" said nothing.
                logger.LogInformation("Staged {File} ({Role}, {Bytes} bytes).", entry.Path, entry.Role, copied.Length);
            }
            else
            {
                logger.LogInformation("Staged {File} ({Role}, {Bytes} bytes, {Units} {Unit}s verified).", entry.Path, entry.Role, copied.Length, copied.Verification.UnitsChecked, copied.Verification.Unit);
            }

            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // Stopped because a file copied beside it failed: report that one (in the source's order).
            running.Dequeue();
            foreach (var other in running.ToList())
            {
                running.Dequeue();
                if (await ErrorOfAsync(run, other, ct) is { } error)
                {
                    return error;
                }
            }

            throw;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            running.Dequeue();
            return ErrorOf(run, copy, ex);
        }
    }

    private static async Task<PluginError?> ErrorOfAsync(BackupRun run, Copy copy, CancellationToken ct)
    {
        try
        {
            await copy.Task;
            return null;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return ErrorOf(run, copy, ex);
        }
    }

    /// <summary>What a failed copy means: corruption names the page, a failure names the side (source or set) it happened on.</summary>
    private static PluginError ErrorOf(BackupRun run, Copy copy, Exception ex)
    {
        var targetId = run.Target.Id;
        if (ex is CopyCorruptionException corrupt)
        {
            return ErrorMapping.FromCorruption(corrupt.Verification, copy.Display, targetId, copy.File.Generation);
        }

        if (ex is not (IOException or UnauthorizedAccessException or PluginException))
        {
            // Not a failure of the files (a bug): it propagates as it was thrown.
            ExceptionDispatchInfo.Throw(ex);
        }

        // The copier marks failures of the destination (create, write, flush); everything else happened while reading the
        // source. (Guessing from whether the destination file existed blamed the source for a failed create, and the
        // destination for a source read error in mid-file.)
        var destination = Path.Combine(run.Work.WorkDirectory, copy.File.RelativePath.Replace('/', Path.DirectorySeparatorChar));
        var writeSide = ex is CopyWriteException || (ex is IOException io && ErrorMapping.IsDiskFull(io));
        return writeSide ? ErrorMapping.FromWriteFailure(ex, destination, targetId) : ErrorMapping.FromReadFailure(ex, copy.Display, targetId);
    }

    private sealed record Copy(SourceFile File, string Display, Task<CopiedFile> Task);

    /// <summary>Progress of the whole staging, fed from every copy's writer thread.</summary>
    private sealed class StageMeter(IProgress<OperationProgress>? progress, SessionEstimate? estimate)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly Lock _gate = new();
        private long _bytes;
        private int _files;

        public void Add(long bytes, string file)
        {
            lock (_gate)
            {
                _bytes += bytes;
                Report(ProgressPhase.Progress, _bytes, file);
            }
        }

        public void FileDone() => Interlocked.Increment(ref _files);

        public void Report(ProgressPhase phase, long bytesDone, string? file) =>
            BackupEngine.Report(progress, phase, Volatile.Read(ref _files), estimate?.Files ?? 0, bytesDone, estimate?.Bytes ?? 0, file, null, _clock);
    }
}
