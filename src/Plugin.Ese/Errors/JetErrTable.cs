using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
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

/// <summary>One row of <see cref="JetErrTable"/>.</summary>
/// <param name="Number">The <c>JET_ERR</c> value (a <see cref="JetErr"/> member, or a number the table does not know).</param>
/// <param name="Name">ESE's constant name, e.g. <c>JET_errBackupInProgress</c>.</param>
/// <param name="Category">Broad class, for a host's retry and alerting policy.</param>
/// <param name="IsTransient">True when the same request may succeed later without any change.</param>
/// <param name="Description">
/// What the code means for a backup, for the codes that the <c>JetBackupInstance</c>/<c>JetBackup</c>
/// documentation names (reference/ese-backup-api.md §5.1); <see langword="null"/> otherwise.
/// </param>
internal sealed record JetErrInfo(int Number, string Name, ErrorCategory Category, bool IsTransient, string? Description)
{
    /// <summary>Error, warning or success (from ESE's naming: <c>JET_wrn…</c> are warnings).</summary>
    public EseErrorKind Kind => Number == 0 ? EseErrorKind.Success
        : Number > 0 || Name.StartsWith("JET_wrn", StringComparison.Ordinal) ? EseErrorKind.Warning
        : EseErrorKind.Error;

    /// <summary>The contract's code for this ESE code (the contract's own one when it defines it).</summary>
    public ErrorCode ToErrorCode() => ErrorCodes.FromEse(Number, Name, Category, IsTransient);

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Number.ToString(CultureInfo.InvariantCulture)})";
}

/// <summary>
/// The one ESE error table: for every <see cref="JetErr"/>, its category, transient flag and (for the backup API's
/// own codes) a description. One table instead of an exception type per code; <see cref="EseErrorMapper"/> turns a
/// code into a <see cref="PluginError"/>.
/// </summary>
internal static class JetErrTable
{
    private static JetErrInfo R(JetErr code, ErrorCategory category, bool transient = false, string? description = null)
        => new((int)code, code.ToString(), category, transient, description);

    private static JetErrInfo W(JetErr code) => R(code, ErrorCategory.State);

