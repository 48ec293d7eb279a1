using EseBackupPlugin.Ese.Engine.FileSystem;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>The staging operations a fault can be injected into.</summary>
public enum StagingOperation
{
    Write,
    CreateFile,
    FlushToDisk,
    SyncDirectory,
    CreateDirectory,
    MoveDirectory,
    MoveFile,
}

/// <summary>
/// The real file system with one injected fault: an <see cref="IOException"/> with a chosen errno (ENOSPC = 28,
/// EIO = 5) thrown by one operation, optionally only on its n-th call or only after a number of bytes were written
/// (across all files). Everything else goes to <see cref="PhysicalStagingFileSystem"/>. Disarmed until
/// <see cref="Arm"/> is called.
/// </summary>
internal sealed class FaultyStagingFileSystem : IStagingFileSystem
{
    public const int Enospc = 28;
    public const int Eio = 5;
    public const int Erofs = 30;

    /// <summary>Not an errno the disk gives: the destination's own timeout gives up with an OperationCanceledException.</summary>
    public const int OwnTimeout = -1;

    private readonly PhysicalStagingFileSystem _real = PhysicalStagingFileSystem.Instance;
    private readonly Lock _gate = new();
    private StagingOperation? _operation;
    private int _errno;
    private long _bytesBeforeFault;
    private int _skipCalls;
    private long _written;

    /// <summary>Paths the fault was thrown for.</summary>
    public List<string> FaultedPaths { get; } = [];

    /// <summary>
    /// From now on, <paramref name="operation"/> fails with <paramref name="errno"/>: writes once
    /// <paramref name="afterBytes"/> bytes went through, other operations after <paramref name="skipCalls"/> successful calls.
    /// </summary>
    public void Arm(StagingOperation operation, int errno, long afterBytes = 0, int skipCalls = 0)
    {
        lock (_gate)
        {
            _operation = operation;
            _errno = errno;
            _bytesBeforeFault = afterBytes;
            _skipCalls = skipCalls;
            _written = 0;
            FaultedPaths.Clear();
        }
    }

    public void Disarm()
    {
        lock (_gate)
        {
            _operation = null;
        }
    }

    private void MaybeFail(StagingOperation operation, string path)
    {
        lock (_gate)
        {
            if (_operation != operation)
            {
                return;
            }

            if (_skipCalls > 0)
            {
                _skipCalls--;
                return;
            }

            FaultedPaths.Add(path);
        }

        throw Fault(path);
    }

    private Exception Fault(string path) => _errno == OwnTimeout
        ? new OperationCanceledException($"The destination's own write timeout gave up: '{path}'")
        : new IOException(_errno switch { Enospc => $"No space left on device : '{path}'", Erofs => $"Read-only file system : '{path}'", _ => $"Input/output error : '{path}'" }, _errno);

    public Stream CreateFile(string path, long preallocationSize)
    {
        MaybeFail(StagingOperation.CreateFile, path);
        return new FaultyStream(this, _real.CreateFile(path, preallocationSize), path);
    }

    public void FlushToDisk(Stream stream)
    {
        var faulty = (FaultyStream)stream;
        MaybeFail(StagingOperation.FlushToDisk, faulty.Path);
        _real.FlushToDisk(faulty.Inner);
    }

    public void SyncDirectory(string path)
    {
        MaybeFail(StagingOperation.SyncDirectory, path);
        _real.SyncDirectory(path);
    }

    public void CreateDirectory(string path)
    {
        MaybeFail(StagingOperation.CreateDirectory, path);
        _real.CreateDirectory(path);
    }

    public void MoveDirectory(string source, string destination)
    {
        MaybeFail(StagingOperation.MoveDirectory, destination);
        _real.MoveDirectory(source, destination);
    }

    public void MoveFile(string source, string destination, bool overwrite)
    {
        MaybeFail(StagingOperation.MoveFile, destination);
        _real.MoveFile(source, destination, overwrite);
    }

    public void DeleteDirectory(string path) => _real.DeleteDirectory(path);

    public void DeleteFile(string path) => _real.DeleteFile(path);

    /// <summary>How many bytes may still be written before the fault; <see langword="null"/> when writes are not armed.</summary>
    private long? WriteAllowance(string path, int count)
    {
        lock (_gate)
        {
            if (_operation != StagingOperation.Write)
            {
                return null;
            }

            var left = Math.Max(0, _bytesBeforeFault - _written);
            if (left >= count)
            {
                _written += count;
                return null;
            }

            _written += left;
            FaultedPaths.Add(path);
            return left;
        }
    }

    /// <summary>A write stream that writes what the allowance permits, then fails like a full or broken disk.</summary>
    private sealed class FaultyStream(FaultyStagingFileSystem owner, Stream inner, string path) : Stream
    {
        public Stream Inner { get; } = inner;

        public string Path { get; } = path;

        public override bool CanRead => false;

        public override bool CanSeek => Inner.CanSeek;

        public override bool CanWrite => true;

        public override long Length => Inner.Length;

        public override long Position { get => Inner.Position; set => Inner.Position = value; }

        public override void Flush() => Inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => Inner.Seek(offset, origin);

        public override void SetLength(long value) => Inner.SetLength(value);

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (owner.WriteAllowance(Path, buffer.Length) is { } left)
            {
                Inner.Write(buffer[..(int)left]);
                throw owner.Fault(Path);
            }

            Inner.Write(buffer);
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (owner.WriteAllowance(Path, buffer.Length) is { } left)
            {
                await Inner.WriteAsync(buffer[..(int)left], cancellationToken);
                throw owner.Fault(Path);
            }

            await Inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
