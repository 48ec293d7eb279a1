namespace EseBackupPlugin.Worker.Protocol.Messages;

/// <summary>Method and notification names of the worker protocol (docs/protocol.md).</summary>
public static class WorkerMethods
{
    /// <summary>Host → worker: first call; negotiates the contract version and configures the plugin.</summary>
    public const string Initialize = "initialize";

    /// <summary>Host → worker: discovery; targets arrive as <see cref="DiscoveredTarget"/> notifications.</summary>
    public const string Discover = "discover";

    /// <summary>Host → worker: phase one of a backup.</summary>
    public const string Backup = "backup";

    /// <summary>
    /// Host → worker: phase one written as a tar stream. The params are a <c>BackupRequest</c> plus <c>stream</c>, a local
    /// stream endpoint the host listens on (a Unix domain socket path, or a Windows named pipe name); the worker connects
    /// and writes the tar there, so the set's bytes never cross the JSON-RPC pipe.
    /// </summary>
    public const string BackupToStream = "backupToStream";

    /// <summary>Host → worker: phase two of a backup.</summary>
    public const string Complete = "complete";

    /// <summary>Host → worker: end a staged set without a verdict of success (logs kept).</summary>
    public const string Abandon = "abandon";

    /// <summary>Host → worker: verify a set directory.</summary>
    public const string VerifySet = "verifySet";

    /// <summary>Host → worker: restore a chain.</summary>
    public const string Restore = "restore";

    /// <summary>Host → worker: describe one file.</summary>
    public const string Inspect = "inspect";

    /// <summary>Host → worker: verify files or directories.</summary>
    public const string Verify = "verify";

    /// <summary>Host → worker: finish in-flight requests, end staged backups, answer, exit.</summary>
    public const string Shutdown = "shutdown";

    /// <summary>Host → worker (extension <c>samples</c>): write a synthetic file set.</summary>
    public const string SamplesCreate = "samples/create";

    /// <summary>Host → worker (extension <c>samples</c>): advance a synthetic file set.</summary>
    public const string SamplesAdvance = "samples/advance";

    /// <summary>Worker → host notification: progress of a running request.</summary>
    public const string Progress = "progress";

    /// <summary>Worker → host notification: one target found by a running <c>discover</c>.</summary>
    public const string DiscoveredTarget = "discover/target";

    /// <summary>Worker → host: the target's current chain.</summary>
    public const string CatalogGetChain = "catalog/getChain";

    /// <summary>Worker → host: one set as the catalog knows it (<c>null</c> when unknown).</summary>
    public const string CatalogGetSet = "catalog/getSet";

    /// <summary>Worker → host: a staged set's manifest.</summary>
    public const string CatalogRecordBackup = "catalog/recordBackup";

    /// <summary>Worker → host: a set's truncation report.</summary>
    public const string CatalogRecordTruncation = "catalog/recordTruncation";

    /// <summary>Worker → host (when the host offers it): VSS snapshot sets recorded so far.</summary>
    public const string CatalogGetSnapshotSets = "catalog/getSnapshotSets";

    /// <summary>Worker → host (when the host offers it): record a VSS snapshot set.</summary>
    public const string CatalogRecordSnapshotSet = "catalog/recordSnapshotSet";

    /// <summary>Worker → host (when the host offers it): forget a deleted VSS snapshot set.</summary>
    public const string CatalogRemoveSnapshotSet = "catalog/removeSnapshotSet";
}