    /// <summary>All rows, in the order of the reference's tables.</summary>
    public static IReadOnlyList<JetErrInfo> All { get; } =
    [
        // §5.1: the codes named for JetBackupInstance / JetBackup (descriptions are ours).
        R(JetErr.JET_errSuccess, ErrorCategory.Internal, false, "The call succeeded."),
        R(JetErr.JET_errBackupInProgress, ErrorCategory.Busy, true, "A backup is already running on this instance; only one backup per instance can run at a time. Attach, detach and a clean terminate are also refused while it runs."),
        R(JetErr.JET_errBackupNotAllowedYet, ErrorCategory.State, true, "The instance is still initialising (recovery is running) or is terminating, so it cannot be backed up yet."),
        R(JetErr.JET_errClientRequestToStopJetService, ErrorCategory.State, false, "The application asked the instance to stop its service (JetStopServiceInstance); it no longer accepts a backup."),
        R(JetErr.JET_errInstanceUnavailable, ErrorCategory.State, false, "The instance hit a fatal error earlier and can no longer be used; it must be terminated and started again."),
        R(JetErr.JET_errInvalidBackup, ErrorCategory.Usage, false, "The backup cannot be made as requested: an incremental backup was asked for while circular logging is on."),
        R(JetErr.JET_errInvalidGrbit, ErrorCategory.Usage, false, "An option flag (grbit) is not valid for this call."),
        R(JetErr.JET_errInvalidParameter, ErrorCategory.Usage, false, "A parameter is not valid: for example a read buffer that is not aligned to the memory page size or not a whole number of database pages, a bad file handle or a bad end option."),
        R(JetErr.JET_errInvalidPath, ErrorCategory.Usage, false, "A path is missing, too long or cannot be used, for example a backup directory that does not exist while creating it was not requested."),
        R(JetErr.JET_errLoggingDisabled, ErrorCategory.State, false, "Transaction logging (JET_paramRecovery) is off on the instance, so there is nothing a backup could rely on."),
        R(JetErr.JET_errLogReadVerifyFailure, ErrorCategory.Corruption, false, "A transaction log failed checksum verification while it was being copied; the backup is stopped."),
        R(JetErr.JET_errLogWriteFail, ErrorCategory.State, false, "The instance can no longer write its transaction log."),
        R(JetErr.JET_errNotInitialized, ErrorCategory.State, false, "The instance has not been initialised (JetInit) yet."),
        R(JetErr.JET_errReadVerifyFailure, ErrorCategory.Corruption, false, "A database page failed checksum verification while it was being copied (after the engine's retries)."),
        R(JetErr.JET_errRestoreInProgress, ErrorCategory.Busy, true, "A restore is running."),
        R(JetErr.JET_errSessionSharingViolation, ErrorCategory.Internal, false, "The API was used from several threads in a way it does not allow."),
        R(JetErr.JET_errTermInProgress, ErrorCategory.State, true, "The instance is being terminated (JetTerm started); the backup was refused or stopped."),
        R(JetErr.JET_errRunningInMultiInstanceMode, ErrorCategory.Usage, false, "A process-wide call (JetBackup, JetRestore) was made while the process runs several instances; use the per-instance call."),

        // §5.2: other backup, restore and log errors.
        R(JetErr.JET_errInternalError, ErrorCategory.Internal),
        R(JetErr.JET_errLogFileCorrupt, ErrorCategory.Corruption),
        R(JetErr.JET_errNoBackupDirectory, ErrorCategory.Usage),
        R(JetErr.JET_errBackupDirectoryNotEmpty, ErrorCategory.Usage),
        R(JetErr.JET_errMissingPreviousLogFile, ErrorCategory.Missing),
        R(JetErr.JET_errLogGenerationMismatch, ErrorCategory.Corruption),
        R(JetErr.JET_errBadLogVersion, ErrorCategory.State),
        R(JetErr.JET_errInvalidLogSequence, ErrorCategory.Missing),
        R(JetErr.JET_errLogSequenceEnd, ErrorCategory.State),
        R(JetErr.JET_errNoBackup, ErrorCategory.State),
        R(JetErr.JET_errInvalidBackupSequence, ErrorCategory.Usage),
        R(JetErr.JET_errDeleteBackupFileFail, ErrorCategory.Io),
        R(JetErr.JET_errMakeBackupDirectoryFail, ErrorCategory.Io),
        R(JetErr.JET_errRecoveredWithErrors, ErrorCategory.Corruption),
        R(JetErr.JET_errMissingLogFile, ErrorCategory.Missing),
        R(JetErr.JET_errLogDiskFull, ErrorCategory.Io, true),
        R(JetErr.JET_errBadLogSignature, ErrorCategory.Corruption),
        R(JetErr.JET_errBadDbSignature, ErrorCategory.Corruption),
        R(JetErr.JET_errBadCheckpointSignature, ErrorCategory.Corruption),
        R(JetErr.JET_errCheckpointCorrupt, ErrorCategory.Corruption),
        R(JetErr.JET_errMissingPatchPage, ErrorCategory.Corruption),
        R(JetErr.JET_errBadPatchPage, ErrorCategory.Corruption),
        R(JetErr.JET_errRedoAbruptEnded, ErrorCategory.Corruption),
        R(JetErr.JET_errPatchFileMissing, ErrorCategory.Missing),
        R(JetErr.JET_errDatabaseLogSetMismatch, ErrorCategory.Corruption),
        R(JetErr.JET_errLogFileSizeMismatch, ErrorCategory.Usage),
        R(JetErr.JET_errCheckpointFileNotFound, ErrorCategory.Missing),
        R(JetErr.JET_errRequiredLogFilesMissing, ErrorCategory.Missing),
        R(JetErr.JET_errSoftRecoveryOnBackupDatabase, ErrorCategory.Usage),
        R(JetErr.JET_errLogSectorSizeMismatch, ErrorCategory.State),
        R(JetErr.JET_errDatabaseDirtyShutdown, ErrorCategory.State),
        R(JetErr.JET_errConsistentTimeMismatch, ErrorCategory.Corruption),
        R(JetErr.JET_errDatabasePatchFileMismatch, ErrorCategory.Corruption),
        R(JetErr.JET_errEndingRestoreLogTooLow, ErrorCategory.Missing),
        R(JetErr.JET_errStartingRestoreLogTooHigh, ErrorCategory.Missing),
        R(JetErr.JET_errGivenLogFileHasBadSignature, ErrorCategory.Corruption),
        R(JetErr.JET_errGivenLogFileIsNotContiguous, ErrorCategory.Corruption),
        R(JetErr.JET_errMissingRestoreLogFiles, ErrorCategory.Missing),
        R(JetErr.JET_errMissingFullBackup, ErrorCategory.Usage),
        R(JetErr.JET_errBadBackupDatabaseSize, ErrorCategory.Corruption),
        R(JetErr.JET_errMissingCurrentLogFiles, ErrorCategory.Missing),
        R(JetErr.JET_errMissingFileToBackup, ErrorCategory.Missing),
        R(JetErr.JET_errLogTornWriteDuringHardRestore, ErrorCategory.Corruption),
        R(JetErr.JET_errLogTornWriteDuringHardRecovery, ErrorCategory.Corruption),
        R(JetErr.JET_errLogCorruptDuringHardRestore, ErrorCategory.Corruption),
        R(JetErr.JET_errLogCorruptDuringHardRecovery, ErrorCategory.Corruption),
        R(JetErr.JET_errBadRestoreTargetInstance, ErrorCategory.Usage),
        R(JetErr.JET_errRecoveredWithoutUndo, ErrorCategory.State),
        R(JetErr.JET_errDatabasesNotFromSameSnapshot, ErrorCategory.Corruption),
        R(JetErr.JET_errSoftRecoveryOnSnapshot, ErrorCategory.Usage),
        R(JetErr.JET_errCommittedLogFilesMissing, ErrorCategory.Missing),
        R(JetErr.JET_errSectorSizeNotSupported, ErrorCategory.Platform),
        R(JetErr.JET_errCommittedLogFileCorrupt, ErrorCategory.Corruption),
        R(JetErr.JET_errLogSequenceChecksumMismatch, ErrorCategory.Corruption),
        R(JetErr.JET_errExistingLogFileHasBadSignature, ErrorCategory.Corruption),
        R(JetErr.JET_errExistingLogFileIsNotContiguous, ErrorCategory.Corruption),
        R(JetErr.JET_errCheckpointDepthTooDeep, ErrorCategory.Busy, true),
        R(JetErr.JET_errRestoreOfNonBackupDatabase, ErrorCategory.Usage),
        R(JetErr.JET_errLogFileNotCopied, ErrorCategory.State),
        R(JetErr.JET_errSurrogateBackupInProgress, ErrorCategory.Busy, true),
        R(JetErr.JET_errBackupAbortByServer, ErrorCategory.State, true),
        R(JetErr.JET_errOutOfMemory, ErrorCategory.Internal, true),
        R(JetErr.JET_errPageNotInitialized, ErrorCategory.Corruption),
        R(JetErr.JET_errDiskReadVerificationFailure, ErrorCategory.Corruption),
        R(JetErr.JET_errDiskIO, ErrorCategory.Io, true),
        R(JetErr.JET_errInvalidSystemPath, ErrorCategory.Usage),
        R(JetErr.JET_errInvalidLogDirectory, ErrorCategory.Usage),
        R(JetErr.JET_errInvalidDatabase, ErrorCategory.Usage),
        R(JetErr.JET_errAlreadyInitialized, ErrorCategory.State),
        R(JetErr.JET_errInitInProgress, ErrorCategory.Busy, true),
        R(JetErr.JET_errFileAccessDenied, ErrorCategory.Io),
        R(JetErr.JET_errBufferTooSmall, ErrorCategory.Internal),
        R(JetErr.JET_errInvalidFilename, ErrorCategory.Usage),
        R(JetErr.JET_errRunningInOneInstanceMode, ErrorCategory.Usage),
        R(JetErr.JET_errSystemParamsAlreadySet, ErrorCategory.State),
        R(JetErr.JET_errInstanceNameInUse, ErrorCategory.Usage),
        R(JetErr.JET_errInvalidInstance, ErrorCategory.Usage),
        R(JetErr.JET_errReadPgnoVerifyFailure, ErrorCategory.Corruption),
        R(JetErr.JET_errReadLostFlushVerifyFailure, ErrorCategory.Corruption),
        R(JetErr.JET_errFileSystemCorruption, ErrorCategory.Corruption),
        R(JetErr.JET_errDatabaseNotFound, ErrorCategory.Missing),
        R(JetErr.JET_errDatabaseCorrupted, ErrorCategory.Corruption),
        R(JetErr.JET_errInvalidDatabaseVersion, ErrorCategory.Usage),
        R(JetErr.JET_errPageSizeMismatch, ErrorCategory.Usage),
        R(JetErr.JET_errTooManyInstances, ErrorCategory.State),
        R(JetErr.JET_errDatabaseSharingViolation, ErrorCategory.Busy, true),
        R(JetErr.JET_errAttachedDatabaseMismatch, ErrorCategory.State),
        R(JetErr.JET_errDatabaseAttachedForRecovery, ErrorCategory.Busy, true),
        R(JetErr.JET_errInvalidSettings, ErrorCategory.Usage),
        R(JetErr.JET_errDiskFull, ErrorCategory.Io, true),
        R(JetErr.JET_errPermissionDenied, ErrorCategory.Io),
        R(JetErr.JET_errFileNotFound, ErrorCategory.Missing),
        R(JetErr.JET_errFileAlreadyExists, ErrorCategory.Usage),
        R(JetErr.JET_errAfterInitialization, ErrorCategory.State),
        R(JetErr.JET_errLogCorrupted, ErrorCategory.Corruption),
        R(JetErr.JET_errCallbackFailed, ErrorCategory.Internal),
        R(JetErr.JET_errOSSnapshotInvalidSequence, ErrorCategory.Usage),
        R(JetErr.JET_errOSSnapshotTimeOut, ErrorCategory.State, true),
        R(JetErr.JET_errOSSnapshotNotAllowed, ErrorCategory.Busy, true),
        R(JetErr.JET_errOSSnapshotInvalidSnapId, ErrorCategory.Usage),

        // §5.3: warnings.
        W(JetErr.JET_wrnNyi),
        W(JetErr.JET_wrnRemainingVersions),
        W(JetErr.JET_wrnExistingLogFileHasBadSignature),
        W(JetErr.JET_wrnExistingLogFileIsNotContiguous),
        W(JetErr.JET_wrnTargetInstanceRunning),
        W(JetErr.JET_wrnCommittedLogFilesLost),
        W(JetErr.JET_wrnCommittedLogFilesRemoved),
        W(JetErr.JET_wrnFinishWithUndo),
        W(JetErr.JET_wrnDatabaseRepaired),
        W(JetErr.JET_wrnBufferTruncated),
        W(JetErr.JET_wrnDatabaseAttached),
        W(JetErr.JET_wrnFileOpenReadOnly),
        W(JetErr.JET_wrnCallbackNotRegistered),
    ];

