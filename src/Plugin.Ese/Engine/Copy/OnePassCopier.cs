using System.Security.Cryptography;
using System.Threading.Channels;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Staging;

namespace EseBackupPlugin.Ese.Engine.Copy;

/// <summary>
/// Writing the copy failed (creating, writing or flushing the destination), as opposed to reading the source: the
/// caller must name the destination, not the source. Carries the original error's HResult (errno) and message.
/// </summary>
internal sealed class CopyWriteException : IOException
{
    public CopyWriteException(string path, Exception inner)
        : base(inner.Message, inner)
    {
        Path = path;
        HResult = inner.HResult;
    }

    /// <summary>The file that could not be written.</summary>
    public string Path { get; }
}

/// <summary>What one pass over a file produced.</summary>
/// <param name="Length">Bytes read (and written).</param>
/// <param name="Sha256">SHA-256 of the content, lower-case hex.</param>
/// <param name="Verification">The ESE checks' result.</param>
internal sealed record CopiedFile(long Length, string Sha256, StreamVerification Verification);

/// <summary>
/// Reads a file once and, in the same pass, verifies it (ESE page/segment checks), hashes it (SHA-256)
/// and writes it. Three stages overlap on the machine's cores: read → (verify ‖ hash) → write, handing
/// a small fixed set of aligned buffers around, so memory stays flat whatever the file size.
/// </summary>
internal sealed class OnePassCopier
{
    private const int HeadBytes = 128 * 1024;

    private readonly IStagingFileSystem _fileSystem;
    private readonly IStreamVerifierFactory _verifiers;
    private readonly int _bufferSize;
    private readonly int _bufferCount;

