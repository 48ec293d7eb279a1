namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// Where the host keeps its repository, hook state and system configuration when nothing names them. Never the
/// current directory: pre-/post-job scripts run from wherever the backup product starts them (Veeam uses the root
/// directory), and the same command must find the same repository every time.
/// <list type="bullet">
/// <item>Linux/macOS as root: <c>/var/lib/esebackup</c>; configuration <c>/etc/esebackup/esebackup.json</c>.</item>
/// <item>Linux/macOS as a user: <c>$XDG_STATE_HOME/esebackup</c>, else <c>~/.local/state/esebackup</c>; configuration
/// <c>$XDG_CONFIG_HOME/esebackup/esebackup.json</c>, else <c>~/.config/esebackup/esebackup.json</c>.</item>
/// <item>Windows: <c>%ProgramData%\esebackup</c> and <c>%ProgramData%\esebackup\esebackup.json</c> (for every user:
/// the services and agents that run job scripts are not interactive users).</item>
/// </list>
/// </summary>
internal static class DefaultLocations
{
    /// <summary>The default root on this machine for this process.</summary>
    public static string Root => RootFor(OperatingSystem.IsWindows(), Environment.IsPrivilegedProcess, Environment.GetEnvironmentVariable);

    /// <summary>The fixed system configuration file read when no <c>--config</c> is given (it may not exist).</summary>
    public static string SystemConfigFile => ConfigFileFor(OperatingSystem.IsWindows(), Environment.IsPrivilegedProcess, Environment.GetEnvironmentVariable);

    /// <summary>The rule, with its inputs explicit (tested for each OS and user kind).</summary>
    public static string RootFor(bool windows, bool privileged, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (windows)
        {
            return Path.Combine(ProgramData(environment), "esebackup");
        }

        if (privileged)
        {
            return "/var/lib/esebackup";
        }

        return Path.Combine(UserDirectory(environment, "XDG_STATE_HOME", ".local/state"), "esebackup");
    }

    /// <summary>The system configuration file rule, with its inputs explicit.</summary>
    public static string ConfigFileFor(bool windows, bool privileged, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (windows)
        {
            return Path.Combine(ProgramData(environment), "esebackup", "esebackup.json");
        }

        return privileged
            ? "/etc/esebackup/esebackup.json"
            : Path.Combine(UserDirectory(environment, "XDG_CONFIG_HOME", ".config"), "esebackup", "esebackup.json");
    }

    private static string ProgramData(Func<string, string?> environment) =>
        environment("ProgramData") is { Length: > 0 } p ? p : @"C:\ProgramData";

    private static string UserDirectory(Func<string, string?> environment, string xdgVariable, string underHome)
    {
        // The XDG base directory rules: a relative value is invalid and ignored.
        if (environment(xdgVariable) is { Length: > 0 } xdg && Path.IsPathRooted(xdg))
        {
            return xdg;
        }

        var home = environment("HOME");
        if (home is not { Length: > 0 } || !Path.IsPathRooted(home))
        {
            throw new InvalidOperationException($"Neither {xdgVariable} nor HOME names an absolute directory: give --repository (or Host:Repository) explicitly.");
        }

        return Path.Combine(home, underHome);
    }
}
