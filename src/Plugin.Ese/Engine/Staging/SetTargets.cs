using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Engine.Staging;

/// <summary>
/// Where the engine writes a set while it stages it: a set directory published by rename (<see cref="DirectorySetTarget"/>)
/// or a POSIX tar stream (<see cref="TarSetTarget"/>). The engine's flow is the same for both: copy every file (one pass:
/// verify, hash, write), publish with the manifest last, let the catalog record the set, then seal. Disposing a target
/// that was not sealed (directory: not published) undoes it: the directory is removed, the stream is left invalid.
/// </summary>
internal interface ISetTarget : IDisposable
{
    /// <summary>The run's private work directory: the source's scratch space (and, for a directory set, the set itself).</summary>
    string WorkDirectory { get; }

    /// <summary>The published set directory; <see langword="null"/> for a stream.</summary>
    string? SetDirectory { get; }

    /// <summary>
    /// True when several files may be copied into it at once (a directory); a stream takes one entry after the other.
    /// </summary>
    bool CopiesInParallel { get; }

    /// <summary>Copies one source file into the set in one pass.</summary>
    /// <param name="file">The file.</param>
    /// <param name="reader">Its content.</param>
    /// <param name="displayPath">How messages name it.</param>
    /// <param name="onBytes">Called with each chunk's length as it is written (from the copier's threads).</param>
    /// <param name="shares">How many copies run side by side (each gets its share of the copy buffers); 1 for a stream.</param>
    /// <param name="ct">Cancels the copy.</param>
    /// <exception cref="CopyWriteException">Writing the set failed.</exception>
    /// <exception cref="CopyCorruptionException">A stream target stopped at a corrupt chunk.</exception>
    /// <exception cref="IOException">Reading the source failed.</exception>
    Task<CopiedFile> CopyAsync(SourceFile file, ISourceReader reader, string displayPath, Action<long> onBytes, int shares, CancellationToken ct);

    /// <summary>Takes a verified file into the set (a file the source's engine wrote itself is moved into place).</summary>
    void Accept(SourceFile file);

    /// <summary>Writes the manifest last and publishes the set (directory: renamed into place; stream: manifest entry flushed).</summary>
    Task PublishAsync(BackupManifest manifest, CancellationToken ct);

    /// <summary>After the catalog recorded the set: a stream gets its end-of-archive blocks (a directory needs nothing).</summary>
    Task SealAsync(CancellationToken ct);

    /// <summary>Undoes <see cref="PublishAsync"/> (the catalog refused the set): the directory is withdrawn, the stream stays invalid.</summary>
    void Withdraw();
}

/// <summary>A set directory in the host's staging directory, published atomically by <see cref="StagingWork"/>.</summary>
internal sealed class DirectorySetTarget(StagingWork work, IStagingFileSystem fileSystem, OnePassCopier copier) : ISetTarget
{
    public string WorkDirectory => work.WorkDirectory;

    public string? SetDirectory => work.FinalDirectory;

    public bool CopiesInParallel => true;

    public async Task<CopiedFile> CopyAsync(SourceFile file, ISourceReader reader, string displayPath, Action<long> onBytes, int shares, CancellationToken ct)
    {
        var destination = DestinationOf(file);
        if (file.StagedPath is null)
        {
            // Through the staging seam, and reported as a write failure of that folder if it fails.
            var folder = Path.GetDirectoryName(destination)!;
            try
            {
                fileSystem.CreateDirectory(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CopyWriteException(folder, ex);
            }
        }

        // A file the source's engine already wrote into the work directory is verified and hashed in place.
        return await copier.CopyAsync(reader, displayPath, SetTargetNames.FileNameOf(file), file.StagedPath is null ? destination : null, onBytes, shares, ct);
    }

    public void Accept(SourceFile file)
    {
        var destination = DestinationOf(file);
        if (file.StagedPath is not null && !string.Equals(Path.GetFullPath(file.StagedPath), Path.GetFullPath(destination), StringComparison.Ordinal))
        {
            // Written by the source's engine inside the work directory under its own name: put it in place.
            fileSystem.CreateDirectory(Path.GetDirectoryName(destination)!);
            fileSystem.MoveFile(file.StagedPath, destination, overwrite: false);
        }
    }

    public async Task PublishAsync(BackupManifest manifest, CancellationToken ct)
    {
        // Written last, flushed, then renamed into place: a set directory with a manifest is a whole set. Through the
        // staging seam like every other staged byte, so that a full disk here is handled (and testable) like anywhere else.
        var temp = Path.Combine(work.WorkDirectory, BackupManifest.FileName + ".tmp");
        var final = Path.Combine(work.WorkDirectory, BackupManifest.FileName);
        var bytes = Abstractions.Json.ManifestJson.Serialize(manifest);
        try
        {
            await using (var stream = fileSystem.CreateFile(temp, bytes.Length))
            {
                await stream.WriteAsync(bytes, ct);
                fileSystem.FlushToDisk(stream);
            }

            fileSystem.MoveFile(temp, final, overwrite: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CopyWriteException(final, ex);
        }

        ct.ThrowIfCancellationRequested();
        work.Commit();
    }

    public Task SealAsync(CancellationToken ct) => Task.CompletedTask;

    public void Withdraw() => work.Withdraw();

    public void Dispose() => work.Dispose();

    private string DestinationOf(SourceFile file) => Path.Combine(work.WorkDirectory, file.RelativePath.Replace('/', Path.DirectorySeparatorChar));
}

/// <summary>Names shared by the targets.</summary>
internal static class SetTargetNames
{
    /// <summary>The name the verifier sees (log names carry their generation).</summary>
    public static string FileNameOf(SourceFile file) => Path.GetFileName(file.SourcePath ?? file.StagedPath ?? file.RelativePath);
}
