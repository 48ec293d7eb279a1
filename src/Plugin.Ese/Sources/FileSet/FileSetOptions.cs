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
}
