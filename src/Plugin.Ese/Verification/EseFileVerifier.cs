using System.Buffers;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Verification;

/// <summary>
/// Streams one file from disk through <see cref="EseStreamVerifier"/> with two fixed-size buffers, so any file size
/// verifies in bounded memory: while one buffer is verified the next read fills the other, so the checks hide
/// behind the disk instead of adding to it. I/O failures surface as exceptions; the services turn them into errors.
/// </summary>
internal static class EseFileVerifier
{
    /// <summary>Default read size: a multiple of every unit size (512 B to 32 KiB pages).</summary>
    public const int DefaultBufferSize = 1 << 20;

    /// <summary>Verifies a file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="displayPath">How findings name it (defaults to <paramref name="path"/>).</param>
    /// <param name="bufferSize">Read size; rounded up to a multiple of 128 KiB.</param>
    /// <param name="bytesRead">Receives the running byte count after each read.</param>
    /// <param name="cancellationToken">Cancels between reads.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">Reading failed.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    public static async Task<EseVerificationResult> VerifyAsync(
        string path,
        string? displayPath = null,
        int bufferSize = DefaultBufferSize,
        IProgress<long>? bytesRead = null,
        CancellationToken cancellationToken = default)
    {
        const int granule = EseFileSniffer.HeadSize;
        var size = Math.Max(granule, (bufferSize + granule - 1) / granule * granule);
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(size), ArrayPool<byte>.Shared.Rent(size)];
        Task<int>? pending = null;
        try
        {
            var options = new FileStreamOptions
            {
                Mode = FileMode.Open,
                Access = FileAccess.Read,
                Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.SequentialScan | FileOptions.Asynchronous,
                BufferSize = 0,
            };
            await using var stream = new FileStream(path, options);
            var length = stream.Length;
            var headLength = (int)Math.Min(length, EseFileSniffer.HeadSize);
            var headRead = await stream.ReadAtLeastAsync(buffers[0].AsMemory(0, headLength), headLength, throwOnEndOfStream: false, cancellationToken);
            var verifier = EseStreamVerifier.Create(displayPath ?? path, Path.GetFileName(path), length, buffers[0].AsSpan(0, headRead));
            verifier.Process(buffers[0].AsSpan(0, headRead));
            bytesRead?.Report(verifier.BytesProcessed);
            if (headRead == headLength)
            {
                var current = 1;
                var read = stream.ReadAtLeastAsync(buffers[current].AsMemory(0, size), size, throwOnEndOfStream: false, cancellationToken).AsTask();
                pending = read;
                while (true)
                {
                    var n = await read;
                    pending = null;
                    if (n == 0)
                    {
                        break;
                    }

                    if (n == size)
                    {
                        // Read the next chunk into the other buffer while this one is verified.
                        cancellationToken.ThrowIfCancellationRequested();
                        read = stream.ReadAtLeastAsync(buffers[1 - current].AsMemory(0, size), size, throwOnEndOfStream: false, cancellationToken).AsTask();
                        pending = read;
                    }

                    verifier.Process(buffers[current].AsSpan(0, n));
                    bytesRead?.Report(verifier.BytesProcessed);
                    if (n < size)
                    {
                        break;
                    }

                    current = 1 - current;
                }
            }

            return verifier.Complete();
        }
        finally
        {
            if (pending is not null)
            {
                // A read may still be filling a buffer: let it finish before the buffer goes back to the pool.
                await pending.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }

            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }
}
