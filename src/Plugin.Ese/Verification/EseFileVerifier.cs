using System.Buffers;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Verification;

/// <summary>
/// Streams one file from disk through <see cref="EseStreamVerifier"/> with a fixed-size buffer, so any file size
/// verifies in bounded memory. I/O failures surface as exceptions; the services turn them into errors.
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
        var buffer = ArrayPool<byte>.Shared.Rent(size);
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
            var headRead = await stream.ReadAtLeastAsync(buffer.AsMemory(0, headLength), headLength, throwOnEndOfStream: false, cancellationToken);
            var verifier = EseStreamVerifier.Create(displayPath ?? path, Path.GetFileName(path), length, buffer.AsSpan(0, headRead));
            verifier.Process(buffer.AsSpan(0, headRead));
            bytesRead?.Report(verifier.BytesProcessed);
            if (headRead == headLength)
            {
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var n = await stream.ReadAtLeastAsync(buffer.AsMemory(0, size), size, throwOnEndOfStream: false, cancellationToken);
                    if (n == 0)
                    {
                        break;
                    }

                    verifier.Process(buffer.AsSpan(0, n));
                    bytesRead?.Report(verifier.BytesProcessed);
                    if (n < size)
                    {
                        break;
                    }
                }
            }

            return verifier.Complete();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