    public OnePassCopier(IStagingFileSystem fileSystem, IStreamVerifierFactory verifiers, int bufferSize, int bufferCount)
    {
        // Whole 64 KiB multiples: every page size and log sector size divides it, and native readers accept it.
        if (bufferSize < 64 * 1024 || bufferSize % (64 * 1024) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "Buffer size must be a positive multiple of 64 KiB.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(bufferCount, 3);
        _fileSystem = fileSystem;
        _verifiers = verifiers;
        _bufferSize = bufferSize;
        _bufferCount = bufferCount;
    }

    /// <summary>
    /// Copies <paramref name="reader"/>'s content to <paramref name="destinationPath"/> (or, when it is
    /// <see langword="null"/>, only verifies and hashes it), reporting bytes as they are written.
    /// </summary>
    /// <exception cref="CopyWriteException">Creating, writing or flushing the destination failed (the partial file is left for the caller to remove).</exception>
    /// <exception cref="IOException">Reading the source failed.</exception>
    public async Task<CopiedFile> CopyAsync(
        ISourceReader reader,
        string displayPath,
        string fileName,
        string? destinationPath,
        Action<long>? onBytes,
        CancellationToken cancellationToken)
    {
        var length = reader.Length;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ct = linked.Token;
        var buffers = new AlignedBuffer[_bufferCount];
        var free = Channel.CreateBounded<AlignedBuffer>(_bufferCount);
        var toProcess = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(_bufferCount) { SingleReader = true, SingleWriter = true });
        var toWrite = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(_bufferCount) { SingleReader = true, SingleWriter = true });
        Stream? output = null;
        try
        {
            for (var i = 0; i < buffers.Length; i++)
            {
                buffers[i] = new AlignedBuffer(_bufferSize);
                free.Writer.TryWrite(buffers[i]);
            }

            if (destinationPath is not null)
            {
                output = WriteSide(destinationPath, () => _fileSystem.CreateFile(destinationPath, length));
            }

            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var verifierBox = new StrongBox<IStreamVerifier?>();

            // A failed stage must stop the other two: each waits on the others' channels (the read stage for a free
            // buffer, the process stage for room in the write queue) and would otherwise wait forever. A full disk in
            // the write stage used to hang the backup exactly that way.
            var readTask = StopOthersOnFailure(Task.Run(() => ReadStageAsync(reader, free.Reader, toProcess.Writer, ct), ct), linked);
            var processTask = StopOthersOnFailure(Task.Run(() => ProcessStageAsync(toProcess.Reader, toWrite.Writer, hash, verifierBox, displayPath, fileName, length, ct), ct), linked);
            var writeTask = StopOthersOnFailure(Task.Run(() => WriteStageAsync(toWrite.Reader, free.Writer, output, destinationPath, onBytes, ct), ct), linked);

            long total;
            try
            {
                total = await readTask;
                await processTask;
                await writeTask;
            }
            catch
            {
                await linked.CancelAsync();
                await Task.WhenAll(readTask, processTask, writeTask).ContinueWith(_ => { }, TaskScheduler.Default);
                throw FirstFault(readTask, processTask, writeTask) ?? new OperationCanceledException(cancellationToken);
            }

            if (total != length)
            {
                throw new IOException($"'{displayPath}' delivered {total:N0} bytes but announced {length:N0}; the source changed while it was copied.");
            }

            if (output is not null)
            {
                WriteSide(destinationPath!, () =>
                {
                    _fileSystem.FlushToDisk(output);
                    return true;
                });
            }

            var verifier = verifierBox.Value ?? _verifiers.Create(displayPath, fileName, 0, ReadOnlySpan<byte>.Empty);
            return new CopiedFile(total, Convert.ToHexStringLower(hash.GetHashAndReset()), verifier.Complete());
        }
        finally
        {
            if (output is not null)
            {
                await output.DisposeAsync();
            }

            foreach (var b in buffers)
            {
                ((IDisposable?)b)?.Dispose();
            }
        }
    }

    private static async Task<T> StopOthersOnFailure<T>(Task<T> stage, CancellationTokenSource others)
    {
        try
        {
            return await stage;
        }
        catch
        {
            await others.CancelAsync();
            throw;
        }
    }

    private static async Task StopOthersOnFailure(Task stage, CancellationTokenSource others)
    {
        try
        {
            await stage;
        }
        catch
        {
            await others.CancelAsync();
            throw;
        }
    }

    /// <summary>Runs a destination operation, marking its failure as a write failure of <paramref name="path"/>.</summary>
    private static T WriteSide<T>(string path, Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CopyWriteException(path, ex);
        }
    }

    private static Exception? FirstFault(params Task[] tasks)
    {
        // Prefer a real failure over the cancellations it caused in the other stages.
        var faults = tasks.Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToList();
        return faults.FirstOrDefault(e => e is not OperationCanceledException) ?? faults.FirstOrDefault();
    }

    private async Task<long> ReadStageAsync(ISourceReader reader, ChannelReader<AlignedBuffer> free, ChannelWriter<Chunk> next, CancellationToken ct)
    {
        long total = 0;
        try
        {
            while (true)
            {
                var buffer = await free.ReadAsync(ct);
                var filled = 0;
                while (filled < _bufferSize)
                {
                    var n = await reader.ReadAsync(buffer.Memory[filled..], ct);
                    if (n == 0)
                    {
                        break;
                    }

                    filled += n;
                }

                if (filled == 0)
                {
                    break;
                }

                total += filled;
                await next.WriteAsync(new Chunk(buffer, filled), ct);
                if (filled < _bufferSize)
                {
                    break;
                }
            }
        }
        finally
        {
            next.TryComplete();
        }

        return total;
    }

    private async Task ProcessStageAsync(
        ChannelReader<Chunk> input,
        ChannelWriter<Chunk> next,
        IncrementalHash hash,
        StrongBox<IStreamVerifier?> verifierBox,
        string displayPath,
        string fileName,
        long length,
        CancellationToken ct)
    {
        try
        {
            await foreach (var chunk in input.ReadAllAsync(ct))
            {
                var memory = chunk.Buffer.Memory[..chunk.Count];
                verifierBox.Value ??= _verifiers.Create(displayPath, fileName, length, memory.Span[..Math.Min(memory.Length, HeadBytes)]);
                var verifier = verifierBox.Value;

                // Hash on another core while this one verifies: both only read the buffer.
                var hashing = Task.Run(() => hash.AppendData(memory.Span), ct);
                verifier.Process(memory.Span);
                await hashing;
                await next.WriteAsync(chunk, ct);
            }
        }
        finally
        {
            next.TryComplete();
        }
    }

    private static async Task WriteStageAsync(ChannelReader<Chunk> input, ChannelWriter<AlignedBuffer> free, Stream? output, string? destinationPath, Action<long>? onBytes, CancellationToken ct)
    {
        await foreach (var chunk in input.ReadAllAsync(ct))
        {
            if (output is not null)
            {
                try
                {
                    await output.WriteAsync(chunk.Buffer.Memory[..chunk.Count], ct);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    throw new CopyWriteException(destinationPath!, ex);
                }
            }

            onBytes?.Invoke(chunk.Count);
            free.TryWrite(chunk.Buffer);
        }
    }

    private readonly record struct Chunk(AlignedBuffer Buffer, int Count);

    private sealed class StrongBox<T>
    {
        public T? Value { get; set; }
    }
}
