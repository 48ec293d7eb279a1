namespace EseBackupPlugin.HostSample.Cli;

/// <summary>Process exit codes of <c>esebackup</c> (also listed in <c>--help</c> and the README).</summary>
internal static class ExitCodes
{
    /// <summary>Success; for verify commands: everything verified clean.</summary>
    public const int Ok = 0;

    /// <summary>The operation failed (error message on standard error).</summary>
    public const int Failed = 1;

    /// <summary>Bad command line.</summary>
    public const int Usage = 2;

    /// <summary>Verification found corruption (checksum, hash, signature or sequence).</summary>
    public const int Corruption = 3;

    /// <summary>The plugin could not be loaded (plugin.json, assembly, entry type, contract version).</summary>
    public const int PluginLoad = 4;

    /// <summary>The target is busy (another backup runs): retry later.</summary>
    public const int Busy = 5;

    /// <summary>Cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;

    /// <summary>The help text that documents these codes.</summary>
    public const string Help = """
        Exit codes:
          0    success (verify: all clean)
          1    the operation failed
          2    bad command line
          3    corruption found (checksum, hash, signature or log sequence)
          4    the plugin could not be loaded (plugin.json, assembly, entry type, contract version)
          5    the target is busy (a backup is already running): retry later
          130  cancelled
        """;
}
