using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Locking;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Engine.Staging;

/// <summary>
/// The atomic-staging protocol inside a host's staging directory. A set is written into a hidden work
/// directory <c>.esebackup-partial-&lt;set id&gt;</c> beside its final place, whose owner holds an exclusive
/// lock file inside it; the manifest is written last; everything is flushed; then the work directory is
/// renamed to <c>&lt;set id&gt;</c>. A directory with the partial prefix is never a backup set: the next
/// run deletes it once its owner's lock is free (the owner died).
/// </summary>
internal sealed class StagingArea(IStagingFileSystem fileSystem, TimeProvider time, ILogger logger)
{
    public const string PartialPrefix = ".esebackup-partial-";
    public const string OwnerLockName = ".owner.lock";

    /// <summary>A work directory without its owner lock file is left alone this long (its owner may be renaming it).</summary>
    public static readonly TimeSpan LocklessGrace = TimeSpan.FromHours(1);

    /// <summary>Removes work directories left by runs that died. Returns how many were removed.</summary>
    public int RemoveLeftovers(string stagingDirectory)
    {
        if (!Directory.Exists(stagingDirectory))
        {
            return 0;
        }

        var removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(stagingDirectory, PartialPrefix + "*"))
        {
            // Never create the lock file: a missing one means the owner is committing (it removes its lock file just
            // before the rename) — taking a fresh lock there would delete a finished set. Only a lock-less directory
            // nobody has touched for a long time (the owner died before creating its lock) is removed.
            var ownerLock = FileLock.TryAcquireExisting(Path.Combine(dir, OwnerLockName), out var missing);
            if (ownerLock is null)
            {
                if (!missing || time.GetUtcNow().UtcDateTime - Directory.GetLastWriteTimeUtc(dir) < LocklessGrace)
                {
                    continue; // a live run owns it, or is publishing it
                }
            }

            ownerLock?.Dispose();
            try
            {
                fileSystem.DeleteDirectory(dir);
                removed++;
                logger.LogWarning("Removed {Directory}, left behind by a backup run that ended before finishing.", dir);
            }
            catch (IOException ex)
            {
                logger.LogWarning(ex, "Could not remove leftover {Directory}.", dir);
            }
        }

        return removed;
    }

    /// <summary>Creates and locks the work directory for a set.</summary>
    public StagingWork Begin(string stagingDirectory, string setId)
    {
        var work = Path.Combine(stagingDirectory, PartialPrefix + setId);
        var final = Path.Combine(stagingDirectory, setId);
        if (Directory.Exists(final) || Directory.Exists(work))
        {
            throw new IOException($"Staging directory '{stagingDirectory}' already holds a set named '{setId}'.");
        }

        fileSystem.CreateDirectory(work);
        var ownerLock = FileLock.TryAcquire(Path.Combine(work, OwnerLockName))
            ?? throw new IOException($"Cannot lock the new work directory '{work}'.");
        return new StagingWork(fileSystem, stagingDirectory, work, final, ownerLock);
    }
}

/// <summary>One set being staged. Dispose without <see cref="Commit"/> to discard it.</summary>
internal sealed class StagingWork : IDisposable
{
    private readonly IStagingFileSystem _fileSystem;
    private readonly string _stagingDirectory;
    private FileLock? _ownerLock;
    private bool _committed;

    internal StagingWork(IStagingFileSystem fileSystem, string stagingDirectory, string workDirectory, string finalDirectory, FileLock ownerLock)
    {
        _fileSystem = fileSystem;
        _stagingDirectory = stagingDirectory;
        WorkDirectory = workDirectory;
        FinalDirectory = finalDirectory;
        _ownerLock = ownerLock;
    }

    public string WorkDirectory { get; }

    public string FinalDirectory { get; }

    /// <summary>Flushes the work directory and renames it to its final name.</summary>
    public void Commit()
    {
        // Every folder's entries must be durable before the rename publishes the set (databases may sit in
        // sub-folders); deepest first, the work directory last.
        foreach (var folder in Directory.EnumerateDirectories(WorkDirectory, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
        {
            _fileSystem.SyncDirectory(folder);
        }

        _fileSystem.SyncDirectory(WorkDirectory);

        // Remove the lock file while still holding the lock where the OS allows it (Unix): a concurrent sweep then
        // either finds it locked or finds it gone, never free. Windows cannot delete a file its own exclusive handle
        // holds open, so there the lock is released first (a sweep in that instant makes this commit fail loudly).
        var lockFile = Path.Combine(WorkDirectory, StagingArea.OwnerLockName);
        if (!OperatingSystem.IsWindows())
        {
            _fileSystem.DeleteFile(lockFile);
        }

        _ownerLock?.Dispose();
        _ownerLock = null;
        if (OperatingSystem.IsWindows())
        {
            _fileSystem.DeleteFile(lockFile);
        }

        _fileSystem.MoveDirectory(WorkDirectory, FinalDirectory);
        try
        {
            _fileSystem.SyncDirectory(_stagingDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The caller reports this backup as failed, so its set must not stay under its final name (it would look
            // complete). Rename it back to the partial name, which Dispose (or the next run's sweep) removes.
            Unpublish();
            throw;
        }

        _committed = true;
    }

    /// <summary>
    /// Withdraws a committed set (renamed back to its partial name, which <see cref="Dispose"/> removes): for a
    /// failure after the rename, such as the host's catalog refusing the record.
    /// </summary>
    public void Withdraw()
    {
        if (_committed)
        {
            Unpublish();
            _committed = false;
        }
    }

    private void Unpublish()
    {
        try
        {
            _fileSystem.MoveDirectory(FinalDirectory, WorkDirectory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                _fileSystem.DeleteDirectory(FinalDirectory);
            }
            catch (Exception second) when (second is IOException or UnauthorizedAccessException)
            {
                // Nothing more can be done; the host sees the failure.
            }
        }
    }

    public void Dispose()
    {
        _ownerLock?.Dispose();
        _ownerLock = null;
        if (!_committed)
        {
            try
            {
                _fileSystem.DeleteDirectory(WorkDirectory);
            }
            catch (IOException)
            {
                // Left for the next run's leftover sweep: the prefix says it is not a set.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
