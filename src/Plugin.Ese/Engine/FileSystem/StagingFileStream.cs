using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EseBackupPlugin.Ese.Engine.FileSystem;

/// <summary>
/// A write-only, sequential staging file. On Linux it writes around the page cache (<c>O_DIRECT</c>) while
/// every write is 4 KiB-aligned in memory, length and file offset — which the engine's whole-buffer writes
/// are: the bytes go from the engine's buffer to the device without a copy into the page cache, the disk
/// works while the next chunks are read and hashed, and the final fsync has almost nothing left to flush.
/// The first unaligned write (a file's odd-sized tail) switches the file back to ordinary buffered writes,
/// as does a file system that refuses direct I/O; elsewhere it is a plain unbuffered <see cref="FileStream"/>.
/// </summary>
internal sealed partial class StagingFileStream : Stream
{
    /// <summary>Alignment direct I/O needs (memory address, length and file offset); covers 512-byte and 4 KiB sectors.</summary>
    public const int DirectAlignment = 4096;

    private readonly FileStream _file;
    private long _position;
    private bool _direct;

    private StagingFileStream(FileStream file, bool direct)
    {
        _file = file;
        _direct = direct;
    }

    /// <summary>True while writes bypass the page cache.</summary>
    public bool IsDirect => _direct;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    /// <summary>Creates a new file (fails if it exists), preallocated, with direct writes when asked and possible.</summary>
    public static StagingFileStream Create(string path, long preallocationSize, bool tryDirect)
    {
        var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0, // the engine writes whole multi-megabyte chunks; a second buffer would only copy
            PreallocationSize = preallocationSize, // a full disk shows up before any byte is copied
        });
        return new StagingFileStream(file, tryDirect && DirectIo.TrySet(file.SafeFileHandle, on: true));
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.IsEmpty)
        {
            return;
        }

        if (_direct && !IsAligned(buffer))
        {
            SwitchToBuffered();
        }

        try
        {
            RandomAccess.Write(_file.SafeFileHandle, buffer, _position);
        }
        catch (IOException) when (_direct)
        {
            // Some file systems accept O_DIRECT at open and refuse the write itself: write this and the rest buffered.
            SwitchToBuffered();
            RandomAccess.Write(_file.SafeFileHandle, buffer, _position);
        }

        _position += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Flushes data and metadata to the device (fsync).</summary>
    public void FlushToDisk() => _file.Flush(flushToDisk: true);

    public override void Flush()
    {
        // Nothing is buffered here: writes go straight to the file.
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }

        base.Dispose(disposing);
    }

    private unsafe bool IsAligned(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return ((nuint)p % DirectAlignment) == 0 && buffer.Length % DirectAlignment == 0 && _position % DirectAlignment == 0;
        }
    }

    private void SwitchToBuffered()
    {
        _direct = false;
        if (!DirectIo.TrySet(_file.SafeFileHandle, on: false))
        {
            throw new IOException("Cannot switch a staging file from direct to buffered writes.");
        }
    }

    /// <summary>Turns <c>O_DIRECT</c> on or off on an open descriptor (Linux x64 and arm64, where its value is known).</summary>
    private static partial class DirectIo
    {
        private const int GetFlags = 3; // F_GETFL
        private const int SetFlags = 4; // F_SETFL

        public static bool TrySet(SafeFileHandle handle, bool on)
        {
            var direct = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => 0x4000,
                Architecture.Arm64 => 0x10000,
                _ => 0,
            };
            if (!OperatingSystem.IsLinux() || direct == 0)
            {
                return !on;
            }

            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                var fd = (int)handle.DangerousGetHandle();
                var flags = fcntl(fd, GetFlags, 0);
                if (flags < 0)
                {
                    return false;
                }

                var wanted = on ? flags | direct : flags & ~direct;
                return wanted == flags || fcntl(fd, SetFlags, wanted) == 0;
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
        }

        [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        private static partial int fcntl(int fd, int command, int argument);
    }
}
