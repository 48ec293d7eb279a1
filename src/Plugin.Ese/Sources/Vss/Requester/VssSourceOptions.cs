namespace EseBackupPlugin.Ese.Sources.Vss.Requester;

/// <summary>Settings of the VSS source (configuration section <c>Vss</c> of the plugin).</summary>
internal sealed class VssSourceOptions
{
    /// <summary>Longest wait for one asynchronous VSS operation (GatherWriterMetadata, PrepareForBackup, DoSnapshotSet, …).</summary>
    public TimeSpan AsyncTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Length of one IVssAsync::Wait slice; cancellation and the deadline are checked between slices.</summary>
    public TimeSpan AsyncWaitSlice { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>First pause after VSS_E_SNAPSHOT_SET_IN_PROGRESS; doubled after every further refusal.</summary>
    public TimeSpan SnapshotSetRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest pause between two StartSnapshotSet attempts.</summary>
    public TimeSpan SnapshotSetRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to keep retrying while another snapshot set is being created on the machine.</summary>
    public TimeSpan SnapshotSetRetryDeadline { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Writer classes that alone take part (EnableWriterClasses). Empty: every writer. The target's own writer
    /// is always added to a non-empty list.
    /// </summary>
    public IList<Guid> IncludeWriterClasses { get; } = [];

    /// <summary>Writer classes that do not take part (DisableWriterClasses). The target's own writer cannot be excluded.</summary>
    public IList<Guid> ExcludeWriterClasses { get; } = [];

    /// <summary>Declare a bootable system-state backup (needed for a supported domain-controller restore; reference §12.1).</summary>
    public bool BootableSystemState { get; set; }

    /// <summary>Stage the writer's metadata document (<c>vss-writer-metadata.xml</c>) with the set; a VSS restore needs it.</summary>
    public bool IncludeWriterMetadataFile { get; set; } = true;

    /// <summary>Delete our own snapshot sets left behind by a previous (crashed) worker before the first backup.</summary>
    public bool DeleteOrphanedSnapshotSets { get; set; } = true;

    /// <summary>
    /// Non-Windows only: a directory holding ABI fakes of vssapi.dll, ole32.dll, oleaut32.dll and kernel32.dll.
    /// Setting it enables the native VSS path against them (Linux CI, end-to-end tests). Ignored on Windows.
    /// </summary>
    public string? NativeLibraryDirectory { get; set; }
}
