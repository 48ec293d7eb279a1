namespace EseBackupPlugin.Ese.Windows.Esent;

// Constants of esent.dll's backup/restore API (reference/ese-backup-api.md §3). Values only; portable.

/// <summary>Backup grbits (§3.1): JetBackupInstance, JetBeginExternalBackupInstance, JetEndExternalBackupInstance2.</summary>
[Flags]
internal enum JetBackupGrbit : uint
{
    /// <summary>Full backup (no bit).</summary>
    None = 0,

    /// <summary><c>JET_bitBackupIncremental</c>.</summary>
    Incremental = 0x00000001,

    /// <summary><c>JET_bitKeepOldLogs</c> (private, unused by the engine).</summary>
    KeepOldLogs = 0x00000002,

    /// <summary><c>JET_bitBackupAtomic</c> (JetBackupInstance only).</summary>
    Atomic = 0x00000004,

    /// <summary><c>JET_bitBackupFullWithAllLogs</c> (private, unused).</summary>
    FullWithAllLogs = 0x00000008,

    /// <summary><c>JET_bitBackupSnapshot</c> (not implemented by the engine).</summary>
    Snapshot = 0x00000010,

    /// <summary><c>JET_bitBackupSurrogate</c> (private).</summary>
    Surrogate = 0x00000020,

    /// <summary><c>JET_bitInternalCopy</c> (private).</summary>
    InternalCopy = 0x00000040,
}

/// <summary>End grbits for JetEndExternalBackupInstance2 (§3.1).</summary>
[Flags]
internal enum JetBackupEndGrbit : uint
{
    /// <summary><c>JET_bitBackupEndNormal</c>.</summary>
    Normal = 0x0001,

    /// <summary><c>JET_bitBackupEndAbort</c>.</summary>
    Abort = 0x0002,

    /// <summary><c>JET_bitBackupTruncateDone</c>: the caller truncated (or considers logs truncated).</summary>
    TruncateDone = 0x0100,

    /// <summary><c>JET_bitBackupNoDbHeaderUpdate</c> (private).</summary>
    NoDbHeaderUpdate = 0x0200,
}

/// <summary>Snapshot grbits (§3.2). Several share a value: each applies to a different call.</summary>
[Flags]
internal enum JetSnapshotGrbit : uint
{
    /// <summary>No option.</summary>
    None = 0,

    /// <summary><c>JET_bitIncrementalSnapshot</c> (Prepare).</summary>
    IncrementalSnapshot = 0x1,

    /// <summary><c>JET_bitCopySnapshot</c> (Prepare).</summary>
    CopySnapshot = 0x2,

    /// <summary><c>JET_bitContinueAfterThaw</c> (Prepare).</summary>
    ContinueAfterThaw = 0x4,

    /// <summary><c>JET_bitExplicitPrepare</c> (Prepare).</summary>
    ExplicitPrepare = 0x8,

    /// <summary><c>JET_bitAllDatabasesSnapshot</c> (TruncateLog / TruncateLogInstance).</summary>
    AllDatabasesSnapshot = 0x1,

    /// <summary><c>JET_bitAbortSnapshot</c> (End).</summary>
    AbortSnapshot = 0x1,
}

/// <summary>Init grbits for JetInit2/JetInit3 (§3.3).</summary>
[Flags]
internal enum JetInitGrbit : uint
{
    /// <summary>No option.</summary>
    None = 0,

    /// <summary><c>JET_bitReplayIgnoreMissingDB</c>.</summary>
    ReplayIgnoreMissingDB = 0x0004,

    /// <summary><c>JET_bitRecoveryWithoutUndo</c>.</summary>
    RecoveryWithoutUndo = 0x0008,

    /// <summary><c>JET_bitTruncateLogsAfterRecovery</c>.</summary>
    TruncateLogsAfterRecovery = 0x0010,

    /// <summary><c>JET_bitReplayMissingMapEntryDB</c>.</summary>
    ReplayMissingMapEntryDB = 0x0020,

    /// <summary><c>JET_bitLogStreamMustExist</c>.</summary>
    LogStreamMustExist = 0x0040,

    /// <summary><c>JET_bitReplayIgnoreLostLogs</c>.</summary>
    ReplayIgnoreLostLogs = 0x0080,

    /// <summary><c>JET_bitAllowMissingCurrentLog</c> (private).</summary>
    AllowMissingCurrentLog = 0x0100,

    /// <summary><c>JET_bitAllowSoftRecoveryOnBackup</c> (private).</summary>
    AllowSoftRecoveryOnBackup = 0x0200,

    /// <summary><c>JET_bitSkipLostLogsEvent</c> (private).</summary>
    SkipLostLogsEvent = 0x0400,

    /// <summary><c>JET_bitExternalRecoveryControl</c> (private).</summary>
    ExternalRecoveryControl = 0x0800,

    /// <summary><c>JET_bitKeepDbAttachedAtEndOfRecovery</c>.</summary>
    KeepDbAttachedAtEndOfRecovery = 0x1000,
}

