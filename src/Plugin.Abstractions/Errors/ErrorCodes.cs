using System.Collections.Frozen;

namespace EseBackupPlugin.Abstractions.Errors;

/// <summary>
/// Every error code the contract defines. ESE's numbers and names come from the esent.dll
/// documentation of <c>JetBackupInstance</c>/<c>JetBackup</c> and the backup/restore error list.
/// </summary>
public static class ErrorCodes
{
    private static ErrorCode Ese(string name, int number, ErrorCategory category, bool transient = false)
        => new(name, number, "JET_err" + name, category, transient);

    private static ErrorCode Own(string name, ErrorCategory category, bool transient = false)
        => new(name, null, null, category, transient);

    // --- Codes ESE names for JetBackupInstance / JetBackup -------------------------------------

    /// <summary>A backup is already running for this target (ESE -505).</summary>
    public static ErrorCode BackupInProgress { get; } = Ese(nameof(BackupInProgress), -505, ErrorCategory.Busy, transient: true);

    /// <summary>A restore is running (ESE -506).</summary>
    public static ErrorCode RestoreInProgress { get; } = Ese(nameof(RestoreInProgress), -506, ErrorCategory.Busy, transient: true);

    /// <summary>The instance cannot write its log any more (ESE -510).</summary>
    public static ErrorCode LogWriteFail { get; } = Ese(nameof(LogWriteFail), -510, ErrorCategory.State);

    /// <summary>Logging (recovery) is off, so no backup is possible (ESE -516).</summary>
    public static ErrorCode LoggingDisabled { get; } = Ese(nameof(LoggingDisabled), -516, ErrorCategory.State);

    /// <summary>The instance is still initialising or already terminating (ESE -523).</summary>
    public static ErrorCode BackupNotAllowedYet { get; } = Ese(nameof(BackupNotAllowedYet), -523, ErrorCategory.State, transient: true);

    /// <summary>The backup is not possible as requested: incremental without a full, or with circular logging (ESE -526).</summary>
    public static ErrorCode InvalidBackup { get; } = Ese(nameof(InvalidBackup), -526, ErrorCategory.Usage);

    /// <summary>A log file failed checksum verification while being copied (ESE -612).</summary>
    public static ErrorCode LogReadVerifyFailure { get; } = Ese(nameof(LogReadVerifyFailure), -612, ErrorCategory.Corruption);

    /// <summary>A bad option combination was passed to the engine (ESE -900).</summary>
    public static ErrorCode InvalidGrbit { get; } = Ese(nameof(InvalidGrbit), -900, ErrorCategory.Usage);

    /// <summary>JetTerm has started on the instance (ESE -1000).</summary>
    public static ErrorCode TermInProgress { get; } = Ese(nameof(TermInProgress), -1000, ErrorCategory.State, transient: true);

    /// <summary>A parameter was invalid (ESE -1003).</summary>
    public static ErrorCode InvalidParameter { get; } = Ese(nameof(InvalidParameter), -1003, ErrorCategory.Usage);

    /// <summary>A database page failed checksum verification (ESE -1018).</summary>
    public static ErrorCode ReadVerifyFailure { get; } = Ese(nameof(ReadVerifyFailure), -1018, ErrorCategory.Corruption);

    /// <summary>A path is missing, unusable or not allowed (ESE -1023).</summary>
    public static ErrorCode InvalidPath { get; } = Ese(nameof(InvalidPath), -1023, ErrorCategory.Usage);

    /// <summary>The instance is not initialised (ESE -1029).</summary>
    public static ErrorCode NotInitialized { get; } = Ese(nameof(NotInitialized), -1029, ErrorCategory.State);

    /// <summary>A process-wide backup was asked for while several instances run (ESE -1081).</summary>
    public static ErrorCode RunningInMultiInstanceMode { get; } = Ese(nameof(RunningInMultiInstanceMode), -1081, ErrorCategory.Usage);

    /// <summary>The instance hit a fatal error earlier (ESE -1090).</summary>
    public static ErrorCode InstanceUnavailable { get; } = Ese(nameof(InstanceUnavailable), -1090, ErrorCategory.State);

    /// <summary>The instance was asked to stop service (ESE -1329).</summary>
    public static ErrorCode ClientRequestToStopJetService { get; } = Ese(nameof(ClientRequestToStopJetService), -1329, ErrorCategory.State);

    /// <summary>A session was used from two threads at once (ESE -1910).</summary>
    public static ErrorCode SessionSharingViolation { get; } = Ese(nameof(SessionSharingViolation), -1910, ErrorCategory.Internal);

