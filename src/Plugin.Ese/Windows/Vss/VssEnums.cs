namespace EseBackupPlugin.Ese.Windows.Vss;

// Numeric values of the VSS enumerations this plugin passes to or reads from vssapi.dll.
// Member names are the SDK names without their prefix (VSS_BT_FULL -> Full); a test pins every
// value to the reference tables (shared/reference/vss-requester.md section 7).

/// <summary>VSS_BACKUP_TYPE.</summary>
internal enum VssBackupType
{
    /// <summary>VSS_BT_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>VSS_BT_FULL: writers record a backup and may truncate logs at BackupComplete.</summary>
    Full = 1,

    /// <summary>VSS_BT_INCREMENTAL: like full for truncation; only changes since the last full/incremental.</summary>
    Incremental = 2,

    /// <summary>VSS_BT_DIFFERENTIAL: changes since the last full; no truncation.</summary>
    Differential = 3,

    /// <summary>VSS_BT_LOG.</summary>
    Log = 4,

    /// <summary>VSS_BT_COPY: a full copy that leaves the application's backup history and logs alone.</summary>
    Copy = 5,

    /// <summary>VSS_BT_OTHER.</summary>
    Other = 6,
}

/// <summary>VSS_WRITER_STATE.</summary>
internal enum VssWriterState
{
    /// <summary>VSS_WS_UNKNOWN.</summary>
    Unknown = 0,

    /// <summary>VSS_WS_STABLE.</summary>
    Stable = 1,

    /// <summary>VSS_WS_WAITING_FOR_FREEZE.</summary>
    WaitingForFreeze = 2,

    /// <summary>VSS_WS_WAITING_FOR_THAW.</summary>
    WaitingForThaw = 3,

    /// <summary>VSS_WS_WAITING_FOR_POST_SNAPSHOT.</summary>
    WaitingForPostSnapshot = 4,

    /// <summary>VSS_WS_WAITING_FOR_BACKUP_COMPLETE.</summary>
    WaitingForBackupComplete = 5,

    /// <summary>VSS_WS_FAILED_AT_IDENTIFY.</summary>
    FailedAtIdentify = 6,

    /// <summary>VSS_WS_FAILED_AT_PREPARE_BACKUP.</summary>
    FailedAtPrepareBackup = 7,

    /// <summary>VSS_WS_FAILED_AT_PREPARE_SNAPSHOT.</summary>
    FailedAtPrepareSnapshot = 8,

    /// <summary>VSS_WS_FAILED_AT_FREEZE.</summary>
    FailedAtFreeze = 9,

    /// <summary>VSS_WS_FAILED_AT_THAW.</summary>
    FailedAtThaw = 0xA,

    /// <summary>VSS_WS_FAILED_AT_POST_SNAPSHOT.</summary>
    FailedAtPostSnapshot = 0xB,

    /// <summary>VSS_WS_FAILED_AT_BACKUP_COMPLETE.</summary>
    FailedAtBackupComplete = 0xC,

    /// <summary>VSS_WS_FAILED_AT_PRE_RESTORE.</summary>
    FailedAtPreRestore = 0xD,

    /// <summary>VSS_WS_FAILED_AT_POST_RESTORE.</summary>
    FailedAtPostRestore = 0xE,

    /// <summary>VSS_WS_FAILED_AT_BACKUPSHUTDOWN.</summary>
    FailedAtBackupShutdown = 0xF,

    /// <summary>VSS_WS_COUNT (not a state).</summary>
    Count = 0x10,
}

/// <summary>VSS_COMPONENT_TYPE.</summary>
internal enum VssComponentType
{
    /// <summary>VSS_CT_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>VSS_CT_DATABASE.</summary>
    Database = 1,

    /// <summary>VSS_CT_FILEGROUP.</summary>
    FileGroup = 2,
}

/// <summary>VSS_OBJECT_TYPE.</summary>
internal enum VssObjectType
{
    /// <summary>VSS_OBJECT_UNKNOWN.</summary>
    Unknown = 0,

    /// <summary>VSS_OBJECT_NONE.</summary>
    None = 1,

    /// <summary>VSS_OBJECT_SNAPSHOT_SET.</summary>
    SnapshotSet = 2,

    /// <summary>VSS_OBJECT_SNAPSHOT.</summary>
    Snapshot = 3,

    /// <summary>VSS_OBJECT_PROVIDER.</summary>
    Provider = 4,

