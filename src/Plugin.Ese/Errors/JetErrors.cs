namespace EseBackupPlugin.Ese.Errors;

/// <summary>
/// The few <c>JET_ERR</c> numbers that code branches on. Every value is also a row of
/// <see cref="EseErrorTable"/> (a test keeps the two in step).
/// </summary>
internal static class JetErrors
{
    /// <summary><c>JET_errSuccess</c>.</summary>
    public const int Success = 0;

    /// <summary><c>JET_errNoBackup</c>: no backup is active (also what End returns after the engine tore the backup down).</summary>
    public const int NoBackup = -520;

    /// <summary><c>JET_errBackupAbortByServer</c>: JetStopBackupInstance or a stop-backup terminate ended the backup.</summary>
    public const int BackupAbortByServer = -801;

    /// <summary><c>JET_errAfterInitialization</c>: a parameter that is fixed after initialisation was set later.</summary>
    public const int AfterInitialization = -1850;

    /// <summary><c>JET_errAlreadyInitialized</c>.</summary>
    public const int AlreadyInitialized = -1030;

    /// <summary><c>JET_errBufferTooSmall</c>: also used when an engine-filled list came back unterminated.</summary>
    public const int BufferTooSmall = -1038;

    /// <summary><c>JET_errCallbackFailed</c>: what the status trampoline returns when a managed callback threw.</summary>
    public const int CallbackFailed = -2101;

    /// <summary><c>JET_errInvalidParameter</c>.</summary>
    public const int InvalidParameter = -1003;

    /// <summary><c>JET_errFileNotFound</c>.</summary>
    public const int FileNotFound = -1811;
}
