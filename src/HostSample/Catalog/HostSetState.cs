namespace EseBackupPlugin.HostSample.Catalog;

/// <summary>The life of a backup set in the host's catalog.</summary>
internal enum HostSetState
{
    /// <summary>Phase one is running in the process recorded on the row.</summary>
    Running,

    /// <summary>The plugin staged the set; the host has not stored it yet.</summary>
    Staged,

    /// <summary>The host moved the set into its repository; completion (phase two) is pending.</summary>
    Stored,

    /// <summary>
    /// The set was written outside the repository (<c>backup --out DIR</c> or a tar stream, <c>--out -</c>) for another
    /// product to store; completion (phase two) is pending until that product reports (<c>hook post</c>, <c>complete</c>).
    /// </summary>
    Exported,

    /// <summary>The host completed the set with success; it belongs to its chain.</summary>
    Completed,

    /// <summary>The backup, its storage or its completion failed.</summary>
    Failed,

    /// <summary>The process running it died; the next run cleaned up after it.</summary>
    Abandoned,
}
