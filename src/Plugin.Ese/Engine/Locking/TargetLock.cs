using System.Security.Cryptography;
using System.Text;

namespace EseBackupPlugin.Ese.Engine.Locking;

/// <summary>
/// "One backup per target at a time", across every process on the machine: an exclusive OS lock on a
/// lock file named after the target's identity AND its location. The OS releases it when the holder exits or is
/// killed, so a crashed backup never blocks the next one. The location is part of the key because an ESE identity
/// (the log signature) travels with copies of the files: an unrelated copy of the same set elsewhere on the machine
/// (a restored set, a copy on a media server) is a different target and must not make this one busy.
/// </summary>
internal sealed class TargetLockManager
{
    private readonly string _directory;

    public TargetLockManager(string directory)
    {
        _directory = Path.GetFullPath(directory);
    }

    /// <summary>The default lock directory: shared by every user of this machine's temp folder.</summary>
    public static string DefaultDirectory => Path.Combine(Path.GetTempPath(), "esebackup-locks");

    /// <summary>Takes the target's lock, or returns <see langword="null"/> when another backup holds it.</summary>
    /// <param name="targetId">The target's id.</param>
    /// <param name="location">Where the target lives (its directory); <see langword="null"/> for targets without one.</param>
    /// <exception cref="IOException">The lock directory cannot be used.</exception>
    public TargetLock? TryAcquire(string targetId, string? location = null)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, FileNameFor(targetId, location));
        var handle = FileLock.TryAcquire(path);
        return handle is null ? null : new TargetLock(targetId, handle);
    }

    /// <summary>Lock file name: readable prefix plus a hash, so any id maps to a safe, unique name.</summary>
    internal static string FileNameFor(string targetId, string? location)
    {
        var safe = new string([.. targetId.Take(40).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_')]);
        var key = location is null ? targetId : targetId + "\n" + NormalizeLocation(location);
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16];
        return $"{safe}-{hash}.lock";
    }

    /// <summary>One spelling per place: full path, no trailing separator, case folded where the file system usually ignores it.</summary>
    private static string NormalizeLocation(string location)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(location));
        return OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? full.ToUpperInvariant() : full;
    }
}

/// <summary>A held target lock; dispose to release.</summary>
internal sealed class TargetLock : IDisposable
{
    private readonly FileLock _lock;

    internal TargetLock(string targetId, FileLock fileLock)
    {
        TargetId = targetId;
        _lock = fileLock;
    }

    public string TargetId { get; }

    public void Dispose() => _lock.Dispose();
}

/// <summary>
/// An exclusive lock on one file, held through an open handle with no sharing (flock on Unix, a share
/// mode on Windows). Within one process a second attempt fails too, because each attempt opens its own handle.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private readonly FileStream _stream;

    private FileLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    public static FileLock? TryAcquire(string path) => TryAcquire(path, FileMode.OpenOrCreate);

    /// <summary>
    /// Like <see cref="TryAcquire(string)"/>, but never creates the file: <paramref name="missing"/> says it was not
    /// there (an owner that removed it on purpose, or never got as far as creating it).
    /// </summary>
    public static FileLock? TryAcquireExisting(string path, out bool missing)
    {
        try
        {
            missing = false;
            return TryAcquire(path, FileMode.Open);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            missing = true;
            return null;
        }
    }

    private static FileLock? TryAcquire(string path, FileMode mode)
    {
        try
        {
            var stream = new FileStream(path, mode, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, FileOptions.None);
            try
            {
                // Record the holder for operators; the lock itself is the open handle.
                stream.SetLength(0);
                var who = Encoding.UTF8.GetBytes($"pid {Environment.ProcessId} on {Environment.MachineName} since {DateTimeOffset.UtcNow:O}\n");
                stream.Write(who);
                stream.Flush();
            }
            catch (IOException)
            {
                // Writing the note is a courtesy; the lock holds without it.
            }

            return new FileLock(stream, path);
        }
        catch (IOException ex) when (IsSharingViolation(ex))
        {
            return null;
        }
    }

    /// <summary>True for "another handle holds it" (Windows sharing violation / lock violation, Unix EWOULDBLOCK).</summary>
    private static bool IsSharingViolation(IOException ex)
    {
        const int ErrorSharingViolation = unchecked((int)0x80070020);
        const int ErrorLockViolation = unchecked((int)0x80070021);
        const int EWouldBlock = 11;
        return ex.HResult is ErrorSharingViolation or ErrorLockViolation or EWouldBlock;
    }

    public void Dispose() => _stream.Dispose();
}
