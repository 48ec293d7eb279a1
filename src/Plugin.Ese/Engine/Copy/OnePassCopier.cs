using System.Collections.Concurrent;
using System.Security.Cryptography;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Format;

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

/// <summary>
/// A stream copy stopped at the first chunk that failed verification, before writing it: a consumer reading the
/// stream must never receive a whole, well-formed entry for a damaged file. Carries what the checks found so far.
/// </summary>
internal sealed class CopyCorruptionException(StreamVerification verification)
    : Exception("The copy stopped at a chunk that failed verification.")
{
    public StreamVerification Verification { get; } = verification;
}

/// <summary>What one pass over a file produced.</summary>
/// <param name="Length">Bytes read (and written).</param>
/// <param name="Sha256">SHA-256 of the content, lower-case hex.</param>
/// <param name="Verification">The ESE checks' result.</param>
internal sealed record CopiedFile(long Length, string Sha256, StreamVerification Verification);

/// <summary>
/// Reads a file once and, in the same pass, verifies it (ESE page/segment checks), hashes it (SHA-256)
/// and writes it, handing a small fixed set of aligned buffers around, so memory stays flat whatever the
/// file size.
/// <para>
/// A file larger than one buffer runs on three dedicated threads: the reader fills a free buffer and verifies
/// it (the checks run at memory speed), then gives the same buffer at once to the hasher and to the writer,
/// which work on it side by side (both only read it); the buffer is free again when both are done. SHA-256
/// is the costliest step and cannot be split across cores, so it gets a thread of its own that never waits for
/// the disk; the writer's time is mostly the device's. Dedicated threads with blocking hand-offs keep the
/// thread pool out of the per-chunk path (no task per chunk, no spinning workers competing for the cores).
/// A file that fits in one buffer is read, verified, hashed and written on the calling thread.
/// </para>
/// </summary>
internal sealed class OnePassCopier
{
    private const int HeadBytes = 128 * 1024;
    private const int SmallFileGranularity = 64 * 1024;

    private readonly IStagingFileSystem _fileSystem;
    private readonly int _bufferSize;
    private readonly int _bufferCount;

