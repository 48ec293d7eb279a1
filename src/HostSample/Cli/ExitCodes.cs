using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// Process exit codes of <c>esebackup</c> (also listed in <c>--help</c>, the README and docs/pipelines.md). Scripts
/// branch on them, so each distinct situation a script handles differently has its own code, and a code never changes
/// meaning.
/// </summary>
internal static class ExitCodes
{
    /// <summary>Success; for verify commands: everything verified clean.</summary>
    public const int Ok = 0;

    /// <summary>The operation failed for another reason (I/O, a vanished file, a broken pipe; message on standard error).</summary>
    public const int Failed = 1;

    /// <summary>Bad command line.</summary>
    public const int Usage = 2;

    /// <summary>Verification found corruption (checksum, hash, signature or sequence), or a set or stream is damaged.</summary>
    public const int Corruption = 3;

    /// <summary>The plugin could not be loaded (plugin.json, assembly, entry type, contract version).</summary>
    public const int PluginLoad = 4;

    /// <summary>The target is busy (another backup runs): retry later.</summary>
    public const int Busy = 5;

    /// <summary>An incremental needs a full backup first (none completed, or the log stream was reset): run a full.</summary>
    public const int NeedsFull = 6;

    /// <summary>Not supported for this target (e.g. incremental under circular logging, stream mode with this plugin).</summary>
    public const int NotSupported = 7;

    /// <summary>The target, set, file or pending hook state named was not found.</summary>
    public const int NotFound = 8;

    /// <summary>The set was already completed with the other verdict (the same verdict again succeeds).</summary>
    public const int AlreadyCompleted = 9;

    /// <summary>The set is stored and restorable but could not truncate: the session that staged it has ended.</summary>
    public const int SessionLost = 10;

    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>The exit code for a plugin error: by code first (the situations scripts tell apart), then by category.</summary>
    public static int For(PluginError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var code = error.Code;
        if (code == ErrorCodes.MissingFullBackup || code == ErrorCodes.NewFullBackupRequired)
        {
            return NeedsFull;
        }

        if (code == ErrorCodes.InvalidBackup || code == ErrorCodes.PlatformNotSupported || code == ErrorCodes.LoggingDisabled)
        {
            return NotSupported;
        }

        if (code == ErrorCodes.TargetNotFound || code == ErrorCodes.SetNotFound || code == ErrorCodes.FileNotFound)
        {
            return NotFound;
        }

        if (code == ErrorCodes.AlreadyCompleted)
        {
            return AlreadyCompleted;
        }

        if (code == ErrorCodes.SessionLost)
        {
            return SessionLost;
        }

        return code.Category switch
        {
            ErrorCategory.Busy => Busy,
            ErrorCategory.Corruption => Corruption,
            ErrorCategory.Cancelled => Cancelled,
            _ => Failed,
        };
    }

    /// <summary>The help text that documents these codes.</summary>
    public const string Help = """
        Exit codes:
          0    success (verify: all clean; complete: the same verdict again prints the recorded report)
          1    the operation failed (I/O, a vanished file, a broken pipe, ...)
          2    bad command line
          3    corruption found (checksum, hash, signature or log sequence), or a damaged set or tar stream
          4    the plugin could not be loaded (plugin.json, assembly, entry type, contract version)
          5    the target is busy (a backup is already running): retry later
          6    an incremental needs a full backup first: run a full (hook pre --kind auto does)
          7    not supported for this target (incremental under circular logging, stream mode, platform)
          8    not found (target, set, file, or the pending set of 'hook post')
          9    already completed with the other verdict
          10   stored but could not truncate: the session that staged the set has ended
          130  cancelled
        With --json, every command prints exactly one JSON document on standard output, errors included:
        {"ok": false, "exitCode": N, "error": {...}}.
        """;
}
