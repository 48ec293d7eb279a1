using System.Collections.Frozen;
using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.Ese.Errors;

/// <summary>Whether a <c>JET_ERR</c> value is an error or a warning.</summary>
internal enum EseErrorKind
{
    /// <summary><c>JET_errSuccess</c>.</summary>
    Success,

    /// <summary>A <c>JET_err…</c> code (negative).</summary>
    Error,

    /// <summary>A <c>JET_wrn…</c> code (positive, except the historical <c>JET_wrnNyi</c> = -1).</summary>
    Warning,
}

/// <summary>One row of the ESE error table.</summary>
/// <param name="Number">The <c>JET_ERR</c> value.</param>
/// <param name="Name">ESE's constant name, e.g. <c>JET_errBackupInProgress</c>.</param>
/// <param name="Kind">Error, warning or success.</param>
/// <param name="Category">Broad class, for a host's retry and alerting policy.</param>
/// <param name="IsTransient">True when the same request may succeed later without any change.</param>
/// <param name="Description">
/// What the code means for a backup, for the codes that the <c>JetBackupInstance</c>/<c>JetBackup</c>
/// documentation names (reference/ese-backup-api.md §5.1); <see langword="null"/> otherwise.
/// </param>
internal sealed record EseErrorInfo(int Number, string Name, EseErrorKind Kind, ErrorCategory Category, bool IsTransient, string? Description)
{
    /// <summary>The contract's code for this ESE code (the contract's own one when it defines it).</summary>
    public ErrorCode ToErrorCode() => ErrorCodes.FromEse(Number, Name, Category, IsTransient);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Number})";
}

/// <summary>
/// Every ESE error and warning code of reference/ese-backup-api.md §5, as data: name, number,
/// category, transient flag and (for the backup API's own codes) a description. One table instead
/// of an exception type per code; <see cref="EseErrorMapper"/> turns a number into a
/// <see cref="PluginError"/>.
/// </summary>
internal static class EseErrorTable
{
    private static EseErrorInfo E(int number, string name, ErrorCategory category, bool transient = false, string? description = null)
        => new(number, "JET_err" + name, EseErrorKind.Error, category, transient, description);

    private static EseErrorInfo W(int number, string name)
        => new(number, "JET_wrn" + name, EseErrorKind.Warning, ErrorCategory.State, false, null);