/// <summary>Term grbits for JetTerm2 (§3.4).</summary>
[Flags]
internal enum JetTermGrbit : uint
{
    /// <summary>Default terminate.</summary>
    None = 0,

    /// <summary><c>JET_bitTermComplete</c>.</summary>
    Complete = 0x1,

    /// <summary><c>JET_bitTermAbrupt</c>.</summary>
    Abrupt = 0x2,

    /// <summary><c>JET_bitTermStopBackup</c>.</summary>
    StopBackup = 0x4,

    /// <summary><c>JET_bitTermDirty</c>.</summary>
    Dirty = 0x8,
}

/// <summary>Stop-service grbits for JetStopServiceInstance2 (§3.4).</summary>
[Flags]
internal enum JetStopServiceGrbit : uint
{
    /// <summary><c>JET_bitStopServiceAll</c>.</summary>
    All = 0x0,

    /// <summary><c>JET_bitStopServiceBackgroundUserTasks</c>.</summary>
    BackgroundUserTasks = 0x2,

    /// <summary><c>JET_bitStopServiceQuiesceCaches</c>.</summary>
    QuiesceCaches = 0x4,

    /// <summary><c>JET_bitStopServiceStopAndEmitLog</c>.</summary>
    StopAndEmitLog = 0x8,

    /// <summary><c>JET_bitStopServiceResume</c>.</summary>
    Resume = 0x80000000,
}

/// <summary>Attach grbits (JetAttachDatabase).</summary>
[Flags]
internal enum JetAttachGrbit : uint
{
    /// <summary>Read/write attach.</summary>
    None = 0,

    /// <summary><c>JET_bitDbReadOnly</c>.</summary>
    ReadOnly = 0x1,
}

/// <summary><c>JET_SNP</c>: which operation a status notification is about (§3.5).</summary>
internal enum JetSnp : uint
{
    /// <summary><c>JET_snpRepair</c>.</summary>
    Repair = 2,

    /// <summary><c>JET_snpCompact</c>.</summary>
    Compact = 4,

    /// <summary><c>JET_snpRestore</c>.</summary>
    Restore = 8,

    /// <summary><c>JET_snpBackup</c>.</summary>
    Backup = 9,

    /// <summary><c>JET_snpUpgrade</c>.</summary>
    Upgrade = 10,

    /// <summary><c>JET_snpScrub</c>.</summary>
    Scrub = 11,

    /// <summary><c>JET_snpUpgradeRecordFormat</c>.</summary>
    UpgradeRecordFormat = 12,
}

/// <summary><c>JET_SNT</c>: which event a status notification reports (§3.5).</summary>
internal enum JetSnt : uint
{
    /// <summary><c>JET_sntProgress</c>.</summary>
    Progress = 0,

    /// <summary><c>JET_sntFail</c>.</summary>
    Fail = 3,

    /// <summary><c>JET_sntBegin</c>.</summary>
    Begin = 5,

    /// <summary><c>JET_sntComplete</c>.</summary>
    Complete = 6,

    /// <summary><c>JET_sntRequirements</c>.</summary>
    Requirements = 7,
}

/// <summary>System parameter ids (§3.6).</summary>
internal enum JetParam : uint
{
    /// <summary><c>JET_paramSystemPath</c> (checkpoint folder).</summary>
    SystemPath = 0,

    /// <summary><c>JET_paramTempPath</c>.</summary>
    TempPath = 1,

    /// <summary><c>JET_paramLogFilePath</c>.</summary>
    LogFilePath = 2,

    /// <summary><c>JET_paramBaseName</c> (exactly three characters).</summary>
    BaseName = 3,

    /// <summary><c>JET_paramEventSource</c>.</summary>
    EventSource = 4,

    /// <summary><c>JET_paramLogFileSize</c> (KiB).</summary>
    LogFileSize = 11,

    /// <summary><c>JET_paramLogBuffers</c>.</summary>
    LogBuffers = 12,

    /// <summary><c>JET_paramCircularLog</c>.</summary>
    CircularLog = 17,

    /// <summary><c>JET_paramCheckpointDepthMax</c>.</summary>
    CheckpointDepthMax = 24,

    /// <summary><c>JET_paramRecovery</c> ("on" / "off").</summary>
    Recovery = 34,

    /// <summary><c>JET_paramEnableIndexChecking</c>.</summary>
    EnableIndexChecking = 45,

    /// <summary><c>JET_paramDeleteOldLogs</c>.</summary>
    DeleteOldLogs = 48,

    /// <summary><c>JET_paramNoInformationEvent</c>.</summary>
    NoInformationEvent = 50,

    /// <summary><c>JET_paramDeleteOutOfRangeLogs</c>.</summary>
    DeleteOutOfRangeLogs = 52,

    /// <summary><c>JET_paramEnableIndexCleanup</c>.</summary>
    EnableIndexCleanup = 54,

    /// <summary><c>JET_paramLogFileFailoverPath</c> (private).</summary>
    LogFileFailoverPath = 61,

