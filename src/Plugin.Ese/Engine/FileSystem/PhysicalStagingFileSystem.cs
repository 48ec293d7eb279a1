using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Engine.FileSystem;

/// <summary>The real file system, with durable flushes (fsync of files and directories on Unix).</summary>
internal sealed partial class PhysicalStagingFileSystem : IStagingFileSystem
{
    /// <summary>The real file system, writing staged files around the page cache where it can (see <see cref="StagingFileStream"/>).</summary>
    public static PhysicalStagingFileSystem Instance { get; } = new(directWrites: true);

    /// <summary>The real file system with ordinary buffered writes (<c>EsePlugin:Engine:UnbufferedWrites</c> = false).</summary>
    public static PhysicalStagingFileSystem Buffered { get; } = new(directWrites: false);

    private readonly bool _directWrites;

    private PhysicalStagingFileSystem(bool directWrites) => _directWrites = directWrites;

    public Stream CreateFile(string path, long preallocationSize) => StagingFileStream.Create(path, preallocationSize, _directWrites);

    public void FlushToDisk(Stream stream)
    {
        switch (stream)
        {
            case StagingFileStream staged:
                staged.FlushToDisk();
                break;
            case FileStream fs:
                fs.Flush(flushToDisk: true);
                break;
            default:
                stream.Flush();
                break;
        }
    }

    public void SyncDirectory(string path)
    {
        // Windows has no portable directory flush (NTFS journals metadata); Unix needs fsync on the directory
        // for a rename to survive a power loss.
        if (!(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD()))
        {
            return;
        }

        var fd = Libc.open(path, 0 /* O_RDONLY */);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{path}' to flush it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Libc.fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                // EINVAL: the file system does not support syncing directories; nothing more can be done.
                if (errno != 22)
                {
                    throw new IOException($"Flushing directory '{path}' failed (errno {errno}).");
                }
            }
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    public void MoveDirectory(string source, string destination) => Directory.Move(source, destination);

    public void MoveFile(string source, string destination, bool overwrite) => File.Move(source, destination, overwrite);

    public void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }

    public void DeleteFile(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    private static partial class Libc
    {
        [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
        internal static partial int open(string path, int flags);

        [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
        internal static partial int fsync(int fd);

        [LibraryImport("libc", EntryPoint = "close")]
        internal static partial int close(int fd);
    }
}