    // --- Other ESE conditions the plugin reports by ESE's name ---------------------------------

    /// <summary>The log generation in a file name differs from the one in its header (ESE -513).</summary>
    public static ErrorCode LogGenerationMismatch { get; } = Ese(nameof(LogGenerationMismatch), -513, ErrorCategory.Corruption);

    /// <summary>A log belongs to a different log stream (ESE -530).</summary>
    public static ErrorCode BadLogSignature { get; } = Ese(nameof(BadLogSignature), -530, ErrorCategory.Corruption);

    /// <summary>A database does not belong with the logs it was paired with (ESE -539).</summary>
    public static ErrorCode DatabaseLogSetMismatch { get; } = Ese(nameof(DatabaseLogSetMismatch), -539, ErrorCategory.Corruption);

    /// <summary>Log generations the databases require are missing (ESE -543).</summary>
    public static ErrorCode RequiredLogFilesMissing { get; } = Ese(nameof(RequiredLogFilesMissing), -543, ErrorCategory.Missing);

    /// <summary>A log of a restore chain has another log stream's signature (ESE -555).</summary>
    public static ErrorCode GivenLogFileHasBadSignature { get; } = Ese(nameof(GivenLogFileHasBadSignature), -555, ErrorCategory.Corruption);

    /// <summary>Two consecutive logs of a chain do not follow each other in time (ESE -556).</summary>
    public static ErrorCode GivenLogFileIsNotContiguous { get; } = Ese(nameof(GivenLogFileIsNotContiguous), -556, ErrorCategory.Corruption);

    /// <summary>A restore chain lacks log generations (ESE -557).</summary>
    public static ErrorCode MissingRestoreLogFiles { get; } = Ese(nameof(MissingRestoreLogFiles), -557, ErrorCategory.Missing);

    /// <summary>An incremental backup needs a completed full backup first (ESE -560).</summary>
    public static ErrorCode MissingFullBackup { get; } = Ese(nameof(MissingFullBackup), -560, ErrorCategory.Usage);

    /// <summary>A file the backup needs is gone, such as a log generation (ESE -569).</summary>
    public static ErrorCode MissingFileToBackup { get; } = Ese(nameof(MissingFileToBackup), -569, ErrorCategory.Missing);

    /// <summary>The accumulated segment checksum of consecutive logs disagrees (ESE -590).</summary>
    public static ErrorCode LogSequenceChecksumMismatch { get; } = Ese(nameof(LogSequenceChecksumMismatch), -590, ErrorCategory.Corruption);

    /// <summary>Generic I/O failure (ESE -1022).</summary>
    public static ErrorCode DiskIO { get; } = Ese(nameof(DiskIO), -1022, ErrorCategory.Io, transient: true);

    /// <summary>The disk is full (ESE -1808).</summary>
    public static ErrorCode DiskFull { get; } = Ese(nameof(DiskFull), -1808, ErrorCategory.Io, transient: true);

    /// <summary>Access to a file was denied (ESE -1809).</summary>
    public static ErrorCode PermissionDenied { get; } = Ese(nameof(PermissionDenied), -1809, ErrorCategory.Io);

    /// <summary>A file was not found (ESE -1811).</summary>
    public static ErrorCode FileNotFound { get; } = Ese(nameof(FileNotFound), -1811, ErrorCategory.Missing);

    /// <summary>An engine fault (ESE -107).</summary>
    public static ErrorCode InternalError { get; } = Ese(nameof(InternalError), -107, ErrorCategory.Internal);

    // --- Conditions of the plugin itself (no ESE equivalent) -----------------------------------

    /// <summary>The operation was cancelled by the caller.</summary>
    public static ErrorCode Cancelled { get; } = Own(nameof(Cancelled), ErrorCategory.Cancelled);

    /// <summary>No target with the given id is known.</summary>
    public static ErrorCode TargetNotFound { get; } = Own(nameof(TargetNotFound), ErrorCategory.Usage);

    /// <summary>No staged or stored set with the given id is known.</summary>
    public static ErrorCode SetNotFound { get; } = Own(nameof(SetNotFound), ErrorCategory.Usage);

    /// <summary>The target's log stream changed or lost generations since the chain's last set: a new full backup is needed.</summary>
    public static ErrorCode NewFullBackupRequired { get; } = Own(nameof(NewFullBackupRequired), ErrorCategory.State);

    /// <summary>A manifest is malformed or of an unknown version.</summary>
    public static ErrorCode ManifestInvalid { get; } = Own(nameof(ManifestInvalid), ErrorCategory.Corruption);