    private static readonly FrozenDictionary<int, JetErrInfo> ByNumber = All.ToFrozenDictionary(e => e.Number);

    private static readonly FrozenDictionary<string, JetErrInfo> ByName = All.ToFrozenDictionary(e => e.Name, StringComparer.Ordinal);

    /// <summary>The row of a code.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="code"/> is not a member of <see cref="JetErr"/>.</exception>
    public static JetErrInfo Get(JetErr code)
        => ByNumber.TryGetValue((int)code, out var info) ? info : throw new ArgumentOutOfRangeException(nameof(code), code, "Not a JetErr member.");

    /// <summary>The row for a number, when the table knows it.</summary>
    public static bool TryGet(int number, [NotNullWhen(true)] out JetErrInfo? info)
        => ByNumber.TryGetValue(number, out info);

    /// <summary>The row for a constant name (e.g. <c>JET_errNoBackup</c>), when the table knows it.</summary>
    public static bool TryGet(string name, [NotNullWhen(true)] out JetErrInfo? info)
        => ByName.TryGetValue(name, out info);

    /// <summary>
    /// The row for any number a native call returned: unknown numbers get a synthetic row named
    /// <c>JET_errUnknown&lt;n&gt;</c> (category <see cref="ErrorCategory.Internal"/>).
    /// </summary>
    public static JetErrInfo Get(int number)
        => TryGet(number, out var info)
            ? info
            : new JetErrInfo(number, "JET_errUnknown" + Math.Abs((long)number).ToString(CultureInfo.InvariantCulture), ErrorCategory.Internal, false, null);
}
