namespace EseBackupPlugin.Ese.Engine.FileSystem;

/// <summary>
/// The file-system operations staging and restore perform. One seam, so tests can inject full disks and
/// I/O errors behind the writer; the real one is <see cref="PhysicalStagingFileSystem"/>.
/// </summary>
internal interface IStagingFileSystem
{
    /// <summary>Creates a new file for writing (fails if it exists), optionally preallocated.</summary>
    Stream CreateFile(string path, long preallocationSize);

    /// <summary>Flushes a written file's data and metadata to the device.</summary>
    void FlushToDisk(Stream stream);

    /// <summary>Flushes a directory's entries (creations, renames) to the device.</summary>
    void SyncDirectory(string path);

    /// <summary>Creates a directory (and its parents).</summary>
    void CreateDirectory(string path);

    /// <summary>Renames a directory; fails if the destination exists.</summary>
    void MoveDirectory(string source, string destination);

    /// <summary>Renames a file, replacing the destination when <paramref name="overwrite"/> is set.</summary>
    void MoveFile(string source, string destination, bool overwrite);

    /// <summary>Deletes a directory tree if it exists.</summary>
    void DeleteDirectory(string path);

    /// <summary>Deletes a file if it exists.</summary>
    void DeleteFile(string path);
}
