namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>Names of the in-process instance source's copy strategies (recorded in manifests).</summary>
internal static class EsentStrategies
{
    /// <summary>JetBackupInstance into the set's work directory; ESE truncates logs itself.</summary>
    public const string BackupInstance = "jet-backup-instance";

    /// <summary>The external streaming API; the plugin truncates in phase two.</summary>
    public const string Streaming = "jet-streaming";

    /// <summary>The sub-directory of a set's work directory that JetBackupInstance writes into.</summary>
    public const string BackupInstanceDirectory = "jet-backup-instance";

    /// <summary>Every strategy, the default first.</summary>
    public static IReadOnlyList<string> All { get; } = [BackupInstance, Streaming];

    /// <summary>
    /// The canonical strategy name: <see langword="null"/> when none was requested, an empty string when
    /// the name is not one of <see cref="All"/>.
    /// </summary>
    public static string? Normalize(string? name) => name switch
    {
        null => null,
        _ when string.Equals(name, BackupInstance, StringComparison.OrdinalIgnoreCase) => BackupInstance,
        _ when string.Equals(name, Streaming, StringComparison.OrdinalIgnoreCase) => Streaming,
        _ => string.Empty,
    };
}

/// <summary>Options of <see cref="EsentInstanceSource"/> (configuration section <c>EsentInstances</c>).</summary>
internal sealed class EsentSourceOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "EsentInstances";

    /// <summary>
    /// Strategy used when a request names none. <see cref="EsentStrategies.BackupInstance"/> (ESE's own
    /// backup: ESE truncates logs during phase one) or <see cref="EsentStrategies.Streaming"/> (logs are
    /// only truncated after the host completes the set). Copy backups always stream.
    /// </summary>
    public string DefaultStrategy { get; set; } = EsentStrategies.BackupInstance;

    /// <summary>Size of the aligned native read buffer for streaming, rounded up to whole database pages (at least 3).</summary>
    public int ReadBufferBytes { get; set; } = 2 * 1024 * 1024;

    /// <summary>
    /// Off Windows, call a library named esent.dll anyway. Only for CI against the ABI fake
    /// (tests/NativeFakes/esent); see <see cref="EsentNativeGate"/>.
    /// </summary>
    public bool UseNativeLibraryOffWindows { get; set; }
}
