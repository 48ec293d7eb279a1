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

    /// <summary><c>JET_errBufferTooSmall</c>: also used when an engine-filled list came back unterminated.</summary>
    public const int BufferTooSmall = -1038;

    /// <summary><c>JET_errCallbackFailed</c>: what the status trampoline returns when a managed callback threw.</summary>
    public const int CallbackFailed = -2101;

    /// <summary><c>JET_errFileNotFound</c>.</summary>
    public const int FileNotFound = -1811;
}