    public OnePassCopier(IStagingFileSystem fileSystem, int bufferSize, int bufferCount)
    {
        // Whole 64 KiB multiples: every page size and log sector size divides it, and native readers accept it.
        if (bufferSize < 64 * 1024 || bufferSize % (64 * 1024) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "Buffer size must be a positive multiple of 64 KiB.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(bufferCount, 3);
        _fileSystem = fileSystem;
        _bufferSize = bufferSize;
        _bufferCount = bufferCount;
    }

    /// <summary>How many copies may run side by side with at least three buffers each (read, hash + write, one spare).</summary>
    public int MaxShares => _bufferCount / 3;

    /// <summary>
    /// Copies <paramref name="reader"/>'s content to <paramref name="destinationPath"/> (or, when it is
    /// <see langword="null"/>, only verifies and hashes it), reporting bytes as they are written.
    /// </summary>
    /// <exception cref="CopyWriteException">Creating, writing or flushing the destination failed (the partial file is left for the caller to remove).</exception>
    /// <exception cref="IOException">Reading the source failed.</exception>
    public Task<CopiedFile> CopyAsync(
        ISourceReader reader,
        string displayPath,
        string fileName,
        string? destinationPath,
        Action<long>? onBytes,
        CancellationToken cancellationToken)
        => CopyAsync(reader, displayPath, fileName, destinationPath, onBytes, shares: 1, cancellationToken);

    /// <summary>
    /// <see cref="CopyAsync(ISourceReader, string, string, string?, Action{long}?, CancellationToken)"/> for one of
    /// <paramref name="shares"/> copies that run side by side: this one uses its share of the buffers (at least
    /// three), so that parallel copies stay within the memory of one (see <see cref="MaxShares"/>).
    /// </summary>
    public async Task<CopiedFile> CopyAsync(
        ISourceReader reader,
        string displayPath,
        string fileName,
        string? destinationPath,
        Action<long>? onBytes,
        int shares,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentOutOfRangeException.ThrowIfLessThan(shares, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var length = reader.Length;
        var output = destinationPath is null ? null : WriteSide(destinationPath, () => _fileSystem.CreateFile(destinationPath, length));
        try
        {
            using var pass = new Pass(reader, displayPath, fileName, length, output, destinationPath, onBytes, stopAtCorruption: false)
            {
                Buffers = Math.Max(3, _bufferCount / shares),
            };
            var copied = await RunAsync(pass, cancellationToken);
            if (output is not null)
            {
                WriteSide(destinationPath!, () =>
                {
                    _fileSystem.FlushToDisk(output);
                    return true;
                });
            }

            return copied;
        }
        finally
        {
            if (output is not null)
            {
                await output.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Reads <paramref name="reader"/>'s content once and runs the ESE checks, without writing or hashing it: what
    /// <c>verify</c> and <c>inspect</c> need. With nothing to hash, the checks run on the second thread while the reader
    /// fills the next buffer, so a file is verified at the speed of reading it. <see cref="CopiedFile.Sha256"/> is empty.
    /// </summary>
    /// <exception cref="IOException">Reading the source failed.</exception>
    public Task<CopiedFile> VerifyAsync(ISourceReader reader, string displayPath, string fileName, Action<long>? onBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        cancellationToken.ThrowIfCancellationRequested();
        var pass = new Pass(reader, displayPath, fileName, reader.Length, output: null, destinationPath: null, onBytes, stopAtCorruption: false) { Hashing = false };
        return RunAndDisposeAsync(pass, cancellationToken);
    }

    private async Task<CopiedFile> RunAndDisposeAsync(Pass pass, CancellationToken cancellationToken)
    {
        using (pass)
        {
            return await RunAsync(pass, cancellationToken);
        }
    }

    /// <summary>
    /// Copies <paramref name="reader"/>'s content into <paramref name="output"/>, a stream the caller owns (a tar
    /// entry's data), in the same one pass. Unlike a file copy it stops before writing the first chunk that fails
    /// verification (<see cref="CopyCorruptionException"/>), so the stream never carries the damaged bytes.
    /// </summary>
    /// <exception cref="CopyWriteException">Writing <paramref name="output"/> failed; the path named is <paramref name="outputName"/>.</exception>
    /// <exception cref="CopyCorruptionException">A chunk failed verification; nothing of it was written.</exception>
    /// <exception cref="IOException">Reading the source failed.</exception>
    public async Task<CopiedFile> CopyToStreamAsync(
        ISourceReader reader,
        string displayPath,
        string fileName,
        Stream output,
        string outputName,
        Action<long>? onBytes,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var pass = new Pass(reader, displayPath, fileName, reader.Length, output, outputName, onBytes, stopAtCorruption: true);
        return await RunAsync(pass, cancellationToken);
    }

    private async Task<CopiedFile> RunAsync(Pass pass, CancellationToken cancellationToken)
    {
        var total = pass.Length < _bufferSize
            ? CopySmall(pass, cancellationToken)
            : await CopyLargeAsync(pass, cancellationToken);
        if (total != pass.Length)
        {
            throw new IOException($"'{pass.DisplayPath}' delivered {total:N0} bytes but announced {pass.Length:N0}; the source changed while it was copied.");
        }

        var verifier = pass.Verifier ?? EseStreamVerifier.Create(pass.DisplayPath, pass.FileName, 0, ReadOnlySpan<byte>.Empty);
        var sha256 = pass.Hashing ? Convert.ToHexStringLower(pass.Hash.GetHashAndReset()) : string.Empty;
        return new CopiedFile(total, sha256, StreamVerification.From(verifier.Complete()));
    }

    /// <summary>One buffer, sized to the file (plus room to notice a source that delivers more than it announced).</summary>
    private static long CopySmall(Pass pass, CancellationToken ct)
    {
        var capacity = (int)(((pass.Length / SmallFileGranularity) + 1) * SmallFileGranularity);
        using var buffer = new AlignedBuffer(capacity);
        var filled = Fill(pass.Reader, buffer, ct);
        if (filled > 0)
        {
            var span = buffer.Memory.Span[..filled];
            pass.Verify(span);
            if (pass.Hashing)
            {
                pass.Hash.AppendData(span);
            }

            pass.Write(span);
            pass.OnBytes?.Invoke(filled);
        }

        return filled;
    }

    private async Task<long> CopyLargeAsync(Pass pass, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ct = linked.Token;
        var count = pass.Buffers ?? _bufferCount;
        var slots = new Slot[count];
        using var free = new BlockingCollection<Slot>(new ConcurrentQueue<Slot>(), count);
        using var toHash = new BlockingCollection<Slot>(new ConcurrentQueue<Slot>(), count);
        using var toWrite = new BlockingCollection<Slot>(new ConcurrentQueue<Slot>(), count);
        try
        {
            for (var i = 0; i < slots.Length; i++)
            {
                slots[i] = new Slot(new AlignedBuffer(_bufferSize));
                free.Add(slots[i], CancellationToken.None);
            }

            var consumers = pass.Output is null ? 1 : 2;
            var read = Stage(() => ReadStage(pass, free, toHash, pass.Output is null ? null : toWrite, consumers, ct), linked);
            var hash = Stage(() => HashStage(pass, toHash, free, reportBytes: pass.Output is null, ct), linked);
            var write = pass.Output is null
                ? Task.FromResult(0L)
                : Stage(() => WriteStage(pass, toWrite, free, ct), linked);
            try
            {
                await Task.WhenAll(read, hash, write);
            }
            catch
            {
                throw FirstFault(read, hash, write) ?? new OperationCanceledException(cancellationToken);
            }

            return read.Result;
        }
        finally
        {
            foreach (var slot in slots)
            {
                ((IDisposable?)slot?.Buffer)?.Dispose();
            }
        }
    }

    /// <summary>Runs a stage on a thread of its own; a failing stage cancels the others.</summary>
    private static Task<long> Stage(Func<long> body, CancellationTokenSource linked) =>
        Task.Factory.StartNew(
            () =>
            {
                try
                {
                    return body();
                }
                catch
                {
                    linked.Cancel();
                    throw;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

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

    private long ReadStage(Pass pass, BlockingCollection<Slot> free, BlockingCollection<Slot> toHash, BlockingCollection<Slot>? toWrite, int consumers, CancellationToken ct)
    {
        long total = 0;
        try
        {
            while (true)
            {
                var slot = free.Take(ct);
                var filled = Fill(pass.Reader, slot.Buffer, ct);
                if (filled == 0)
                {
                    break;
                }

                total += filled;
                if (pass.VerifiesWhileReading)
                {
                    pass.Verify(slot.Buffer.Memory.Span[..filled]);
                }

                slot.Count = filled;
                slot.Pending = consumers;
                toHash.Add(slot, ct);
                toWrite?.Add(slot, ct);
                if (filled < _bufferSize)
                {
                    break;
                }
            }
        }
        finally
        {
            toHash.CompleteAdding();
            toWrite?.CompleteAdding();
        }

        return total;
    }

    private static long HashStage(Pass pass, BlockingCollection<Slot> input, BlockingCollection<Slot> free, bool reportBytes, CancellationToken ct)
    {
        foreach (var slot in input.GetConsumingEnumerable(ct))
        {
            if (pass.Hashing)
            {
                pass.Hash.AppendData(slot.Buffer.Memory.Span[..slot.Count]);
            }
            else
            {
                // Verify only: the checks run here, in order (one consumer), while the reader fills the next buffer.
                pass.Verify(slot.Buffer.Memory.Span[..slot.Count]);
            }

            if (reportBytes)
            {
                pass.OnBytes?.Invoke(slot.Count);
            }

            Release(slot, free);
        }

        return 0;
    }

    private static long WriteStage(Pass pass, BlockingCollection<Slot> input, BlockingCollection<Slot> free, CancellationToken ct)
    {
        foreach (var slot in input.GetConsumingEnumerable(ct))
        {
            pass.Write(slot.Buffer.Memory.Span[..slot.Count]);
            pass.OnBytes?.Invoke(slot.Count);
            Release(slot, free);
        }

        return 0;
    }

    private static void Release(Slot slot, BlockingCollection<Slot> free)
    {
        if (Interlocked.Decrement(ref slot.Pending) == 0)
        {
            // Never blocks: there are exactly as many slots as the collection holds.
            free.Add(slot, CancellationToken.None);
        }
    }

    /// <summary>Reads until the buffer is full or the source ends.</summary>
    private static int Fill(ISourceReader reader, AlignedBuffer buffer, CancellationToken ct)
    {
        var memory = buffer.Memory;
        var filled = 0;
        while (filled < memory.Length)
        {
            var n = reader.Read(memory[filled..], ct);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return filled;
    }

    /// <summary>One buffer and what is in it.</summary>
    private sealed class Slot(AlignedBuffer buffer)
    {
        public int Pending;

        public AlignedBuffer Buffer { get; } = buffer;

        public int Count { get; set; }
    }

    /// <summary>The state of one file's pass.</summary>
    private sealed class Pass(
        ISourceReader reader,
        string displayPath,
        string fileName,
        long length,
        Stream? output,
        string? destinationPath,
        Action<long>? onBytes,
        bool stopAtCorruption) : IDisposable
    {
        public ISourceReader Reader { get; } = reader;

        public string DisplayPath { get; } = displayPath;

        public string FileName { get; } = fileName;

        public long Length { get; } = length;

        public Stream? Output { get; } = output;

        public Action<long>? OnBytes { get; } = onBytes;

        public IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        /// <summary>False for a verify-only pass: nothing is hashed, and the second thread runs the checks instead.</summary>
        public bool Hashing { get; init; } = true;

        /// <summary>
        /// The reader runs the checks when anything is written (a chunk must pass before it is written) or hashed (the
        /// hasher's thread is the busy one); a verify-only pass leaves them to the second thread.
        /// </summary>
        public bool VerifiesWhileReading => Hashing || Output is not null;

        public EseStreamVerifier? Verifier { get; private set; }

        /// <summary>Buffers this pass may use; <see langword="null"/>: all of the copier's.</summary>
        public int? Buffers { get; init; }

        public void Dispose() => Hash.Dispose();

        /// <summary>Writes a chunk to the destination, if there is one; a failure is the destination's.</summary>
        public void Write(ReadOnlySpan<byte> chunk)
        {
            if (Output is null)
            {
                return;
            }

            try
            {
                Output.Write(chunk);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CopyWriteException(destinationPath!, ex);
            }
        }

        /// <summary>Verifies the next chunk; the first one also decides what the file is.</summary>
        public void Verify(ReadOnlySpan<byte> chunk)
        {
            Verifier ??= EseStreamVerifier.Create(DisplayPath, FileName, Length, chunk[..Math.Min(chunk.Length, HeadBytes)]);
            Verifier.Process(chunk);
            if (stopAtCorruption && Verifier.FoundCorruption)
            {
                throw new CopyCorruptionException(StreamVerification.From(Verifier.Complete()));
            }
        }
    }
}