    /// <summary>All rows, in the order of the reference's tables.</summary>
    public static IReadOnlyList<EseErrorInfo> All { get; } =
    [
        // §5.1: the codes named for JetBackupInstance / JetBackup (descriptions are ours).
        new(0, "JET_errSuccess", EseErrorKind.Success, ErrorCategory.Internal, false, "The call succeeded."),
        E(-505, "BackupInProgress", ErrorCategory.Busy, true, "A backup is already running on this instance; only one backup per instance can run at a time. Attach, detach and a clean terminate are also refused while it runs."),
        E(-523, "BackupNotAllowedYet", ErrorCategory.State, true, "The instance is still initialising (recovery is running) or is terminating, so it cannot be backed up yet."),
        E(-1329, "ClientRequestToStopJetService", ErrorCategory.State, false, "The application asked the instance to stop its service (JetStopServiceInstance); it no longer accepts a backup."),
        E(-1090, "InstanceUnavailable", ErrorCategory.State, false, "The instance hit a fatal error earlier and can no longer be used; it must be terminated and started again."),
        E(-526, "InvalidBackup", ErrorCategory.Usage, false, "The backup cannot be made as requested: an incremental backup was asked for while circular logging is on."),
        E(-900, "InvalidGrbit", ErrorCategory.Usage, false, "An option flag (grbit) is not valid for this call."),
        E(-1003, "InvalidParameter", ErrorCategory.Usage, false, "A parameter is not valid: for example a read buffer that is not aligned to the memory page size or not a whole number of database pages, a bad file handle or a bad end option."),
        E(-1023, "InvalidPath", ErrorCategory.Usage, false, "A path is missing, too long or cannot be used, for example a backup directory that does not exist while creating it was not requested."),
        E(-516, "LoggingDisabled", ErrorCategory.State, false, "Transaction logging (JET_paramRecovery) is off on the instance, so there is nothing a backup could rely on."),
        E(-612, "LogReadVerifyFailure", ErrorCategory.Corruption, false, "A transaction log failed checksum verification while it was being copied; the backup is stopped."),
        E(-510, "LogWriteFail", ErrorCategory.State, false, "The instance can no longer write its transaction log."),
        E(-1029, "NotInitialized", ErrorCategory.State, false, "The instance has not been initialised (JetInit) yet."),
        E(-1018, "ReadVerifyFailure", ErrorCategory.Corruption, false, "A database page failed checksum verification while it was being copied (after the engine's retries)."),
        E(-506, "RestoreInProgress", ErrorCategory.Busy, true, "A restore is running."),
        E(-1910, "SessionSharingViolation", ErrorCategory.Internal, false, "The API was used from several threads in a way it does not allow."),
        E(-1000, "TermInProgress", ErrorCategory.State, true, "The instance is being terminated (JetTerm started); the backup was refused or stopped."),
        E(-1081, "RunningInMultiInstanceMode", ErrorCategory.Usage, false, "A process-wide call (JetBackup, JetRestore) was made while the process runs several instances; use the per-instance call."),

        // §5.2: other backup, restore and log errors.
        E(-107, "InternalError", ErrorCategory.Internal),
        E(-501, "LogFileCorrupt", ErrorCategory.Corruption),
        E(-503, "NoBackupDirectory", ErrorCategory.Usage),
        E(-504, "BackupDirectoryNotEmpty", ErrorCategory.Usage),
        E(-509, "MissingPreviousLogFile", ErrorCategory.Missing),
        E(-513, "LogGenerationMismatch", ErrorCategory.Corruption),
        E(-514, "BadLogVersion", ErrorCategory.State),
        E(-515, "InvalidLogSequence", ErrorCategory.Missing),
        E(-519, "LogSequenceEnd", ErrorCategory.State),
        E(-520, "NoBackup", ErrorCategory.State),
        E(-521, "InvalidBackupSequence", ErrorCategory.Usage),
        E(-524, "DeleteBackupFileFail", ErrorCategory.Io),
        E(-525, "MakeBackupDirectoryFail", ErrorCategory.Io),
        E(-527, "RecoveredWithErrors", ErrorCategory.Corruption),
        E(-528, "MissingLogFile", ErrorCategory.Missing),
        E(-529, "LogDiskFull", ErrorCategory.Io, true),
        E(-530, "BadLogSignature", ErrorCategory.Corruption),
        E(-531, "BadDbSignature", ErrorCategory.Corruption),
        E(-532, "BadCheckpointSignature", ErrorCategory.Corruption),
        E(-533, "CheckpointCorrupt", ErrorCategory.Corruption),
        E(-534, "MissingPatchPage", ErrorCategory.Corruption),
        E(-535, "BadPatchPage", ErrorCategory.Corruption),
        E(-536, "RedoAbruptEnded", ErrorCategory.Corruption),
        E(-538, "PatchFileMissing", ErrorCategory.Missing),
        E(-539, "DatabaseLogSetMismatch", ErrorCategory.Corruption),
        E(-541, "LogFileSizeMismatch", ErrorCategory.Usage),
        E(-542, "CheckpointFileNotFound", ErrorCategory.Missing),
        E(-543, "RequiredLogFilesMissing", ErrorCategory.Missing),
        E(-544, "SoftRecoveryOnBackupDatabase", ErrorCategory.Usage),
        E(-546, "LogSectorSizeMismatch", ErrorCategory.State),
        E(-550, "DatabaseDirtyShutdown", ErrorCategory.State),
        E(-551, "ConsistentTimeMismatch", ErrorCategory.Corruption),
        E(-552, "DatabasePatchFileMismatch", ErrorCategory.Corruption),
        E(-553, "EndingRestoreLogTooLow", ErrorCategory.Missing),
        E(-554, "StartingRestoreLogTooHigh", ErrorCategory.Missing),
        E(-555, "GivenLogFileHasBadSignature", ErrorCategory.Corruption),
        E(-556, "GivenLogFileIsNotContiguous", ErrorCategory.Corruption),
        E(-557, "MissingRestoreLogFiles", ErrorCategory.Missing),
        E(-560, "MissingFullBackup", ErrorCategory.Usage),
        E(-561, "BadBackupDatabaseSize", ErrorCategory.Corruption),
        E(-565, "MissingCurrentLogFiles", ErrorCategory.Missing),
        E(-569, "MissingFileToBackup", ErrorCategory.Missing),
        E(-570, "LogTornWriteDuringHardRestore", ErrorCategory.Corruption),
        E(-571, "LogTornWriteDuringHardRecovery", ErrorCategory.Corruption),
        E(-573, "LogCorruptDuringHardRestore", ErrorCategory.Corruption),
        E(-574, "LogCorruptDuringHardRecovery", ErrorCategory.Corruption),
        E(-577, "BadRestoreTargetInstance", ErrorCategory.Usage),
        E(-579, "RecoveredWithoutUndo", ErrorCategory.State),
        E(-580, "DatabasesNotFromSameSnapshot", ErrorCategory.Corruption),
        E(-581, "SoftRecoveryOnSnapshot", ErrorCategory.Usage),
        E(-582, "CommittedLogFilesMissing", ErrorCategory.Missing),
        E(-583, "SectorSizeNotSupported", ErrorCategory.Platform),
        E(-586, "CommittedLogFileCorrupt", ErrorCategory.Corruption),
        E(-590, "LogSequenceChecksumMismatch", ErrorCategory.Corruption),
        E(-610, "ExistingLogFileHasBadSignature", ErrorCategory.Corruption),
        E(-611, "ExistingLogFileIsNotContiguous", ErrorCategory.Corruption),
        E(-614, "CheckpointDepthTooDeep", ErrorCategory.Busy, true),
        E(-615, "RestoreOfNonBackupDatabase", ErrorCategory.Usage),
        E(-616, "LogFileNotCopied", ErrorCategory.State),
        E(-617, "SurrogateBackupInProgress", ErrorCategory.Busy, true),
        E(-801, "BackupAbortByServer", ErrorCategory.State, true),
        E(-1011, "OutOfMemory", ErrorCategory.Internal, true),
        E(-1019, "PageNotInitialized", ErrorCategory.Corruption),
        E(-1021, "DiskReadVerificationFailure", ErrorCategory.Corruption),
        E(-1022, "DiskIO", ErrorCategory.Io, true),
        E(-1024, "InvalidSystemPath", ErrorCategory.Usage),
        E(-1025, "InvalidLogDirectory", ErrorCategory.Usage),
        E(-1028, "InvalidDatabase", ErrorCategory.Usage),
        E(-1030, "AlreadyInitialized", ErrorCategory.State),
        E(-1031, "InitInProgress", ErrorCategory.Busy, true),
        E(-1032, "FileAccessDenied", ErrorCategory.Io),
        E(-1038, "BufferTooSmall", ErrorCategory.Internal),
        E(-1044, "InvalidFilename", ErrorCategory.Usage),
        E(-1080, "RunningInOneInstanceMode", ErrorCategory.Usage),
        E(-1082, "SystemParamsAlreadySet", ErrorCategory.State),
        E(-1086, "InstanceNameInUse", ErrorCategory.Usage),
        E(-1115, "InvalidInstance", ErrorCategory.Usage),
        E(-1118, "ReadPgnoVerifyFailure", ErrorCategory.Corruption),
        E(-1119, "ReadLostFlushVerifyFailure", ErrorCategory.Corruption),
        E(-1121, "FileSystemCorruption", ErrorCategory.Corruption),
        E(-1203, "DatabaseNotFound", ErrorCategory.Missing),
        E(-1206, "DatabaseCorrupted", ErrorCategory.Corruption),
        E(-1209, "InvalidDatabaseVersion", ErrorCategory.Usage),
        E(-1213, "PageSizeMismatch", ErrorCategory.Usage),
        E(-1214, "TooManyInstances", ErrorCategory.State),
        E(-1215, "DatabaseSharingViolation", ErrorCategory.Busy, true),
        E(-1216, "AttachedDatabaseMismatch", ErrorCategory.State),
        E(-1231, "DatabaseAttachedForRecovery", ErrorCategory.Busy, true),
        E(-1328, "InvalidSettings", ErrorCategory.Usage),
        E(-1808, "DiskFull", ErrorCategory.Io, true),
        E(-1809, "PermissionDenied", ErrorCategory.Io),
        E(-1811, "FileNotFound", ErrorCategory.Missing),
        E(-1814, "FileAlreadyExists", ErrorCategory.Usage),
        E(-1850, "AfterInitialization", ErrorCategory.State),
        E(-1852, "LogCorrupted", ErrorCategory.Corruption),
        E(-2101, "CallbackFailed", ErrorCategory.Internal),
        E(-2401, "OSSnapshotInvalidSequence", ErrorCategory.Usage),
        E(-2402, "OSSnapshotTimeOut", ErrorCategory.State, true),
        E(-2403, "OSSnapshotNotAllowed", ErrorCategory.Busy, true),
        E(-2404, "OSSnapshotInvalidSnapId", ErrorCategory.Usage),

        // §5.3: warnings.
        W(-1, "Nyi"),
        W(321, "RemainingVersions"),
        W(558, "ExistingLogFileHasBadSignature"),
        W(559, "ExistingLogFileIsNotContiguous"),
        W(578, "TargetInstanceRunning"),
        W(585, "CommittedLogFilesLost"),
        W(587, "CommittedLogFilesRemoved"),
        W(588, "FinishWithUndo"),
        W(595, "DatabaseRepaired"),
        W(1006, "BufferTruncated"),
        W(1007, "DatabaseAttached"),
        W(1813, "FileOpenReadOnly"),
        W(2100, "CallbackNotRegistered"),
    ];

    private static readonly FrozenDictionary<int, EseErrorInfo> ByNumber = All.ToFrozenDictionary(e => e.Number);

    private static readonly FrozenDictionary<string, EseErrorInfo> ByName = All.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal);

    /// <summary>The row for a number, when the table knows it.</summary>
    public static bool TryGet(int number, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EseErrorInfo? info)
        => ByNumber.TryGetValue(number, out info);

    /// <summary>The row for a constant name (e.g. <c>JET_errNoBackup</c>), when the table knows it.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EseErrorInfo? info)
        => ByName.TryGetValue(name, out info);

    /// <summary>
    /// The row for any number: unknown negative numbers get a synthetic row named
    /// <c>JET_errUnknown&lt;n&gt;</c> (category <see cref="ErrorCategory.Internal"/>).
    /// </summary>
    public static EseErrorInfo Get(int number)
        => TryGet(number, out var info)
            ? info
            : new EseErrorInfo(number, "JET_errUnknown" + Math.Abs((long)number).ToString(System.Globalization.CultureInfo.InvariantCulture), number < 0 ? EseErrorKind.Error : EseErrorKind.Warning, ErrorCategory.Internal, false, null);
}