    /// <summary><c>JET_paramDatabasePageSize</c> (process-global).</summary>
    DatabasePageSize = 64,

    /// <summary><c>JET_paramBackupChunkSize</c> (private).</summary>
    BackupChunkSize = 66,

    /// <summary><c>JET_paramBackupOutstandingReads</c> (private).</summary>
    BackupOutstandingReads = 67,

    /// <summary><c>JET_paramErrorToString</c> (get only).</summary>
    ErrorToString = 70,

    /// <summary><c>JET_paramZeroDatabaseDuringBackup</c>.</summary>
    ZeroDatabaseDuringBackup = 71,

    /// <summary><c>JET_paramCleanupMismatchedLogFiles</c>.</summary>
    CleanupMismatchedLogFiles = 77,

    /// <summary><c>JET_paramOSSnapshotTimeout</c> (process-global, ms).</summary>
    OSSnapshotTimeout = 82,

    /// <summary><c>JET_paramExceptionAction</c>.</summary>
    ExceptionAction = 98,

    /// <summary><c>JET_paramCreatePathIfNotExist</c>.</summary>
    CreatePathIfNotExist = 100,

    /// <summary><c>JET_paramMaxInstances</c> (process-global).</summary>
    MaxInstances = 104,

    /// <summary><c>JET_paramAlternateDatabaseRecoveryPath</c>.</summary>
    AlternateDatabaseRecoveryPath = 113,

    /// <summary><c>JET_paramEnableFileCache</c>.</summary>
    EnableFileCache = 126,

    /// <summary><c>JET_paramConfiguration</c>.</summary>
    Configuration = 129,

    /// <summary><c>JET_paramEnableAdvanced</c>.</summary>
    EnableAdvanced = 130,

    /// <summary><c>JET_paramLegacyFileNames</c>.</summary>
    LegacyFileNames = 136,

    /// <summary><c>JET_paramEngineFormatVersion</c> (private).</summary>
    EngineFormatVersion = 194,
}

/// <summary>Bits of <see cref="JetParam.LegacyFileNames"/>.</summary>
[Flags]
internal enum JetLegacyFileNames : uint
{
    /// <summary>Neither bit.</summary>
    None = 0,

    /// <summary><c>JET_bitESE98FileNames</c>: <c>.log</c>/<c>.chk</c> instead of <c>.jtx</c>/<c>.jcp</c>.</summary>
    Ese98FileNames = 0x1,

    /// <summary><c>JET_bitEightDotThreeSoftCompat</c>: 5-digit generation names while they fit.</summary>
    EightDotThreeSoftCompat = 0x2,
}

/// <summary>Info levels and other scalar constants (§1.2, §2.5, §3.6).</summary>
internal static class JetConstants
{
    /// <summary><c>JET_instanceNil</c> (all bits set).</summary>
    public static readonly nuint InstanceNil = unchecked((nuint)(-1));

    /// <summary><c>JET_sesidNil</c> (all bits set).</summary>
    public static readonly nuint SesidNil = unchecked((nuint)(-1));

    /// <summary><c>JET_InstanceMiscInfoLogSignature</c> (JetGetInstanceMiscInfo).</summary>
    public const uint InstanceMiscInfoLogSignature = 0;

    /// <summary><c>JET_DbInfoFilesize</c>.</summary>
    public const uint DbInfoFilesize = 10;

    /// <summary><c>JET_DbInfoMisc</c>.</summary>
    public const uint DbInfoMisc = 14;

    /// <summary><c>JET_DbInfoPageSize</c>.</summary>
    public const uint DbInfoPageSize = 17;

    /// <summary><c>JET_DbInfoFilesizeOnDisk</c>.</summary>
    public const uint DbInfoFilesizeOnDisk = 21;

    /// <summary><c>JET_LogInfoMisc</c>.</summary>
    public const uint LogInfoMisc = 0;

    /// <summary><c>JET_LogInfoMisc2</c>.</summary>
    public const uint LogInfoMisc2 = 1;

    /// <summary><c>JET_LogInfoMisc3</c>.</summary>
    public const uint LogInfoMisc3 = 2;

    /// <summary>The OS memory page size read buffers must be aligned to (x86/x64).</summary>
    public const int OsPageSize = 4096;
}

/// <summary>
/// The <c>JET_ERR</c> values this layer returns itself (as esent.dll's header defines them). The native layer depends
/// on nothing above it, so it returns plain numbers; <c>Errors/JetErr</c> names them for the rest of the plugin (a
/// test checks that both agree).
/// </summary>
internal static class EsentReturnCodes
{
    /// <summary><c>JET_errSuccess</c>.</summary>
    public const int Success = 0;

    /// <summary><c>JET_errBufferTooSmall</c>: also what this layer returns when an engine-filled list came back unterminated.</summary>
    public const int BufferTooSmall = -1038;

    /// <summary><c>JET_errCallbackFailed</c>: what the status trampoline returns to ESE when a managed callback threw.</summary>
    public const int CallbackFailed = -2101;
}
