namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>Where file-set targets are looked for (configuration section <c>EsePlugin:FileSet</c>).</summary>
internal sealed class FileSetOptions
{
    /// <summary>Directories scanned on every discovery, in addition to those a request names.</summary>
    public List<string> Roots { get; set; } = [];

    /// <summary>How many directory levels below a root are scanned (0 = the root only).</summary>
    public int MaxDepth { get; set; } = 4;

    /// <summary>Upper bound on files probed per root, so a mistaken root (a whole disk) cannot run forever.</summary>
    public int MaxFilesPerRoot { get; set; } = 100_000;

    /// <summary>Which logs a completed full or incremental removes (<c>EsePlugin:FileSet:TruncationPolicy</c>).</summary>
    public TruncationPolicy TruncationPolicy { get; set; } = TruncationPolicy.MatchEse;
}

/// <summary>Which logs completing a file-set backup removes. Neither ever removes the current log or a log still needed.</summary>
internal enum TruncationPolicy
{
    /// <summary>
    /// What ESE's own backup removes: every generation below the checkpoint and every dirty database's required range
    /// that the completed chain makes unnecessary, i.e. that a set of the chain holds or that is older than the
    /// chain's full backup.
    /// </summary>
    MatchEse,

    /// <summary>Stricter: only generations a set of the completed chain holds (logs older than the first full stay).</summary>
    StoredOnly,
}
