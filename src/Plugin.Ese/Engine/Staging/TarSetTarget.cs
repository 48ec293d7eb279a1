using System.Formats.Tar;
using System.Text;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Engine.Staging;

/// <summary>
/// A set written as a POSIX (pax) tar stream: one entry per file, each written in the same one pass that verifies and
/// hashes it (no local copy), <c>manifest.json</c> as the last entry, and the end-of-archive blocks only once the catalog
/// has recorded the set. Any failure leaves the stream invalid for every reader: a failure inside an entry leaves that
/// entry short (the header announced more bytes than follow); a failure between entries adds an extended header
/// followed by a block that is not a valid header (bad checksum); in both cases no end-of-archive blocks follow, and
/// nothing more is written.
/// </summary>
internal sealed class TarSetTarget : ISetTarget
{
    private const int BlockSize = 512;
    private readonly StagingWork _work;
    private readonly OnePassCopier _copier;
    private readonly GuardedStream _archive;
    private readonly TarWriter _writer;
    private readonly DateTimeOffset _modified;
    private bool _sealed;

    /// <param name="work">The run's work directory: scratch for sources whose engine writes files itself; never published.</param>
    /// <param name="output">The stream to write (standard output, a pipe); not closed by this target.</param>
    /// <param name="outputName">How errors name the stream.</param>
    /// <param name="copier">The one-pass copier.</param>
    /// <param name="modified">The entries' modification time.</param>
    public TarSetTarget(StagingWork work, Stream output, string outputName, OnePassCopier copier, DateTimeOffset modified)
    {
        _work = work;
        _copier = copier;
        _modified = modified;
        _archive = new GuardedStream(output, outputName);
        _writer = new TarWriter(_archive, TarEntryFormat.Pax, leaveOpen: true);
    }

    public string WorkDirectory => _work.WorkDirectory;

    public string? SetDirectory => null;

    /// <summary>Bytes written to the stream so far.</summary>
    public long BytesWritten => _archive.BytesWritten;

    public bool CopiesInParallel => false;

    public async Task<CopiedFile> CopyAsync(SourceFile file, ISourceReader reader, string displayPath, Action<long> onBytes, int shares, CancellationToken ct)
    {
        // One entry after the other: the archive is one sequential stream, so there is never more than one share.
        ArgumentOutOfRangeException.ThrowIfNotEqual(shares, 1);
        var data = new OnePassEntryData(_copier, reader, displayPath, SetTargetNames.FileNameOf(file), _archive.Name, onBytes);
        await WriteEntryAsync(file.RelativePath, data, ct);
        return data.Result ?? throw new InvalidOperationException("The tar writer did not copy the entry's data.");
    }

    public void Accept(SourceFile file)
    {
        // Already in the stream; a file the source's engine wrote into the work directory goes with it.
    }

    public async Task PublishAsync(BackupManifest manifest, CancellationToken ct)
    {
        using var data = new MemoryStream(Abstractions.Json.ManifestJson.Serialize(manifest), writable: false);
        await WriteEntryAsync(BackupManifest.FileName, data, ct);
        await _archive.FlushAsync(ct);
    }

