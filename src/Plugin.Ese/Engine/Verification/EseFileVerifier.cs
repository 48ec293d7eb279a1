using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>
/// Verifies one file on disk through the copier's verify-only pass (<see cref="OnePassCopier"/>'s copy with no
/// destination): the same read loop, buffers and ESE checks a backup runs, so <c>verify</c>, <c>inspect</c> and a
/// backup can never disagree about a file. I/O failures surface as exceptions; the services turn them into errors.
/// </summary>
internal static class EseFileVerifier
{
    /// <summary>Default read size: a multiple of every unit size (512 B to 32 KiB pages).</summary>
    public const int DefaultBufferSize = 1 << 20;

    /// <summary>The copier's smallest buffer count (read, hash and write each hold one).</summary>
    private const int BufferCount = 3;

    /// <summary>A verify-only copier with the default read size.</summary>
    public static OnePassCopier DefaultCopier { get; } = CreateCopier(DefaultBufferSize);

    /// <summary>A verify-only copier reading <paramref name="bufferSize"/> bytes at a time (rounded up to 64 KiB).</summary>
    public static OnePassCopier CreateCopier(int bufferSize)
    {
        const int granule = 64 * 1024;
        var size = Math.Max(granule, (bufferSize + granule - 1) / granule * granule);
        return new OnePassCopier(PhysicalStagingFileSystem.Instance, size, BufferCount);
    }

    /// <summary>Verifies a file with <see cref="DefaultCopier"/>.</summary>
    /// <inheritdoc cref="VerifyAsync(OnePassCopier, string, string?, IProgress{long}?, CancellationToken)"/>
    public static Task<EseVerificationResult> VerifyAsync(string path, string? displayPath = null, IProgress<long>? bytesRead = null, CancellationToken cancellationToken = default)
        => VerifyAsync(DefaultCopier, path, displayPath, bytesRead, cancellationToken);

    /// <summary>Verifies a file.</summary>
    /// <param name="copier">The copier whose verify-only pass reads the file.</param>
    /// <param name="path">The file.</param>
    /// <param name="displayPath">How findings name it (defaults to <paramref name="path"/>).</param>
    /// <param name="bytesRead">Receives the running byte count as the file is read.</param>
    /// <param name="cancellationToken">Cancels between reads.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="IOException">Reading failed, or the file changed length while it was read.</exception>
    /// <exception cref="UnauthorizedAccessException">Access was denied.</exception>
    public static async Task<EseVerificationResult> VerifyAsync(
        OnePassCopier copier, string path, string? displayPath, IProgress<long>? bytesRead, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(copier);
        long done = 0;
        Action<long>? onBytes = bytesRead is null ? null : n => bytesRead.Report(done += n);
        await using var reader = LocalFileReader.Open(path, FileShare.ReadWrite | FileShare.Delete);
        var copied = await copier.VerifyAsync(reader, displayPath ?? path, Path.GetFileName(path), onBytes, cancellationToken);
        return copied.Verification.Detail
            ?? throw new InvalidOperationException("The copier's verifier did not come from the Format layer.");
    }
}