    /// <summary>VSS_OBJECT_TYPE_COUNT (not a type).</summary>
    TypeCount = 5,
}

/// <summary>VSS_SNAPSHOT_CONTEXT (SetContext's argument, optionally OR-ed with volume snapshot attributes).</summary>
internal enum VssSnapshotContext
{
    /// <summary>VSS_CTX_BACKUP: non-persistent, writers involved, released with the requester object.</summary>
    Backup = 0,

    /// <summary>VSS_CTX_FILE_SHARE_BACKUP: no writers.</summary>
    FileShareBackup = 0x10,

    /// <summary>VSS_CTX_NAS_ROLLBACK.</summary>
    NasRollback = 0x19,

    /// <summary>VSS_CTX_APP_ROLLBACK: persistent, with writers.</summary>
    AppRollback = 9,

    /// <summary>VSS_CTX_CLIENT_ACCESSIBLE.</summary>
    ClientAccessible = 0x1D,

    /// <summary>VSS_CTX_CLIENT_ACCESSIBLE_WRITERS.</summary>
    ClientAccessibleWriters = 0xD,

    /// <summary>VSS_CTX_ALL: every context (for Query and DeleteSnapshots).</summary>
    All = unchecked((int)0xFFFFFFFF),
}

/// <summary>VSS_VOLUME_SNAPSHOT_ATTRIBUTES (bits of a snapshot's attributes).</summary>
[Flags]
internal enum VssVolumeSnapshotAttributes
{
    /// <summary>No attribute.</summary>
    None = 0,

    /// <summary>VSS_VOLSNAP_ATTR_PERSISTENT.</summary>
    Persistent = 1,

    /// <summary>VSS_VOLSNAP_ATTR_NO_AUTORECOVERY.</summary>
    NoAutoRecovery = 2,

    /// <summary>VSS_VOLSNAP_ATTR_CLIENT_ACCESSIBLE.</summary>
    ClientAccessible = 4,

    /// <summary>VSS_VOLSNAP_ATTR_NO_AUTO_RELEASE.</summary>
    NoAutoRelease = 8,

    /// <summary>VSS_VOLSNAP_ATTR_NO_WRITERS.</summary>
    NoWriters = 0x10,

    /// <summary>VSS_VOLSNAP_ATTR_TRANSPORTABLE.</summary>
    Transportable = 0x20,

    /// <summary>VSS_VOLSNAP_ATTR_NOT_SURFACED.</summary>
    NotSurfaced = 0x40,

    /// <summary>VSS_VOLSNAP_ATTR_NOT_TRANSACTED.</summary>
    NotTransacted = 0x80,

    /// <summary>VSS_VOLSNAP_ATTR_HARDWARE_ASSISTED.</summary>
    HardwareAssisted = 0x10000,

    /// <summary>VSS_VOLSNAP_ATTR_DIFFERENTIAL.</summary>
    Differential = 0x20000,

    /// <summary>VSS_VOLSNAP_ATTR_PLEX.</summary>
    Plex = 0x40000,

    /// <summary>VSS_VOLSNAP_ATTR_IMPORTED.</summary>
    Imported = 0x80000,

    /// <summary>VSS_VOLSNAP_ATTR_EXPOSED_LOCALLY.</summary>
    ExposedLocally = 0x100000,

    /// <summary>VSS_VOLSNAP_ATTR_EXPOSED_REMOTELY.</summary>
    ExposedRemotely = 0x200000,

    /// <summary>VSS_VOLSNAP_ATTR_AUTORECOVER.</summary>
    AutoRecover = 0x400000,

    /// <summary>VSS_VOLSNAP_ATTR_ROLLBACK_RECOVERY.</summary>
    RollbackRecovery = 0x800000,

    /// <summary>VSS_VOLSNAP_ATTR_DELAYED_POSTSNAPSHOT.</summary>
    DelayedPostSnapshot = 0x1000000,

    /// <summary>VSS_VOLSNAP_ATTR_TXF_RECOVERY.</summary>
    TxfRecovery = 0x2000000,

    /// <summary>VSS_VOLSNAP_ATTR_FILE_SHARE.</summary>
    FileShare = 0x4000000,
}

/// <summary>VSS_SNAPSHOT_STATE.</summary>
internal enum VssSnapshotState
{
    /// <summary>VSS_SS_UNKNOWN.</summary>
    Unknown = 0,