    public async Task SealAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await _writer.DisposeAsync(); // the two end-of-archive blocks
        await _archive.FlushAsync(ct);
        _sealed = true;
    }

    public void Withdraw() => Invalidate();

    public void Dispose()
    {
        if (!_sealed)
        {
            Invalidate();
        }

        _writer.Dispose(); // writes nothing once the stream is invalidated
        _work.Dispose();
    }

    private async Task WriteEntryAsync(string name, Stream data, CancellationToken ct)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = data,
            ModificationTime = _modified,
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
        };
        _archive.AtEntryBoundary = false;
        await _writer.WriteEntryAsync(entry, ct);
        _archive.AtEntryBoundary = true;
    }

    private void Invalidate()
    {
        if (_archive.Invalidated)
        {
            return;
        }

        if (_archive.AtEntryBoundary)
        {
            // Between entries (or before the first) a reader would see a shorter but well-formed archive; blocks that
            // are not a valid header make tar readers fail there. (Inside an entry the short entry already does that,
            // and extra blocks could complete it.)
            _archive.TryWriteFinal(InvalidTail());
        }

        _archive.Invalidate();
    }

    /// <summary>
    /// The blocks that end a failed stream between entries: a well-formed pax extended header (a record naming the
    /// failure) followed by a block whose checksum cannot match. Readers that stop quietly at a bad header at an entry
    /// boundary (Python's tarfile, so Borg's import-tar) must fail when it follows an extended header; GNU tar fails on
    /// the checksum either way.
    /// </summary>
    private static byte[] InvalidTail()
    {
        var record = "54 comment=esebackup: backup FAILED, not a backup set\n"u8.ToArray();
        var tail = new byte[BlockSize * 3];
        var header = tail.AsSpan(0, BlockSize);
        Encoding.ASCII.GetBytes("esebackup-FAILED").CopyTo(header);
        Encoding.ASCII.GetBytes("0000644\0").CopyTo(header[100..]);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header[108..]);
        Encoding.ASCII.GetBytes("0000000\0").CopyTo(header[116..]);
        Encoding.ASCII.GetBytes(Convert.ToString(record.Length, 8).PadLeft(11, '0') + "\0").CopyTo(header[124..]);
        Encoding.ASCII.GetBytes("00000000000\0").CopyTo(header[136..]);
        header[156] = (byte)'x';
        Encoding.ASCII.GetBytes("ustar\0" + "00").CopyTo(header[257..]);
        header.Slice(148, 8).Fill((byte)' ');
        var sum = 0;
        foreach (var b in header)
        {
            sum += b;
        }

        Encoding.ASCII.GetBytes(Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ").CopyTo(header[148..]);
        record.CopyTo(tail, BlockSize);

        // Never a valid checksum: a header's is at least 256 (its own eight bytes count as spaces). Not zero either, which
        // some readers take for an empty block (the end of the archive).
        var invalid = tail.AsSpan(BlockSize * 2);
        Encoding.ASCII.GetBytes("esebackup-FAILED").CopyTo(invalid);
        Encoding.ASCII.GetBytes("0000001\0").CopyTo(invalid[148..]);
        return tail;
    }

    /// <summary>
    /// The archive stream: passes writes through, counts them, names the stream in write errors, and once invalidated
    /// drops everything (the tar writer's end-of-archive blocks included).
    /// </summary>
    private sealed class GuardedStream(Stream inner, string name) : Stream
    {
        public string Name { get; } = name;

        public long BytesWritten { get; private set; }

        public bool Invalidated { get; private set; }

        public bool AtEntryBoundary { get; set; } = true;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

        public void Invalidate() => Invalidated = true;

        public void TryWriteFinal(byte[] block)
        {
            try
            {
                inner.Write(block);
                inner.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                // The stream is already broken: it is invalid without the block.
            }
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (Invalidated)
            {
                return;
            }

            try
            {
                inner.Write(buffer);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                throw new CopyWriteException(Name, ex);
            }

            BytesWritten += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Invalidated)
            {
                return;
            }

            try
            {
                await inner.WriteAsync(buffer, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or NotSupportedException)
            {
                throw new CopyWriteException(Name, ex);
            }

            BytesWritten += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
            if (Invalidated)
            {
                return;
            }

            try
            {
                inner.Flush();
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                throw new CopyWriteException(Name, ex);
            }
        }

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (Invalidated)
            {
                return;
            }

            try
            {
                await inner.FlushAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                throw new CopyWriteException(Name, ex);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>
    /// An entry's data as the tar writer sees it: a seekable stream of the source's announced length (so the header is
    /// written first, with the size), whose <see cref="CopyToAsync(Stream, int, CancellationToken)"/> is the one-pass
    /// copy straight into the archive. The tar writer never reads it.
    /// </summary>
    private sealed class OnePassEntryData(OnePassCopier copier, ISourceReader reader, string displayPath, string fileName, string outputName, Action<long> onBytes) : Stream
    {
        public CopiedFile? Result { get; private set; }

        public override bool CanRead => true; // the tar writer accepts only readable data streams

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => reader.Length;

        public override long Position
        {
            get => 0;
            set
            {
                if (value != 0)
                {
                    throw new NotSupportedException();
                }
            }
        }

        public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken) =>
            Result = await copier.CopyToStreamAsync(reader, displayPath, fileName, destination, outputName, onBytes, cancellationToken);

        public override void CopyTo(Stream destination, int bufferSize) =>
            CopyToAsync(destination, bufferSize, CancellationToken.None).GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Entry data is copied, never read.");

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => offset == 0 ? 0 : throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}

/// <summary>A stream a set is written to as tar, and how errors name it (e.g. "standard output").</summary>
internal sealed record SetStream(Stream Stream, string Name);
