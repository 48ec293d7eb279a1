using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>One file a source offers for staging.</summary>
internal abstract class SourceFile
{
    /// <summary>Path inside the set directory (forward slashes, no <c>..</c>).</summary>
    public required string RelativePath { get; init; }

    /// <summary>What the file is.</summary>
    public required FileRole Role { get; init; }

    /// <summary>Full path at the source (for the manifest and for messages).</summary>
    public string? SourcePath { get; init; }

    /// <summary>Length in bytes if known before reading (streaming sources report it at open).</summary>
    public long? Length { get; init; }

    /// <summary>For logs: the generation the source expects this file to hold.</summary>
    public long? Generation { get; init; }

    /// <summary>For logs: true when this is the then-current log (<c>edb.log</c>) staged under its generation's name.</summary>
    public bool WasCurrentLog { get; init; }

    /// <summary>For logs: the earlier set whose (then current, partial) copy of this generation this copy supersedes.</summary>
    public string? ReplacesCopyInSetId { get; init; }

    /// <summary>
    /// When the source's engine already wrote the file inside the set's work directory (JetBackupInstance),
    /// its full path there: the engine verifies and hashes it in place instead of copying it.
    /// </summary>
    public string? StagedPath { get; init; }

    /// <summary>Opens the file for one sequential read to its end.</summary>
    public abstract ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken);
}

/// <summary>A sequential reader over one source file.</summary>
internal interface ISourceReader : IAsyncDisposable
{
    /// <summary>Total bytes this reader will deliver.</summary>
    long Length { get; }

    /// <summary>
    /// Fills <paramref name="buffer"/> as far as possible; returns 0 at the end. The engine passes buffers
    /// that are 4 KiB-aligned and a whole multiple of 64 KiB, so page-granular native reads fit.
    /// </summary>
    ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ReadAsync"/> for the engine's own reader thread, which may block. Readers over files override
    /// it with a plain synchronous read, so that a large copy hands no work to the thread pool per chunk.
    /// </summary>
    int Read(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var pending = ReadAsync(buffer, cancellationToken);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }
}
