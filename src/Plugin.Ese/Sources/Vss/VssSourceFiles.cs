using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>A file read from a shadow copy (its <see cref="SourceFile.SourcePath"/> is the original path).</summary>
internal sealed class ShadowCopySourceFile : SourceFile
{
    /// <summary>Where the bytes are read: the path inside the shadow copy.</summary>
    public required string ShadowPath { get; init; }

    public override ValueTask<ISourceReader> OpenAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();

        // Nobody writes a shadow copy; sharing it fully keeps VSS and other readers out of our way.
        return ValueTask.FromResult<ISourceReader>(LocalFileReader.Open(ShadowPath, FileShare.ReadWrite | FileShare.Delete));
    }
}