    /// <summary>VSS_SS_PREPARING.</summary>
    Preparing = 1,

    /// <summary>VSS_SS_PROCESSING_PREPARE.</summary>
    ProcessingPrepare = 2,

    /// <summary>VSS_SS_PREPARED.</summary>
    Prepared = 3,

    /// <summary>VSS_SS_PROCESSING_PRECOMMIT.</summary>
    ProcessingPrecommit = 4,

    /// <summary>VSS_SS_PRECOMMITTED.</summary>
    Precommitted = 5,

    /// <summary>VSS_SS_PROCESSING_COMMIT.</summary>
    ProcessingCommit = 6,

    /// <summary>VSS_SS_COMMITTED.</summary>
    Committed = 7,

    /// <summary>VSS_SS_PROCESSING_POSTCOMMIT.</summary>
    ProcessingPostcommit = 8,

    /// <summary>VSS_SS_PROCESSING_PREFINALCOMMIT.</summary>
    ProcessingPrefinalcommit = 9,

    /// <summary>VSS_SS_PREFINALCOMMITTED.</summary>
    Prefinalcommitted = 0xA,

    /// <summary>VSS_SS_PROCESSING_POSTFINALCOMMIT.</summary>
    ProcessingPostfinalcommit = 0xB,

    /// <summary>VSS_SS_CREATED.</summary>
    Created = 0xC,

    /// <summary>VSS_SS_ABORTED.</summary>
    Aborted = 0xD,

    /// <summary>VSS_SS_DELETED.</summary>
    Deleted = 0xE,

    /// <summary>VSS_SS_POSTCOMMITTED.</summary>
    Postcommitted = 0xF,

    /// <summary>VSS_SS_COUNT (not a state).</summary>
    Count = 0x10,
}

/// <summary>VSS_FILE_SPEC_BACKUP_TYPE: which backup types need a file specification.</summary>
[Flags]
internal enum VssFileSpecBackupType
{
    /// <summary>No bit.</summary>
    None = 0,

    /// <summary>VSS_FSBT_FULL_BACKUP_REQUIRED.</summary>
    FullBackupRequired = 1,

    /// <summary>VSS_FSBT_DIFFERENTIAL_BACKUP_REQUIRED.</summary>
    DifferentialBackupRequired = 2,

    /// <summary>VSS_FSBT_INCREMENTAL_BACKUP_REQUIRED.</summary>
    IncrementalBackupRequired = 4,

    /// <summary>VSS_FSBT_LOG_BACKUP_REQUIRED.</summary>
    LogBackupRequired = 8,

    /// <summary>VSS_FSBT_FULL_SNAPSHOT_REQUIRED.</summary>
    FullSnapshotRequired = 0x100,

    /// <summary>VSS_FSBT_DIFFERENTIAL_SNAPSHOT_REQUIRED.</summary>
    DifferentialSnapshotRequired = 0x200,

    /// <summary>VSS_FSBT_INCREMENTAL_SNAPSHOT_REQUIRED.</summary>
    IncrementalSnapshotRequired = 0x400,

    /// <summary>VSS_FSBT_LOG_SNAPSHOT_REQUIRED.</summary>
    LogSnapshotRequired = 0x800,

    /// <summary>VSS_FSBT_CREATED_DURING_BACKUP.</summary>
    CreatedDuringBackup = 0x10000,

    /// <summary>VSS_FSBT_ALL_BACKUP_REQUIRED.</summary>
    AllBackupRequired = 0xF,

    /// <summary>VSS_FSBT_ALL_SNAPSHOT_REQUIRED.</summary>
    AllSnapshotRequired = 0xF00,
}

/// <summary>VSS_BACKUP_SCHEMA: what a writer supports beyond simple full backups.</summary>
[Flags]
internal enum VssBackupSchema
{
    /// <summary>VSS_BS_UNDEFINED: simple full backups only.</summary>
    Undefined = 0,

    /// <summary>VSS_BS_DIFFERENTIAL.</summary>
    Differential = 1,

    /// <summary>VSS_BS_INCREMENTAL.</summary>
    Incremental = 2,

    /// <summary>VSS_BS_EXCLUSIVE_INCREMENTAL_DIFFERENTIAL.</summary>
    ExclusiveIncrementalDifferential = 4,

    /// <summary>VSS_BS_LOG.</summary>
    Log = 8,

    /// <summary>VSS_BS_COPY.</summary>
    Copy = 0x10,

