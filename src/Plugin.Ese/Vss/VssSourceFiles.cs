using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Vss;

/// <summary>A file read from a shadow copy (its <see cref="SourceFile.SourcePath"/> is the original path).</summary>
internal sealed class ShadowCopySourceFile : SourceFile
{
    /// <summary>Where the bytes are read: the path inside the shadow copy.</summary>
    public required string ShadowPath { get; init; }

    public override ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
#pragma warning disable CA2000 // The reader goes to the caller, who disposes it.
        return ValueTask.FromResult<ISourceReader>(StreamSourceReader.OpenFile(ShadowPath));
#pragma warning restore CA2000
    }
}

/// <summary>A small file the source produces itself (the writer metadata document).</summary>
internal sealed class InMemorySourceFile : SourceFile
{
    /// <summary>The content.</summary>
    public required ReadOnlyMemory<byte> Content { get; init; }

    public override ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<ISourceReader>(StreamSourceReader.FromBytes(Content.ToArray()));
}

/// <summary>Sequential reader over a stream it owns.</summary>
internal sealed class StreamSourceReader : ISourceReader
{
    private readonly Stream _stream;

    private StreamSourceReader(string path)
    {
        // No buffering of our own: the engine reads with large aligned buffers.
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        Length = _stream.Length;
    }

    private StreamSourceReader(byte[] content)
    {
        _stream = new MemoryStream(content, writable: false);
        Length = content.Length;
    }

    public long Length { get; }

    /// <summary>Opens a file for one sequential read.</summary>
    public static StreamSourceReader OpenFile(string path) => new(path);

    /// <summary>Reads bytes held in memory.</summary>
    public static StreamSourceReader FromBytes(byte[] content) => new(content);

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _stream.ReadAsync(buffer, cancellationToken);

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}