    /// <summary>A manifest names a path that would leave the restore directory (absolute, <c>..</c>, symlink escape, duplicate).</summary>
    public static ErrorCode UnsafeManifestPath { get; } = Own(nameof(UnsafeManifestPath), ErrorCategory.Corruption);

    /// <summary>A file's SHA-256 or size differs from its manifest entry.</summary>
    public static ErrorCode HashMismatch { get; } = Own(nameof(HashMismatch), ErrorCategory.Corruption);

    /// <summary>The restore destination is not empty and overwriting was not requested.</summary>
    public static ErrorCode DestinationNotEmpty { get; } = Own(nameof(DestinationNotEmpty), ErrorCategory.Usage);

    /// <summary>The operation needs another operating system (for example, esent.dll or VSS on Windows).</summary>
    public static ErrorCode PlatformNotSupported { get; } = Own(nameof(PlatformNotSupported), ErrorCategory.Platform);

    /// <summary>The set was already completed; completion is idempotent only with the same verdict.</summary>
    public static ErrorCode AlreadyCompleted { get; } = Own(nameof(AlreadyCompleted), ErrorCategory.Usage);

    /// <summary>
    /// A staged set's lease ended before the host completed it with success: its target's hold was released and the
    /// set can only be completed as failed (logs kept). Back up again.
    /// </summary>
    public static ErrorCode LeaseExpired { get; } = Own(nameof(LeaseExpired), ErrorCategory.State);

    /// <summary>The plugin does not implement the operation (it was built against an older contract).</summary>
    public static ErrorCode NotSupported { get; } = Own(nameof(NotSupported), ErrorCategory.Usage);

    /// <summary>The live backup session behind a staged set is gone (process restarted), so the engine can no longer complete it.</summary>
    public static ErrorCode SessionLost { get; } = Own(nameof(SessionLost), ErrorCategory.State);

    /// <summary>A file is not an ESE file, or not the kind expected.</summary>
    public static ErrorCode NotEseFile { get; } = Own(nameof(NotEseFile), ErrorCategory.Usage);

    /// <summary>A VSS call or writer failed; the message names writer, phase and HRESULT.</summary>
    public static ErrorCode VssFailure { get; } = Own(nameof(VssFailure), ErrorCategory.State);

    /// <summary>The host's catalog could not be read or written.</summary>
    public static ErrorCode CatalogFailure { get; } = Own(nameof(CatalogFailure), ErrorCategory.Io, transient: true);

    /// <summary>
    /// The out-of-process worker running the plugin exited (crashed or was killed) while a call was pending. Nothing
    /// was truncated; the partial set is removed by the next worker. Retrying with a new worker may succeed.
    /// </summary>
    public static ErrorCode WorkerExited { get; } = Own(nameof(WorkerExited), ErrorCategory.Internal, transient: true);

    /// <summary>
    /// A full or copy backup found no database to copy: a set of logs and a checkpoint alone restores nothing, so it is
    /// refused instead of stored.
    /// </summary>
    public static ErrorCode NoDatabasesToBackup { get; } = Own(nameof(NoDatabasesToBackup), ErrorCategory.Missing);

    /// <summary>Every code above, by <see cref="ErrorCode.Name"/>.</summary>
    public static FrozenDictionary<string, ErrorCode> All { get; } = typeof(ErrorCodes)
        .GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(p => p.PropertyType == typeof(ErrorCode))
        .Select(p => (ErrorCode)p.GetValue(null)!)
        .ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);

    /// <summary>
    /// The contract code for an ESE error number: the named code when the contract has one, otherwise
    /// a code named after ESE's constant (without its <c>JET_err</c> prefix).
    /// </summary>
    /// <param name="eseError">ESE's error number.</param>
    /// <param name="eseName">ESE's constant name, e.g. <c>JET_errLogFileCorrupt</c>.</param>
    /// <param name="category">Category to use when the code is not one of the contract's own.</param>
    /// <param name="isTransient">Transient flag to use when the code is not one of the contract's own.</param>
    public static ErrorCode FromEse(int eseError, string eseName, ErrorCategory category, bool isTransient)
    {
        ArgumentNullException.ThrowIfNull(eseName);
        foreach (var code in All.Values)
        {
            if (code.EseError == eseError)
            {
                return code;
            }
        }

        var name = eseName.StartsWith("JET_err", StringComparison.Ordinal) ? eseName["JET_err".Length..] : eseName;
        return new ErrorCode(name, eseError, eseName, category, isTransient);
    }
}
