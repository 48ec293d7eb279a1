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
    /// Idle file sets (databases, logs, checkpoint nobody has open) the plugin opens in private instances of
    /// its own process on first discovery, so that ESE itself backs them up; they are terminated when the
    /// plugin is disposed. Configuration: <c>EsePlugin:EsentInstances:FileSets:0:Directory</c>, optional
    /// <c>BaseName</c>, <c>LogDirectory</c>, <c>SystemDirectory</c>, <c>Databases</c>, <c>InstanceName</c>,
    /// <c>CircularLogging</c>.
    /// </summary>
    public IList<EsentFileSetSpec> FileSets { get; } = [];

    /// <summary>
    /// Off Windows, call a library named esent.dll anyway, found by the runtime's ordinary probing next to the
    /// plugin assembly. Only for CI against the ABI fake (tests/NativeFakes/esent); see <see cref="EsentNativeGate"/>.
    /// </summary>
    public bool UseNativeLibraryOffWindows { get; set; }

    /// <summary>
    /// Off Windows only: a directory holding the esent.dll ABI fake. Setting it enables the native path and binds
    /// the plugin's esent.dll imports to that file, wherever the plugin was loaded from (a host's plugin folder).
    /// Ignored on Windows, which always uses the system's esent.dll.
    /// </summary>
    public string? NativeLibraryDirectory { get; set; }
}