    /// <summary>VSS_BS_TIMESTAMPED.</summary>
    Timestamped = 0x20,

    /// <summary>VSS_BS_LAST_MODIFY.</summary>
    LastModify = 0x40,

    /// <summary>VSS_BS_LSN.</summary>
    Lsn = 0x80,

    /// <summary>VSS_BS_WRITER_SUPPORTS_NEW_TARGET.</summary>
    WriterSupportsNewTarget = 0x100,

    /// <summary>VSS_BS_WRITER_SUPPORTS_RESTORE_WITH_MOVE.</summary>
    WriterSupportsRestoreWithMove = 0x200,

    /// <summary>VSS_BS_INDEPENDENT_SYSTEM_STATE.</summary>
    IndependentSystemState = 0x400,

    /// <summary>VSS_BS_ROLLFORWARD_RESTORE.</summary>
    RollforwardRestore = 0x1000,

    /// <summary>VSS_BS_RESTORE_RENAME.</summary>
    RestoreRename = 0x2000,

    /// <summary>VSS_BS_AUTHORITATIVE_RESTORE.</summary>
    AuthoritativeRestore = 0x4000,

    /// <summary>VSS_BS_WRITER_SUPPORTS_PARALLEL_RESTORES.</summary>
    WriterSupportsParallelRestores = 0x8000,
}

/// <summary>VSS_USAGE_TYPE.</summary>
internal enum VssUsageType
{
    /// <summary>VSS_UT_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>VSS_UT_BOOTABLESYSTEMSTATE.</summary>
    BootableSystemState = 1,

    /// <summary>VSS_UT_SYSTEMSERVICE.</summary>
    SystemService = 2,

    /// <summary>VSS_UT_USERDATA.</summary>
    UserData = 3,

    /// <summary>VSS_UT_OTHER.</summary>
    Other = 4,
}

/// <summary>VSS_SOURCE_TYPE.</summary>
internal enum VssSourceType
{
    /// <summary>VSS_ST_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>VSS_ST_TRANSACTEDDB.</summary>
    TransactedDb = 1,

    /// <summary>VSS_ST_NONTRANSACTEDDB.</summary>
    NonTransactedDb = 2,

    /// <summary>VSS_ST_OTHER.</summary>
    Other = 3,
}

/// <summary>VSS_RESTOREMETHOD_ENUM.</summary>
internal enum VssRestoreMethod
{
    /// <summary>VSS_RME_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>VSS_RME_RESTORE_IF_NOT_THERE.</summary>
    RestoreIfNotThere = 1,

    /// <summary>VSS_RME_RESTORE_IF_CAN_REPLACE.</summary>
    RestoreIfCanReplace = 2,

    /// <summary>VSS_RME_STOP_RESTORE_START.</summary>
    StopRestoreStart = 3,

    /// <summary>VSS_RME_RESTORE_TO_ALTERNATE_LOCATION.</summary>
    RestoreToAlternateLocation = 4,

    /// <summary>VSS_RME_RESTORE_AT_REBOOT.</summary>
    RestoreAtReboot = 5,

    /// <summary>VSS_RME_RESTORE_AT_REBOOT_IF_CANNOT_REPLACE.</summary>
    RestoreAtRebootIfCannotReplace = 6,

    /// <summary>VSS_RME_CUSTOM.</summary>
    Custom = 7,

    /// <summary>VSS_RME_RESTORE_STOP_START.</summary>
    RestoreStopStart = 8,
}

/// <summary>VSS_WRITERRESTORE_ENUM.</summary>
internal enum VssWriterRestore
{
    /// <summary>VSS_WRE_UNDEFINED.</summary>
    Undefined = 0,

    /// <summary>VSS_WRE_NEVER.</summary>
    Never = 1,

    /// <summary>VSS_WRE_IF_REPLACE_FAILS.</summary>
    IfReplaceFails = 2,

    /// <summary>VSS_WRE_ALWAYS.</summary>
    Always = 3,
}

/// <summary>VSS_COMPONENT_FLAGS.</summary>
[Flags]
internal enum VssComponentFlags
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>VSS_CF_BACKUP_RECOVERY.</summary>
    BackupRecovery = 1,

    /// <summary>VSS_CF_APP_ROLLBACK_RECOVERY.</summary>
    AppRollbackRecovery = 2,

    /// <summary>VSS_CF_NOT_SYSTEM_STATE.</summary>
    NotSystemState = 4,
}
