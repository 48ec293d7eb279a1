namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// A small file a source produces itself rather than reads: a VSS writer's metadata document, the empty
/// <c>&lt;database&gt;.pat</c> files ESE's restore layout needs.
/// </summary>
internal sealed class InMemorySourceFile : SourceFile
{
    /// <summary>The content (empty for a <c>.pat</c> file).</summary>
    public ReadOnlyMemory<byte> Content { get; init; }

    public override ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<ISourceReader>(new MemoryReader(Content));
    }

    private sealed class MemoryReader(ReadOnlyMemory<byte> content) : ISourceReader
    {
        private int _position;

        public long Length => content.Length;

        public ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var n = Math.Min(buffer.Length, content.Length - _position);
            content.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return ValueTask.FromResult(n);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
