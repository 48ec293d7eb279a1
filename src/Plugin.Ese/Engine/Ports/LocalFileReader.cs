namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// Reads a local file sequentially, with the OS told so (read-ahead) and no managed buffer in between. The handle is
/// synchronous: the engine reads on its own thread (<see cref="Read"/>).
/// </summary>
internal sealed class LocalFileReader : ISourceReader
{
    private readonly FileStream _stream;

    private LocalFileReader(FileStream stream)
    {
        _stream = stream;
        Length = stream.Length;
    }

    public long Length { get; }

    /// <summary>
    /// Opens a file for one pass. By default other readers may share it, writers may not (the file must not change
    /// while copied); a shadow copy, which nobody writes, is opened with whatever <paramref name="share"/> says.
    /// </summary>
    public static LocalFileReader Open(string path, FileShare share = FileShare.Read) =>
        new(new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = share,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        }));

    public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken) => _stream.ReadAsync(buffer, cancellationToken);

    public int Read(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return _stream.Read(buffer.Span);
    }

    public ValueTask DisposeAsync() => _stream.DisposeAsync();
}

/// <summary>A source file that is a local file: <see cref="SourceFile.StagedPath"/> when a source's engine already wrote it, else <see cref="SourceFile.SourcePath"/>.</summary>
internal sealed class LocalSourceFile : SourceFile
{
    public override ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken)
        => ValueTask.FromResult<ISourceReader>(LocalFileReader.Open(StagedPath ?? SourcePath ?? throw new InvalidOperationException("A local source file needs a path.")));
}
