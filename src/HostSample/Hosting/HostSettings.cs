namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>The host's own settings (configuration section <c>Host</c>).</summary>
internal sealed class HostSettings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Host";

    /// <summary>plugin.json to load; relative paths are relative to the host's directory.</summary>
    public string PluginManifest { get; set; } = Path.Combine("plugins", "ese", "plugin.json");

    /// <summary>The backup repository (staging area, stored sets, catalog); relative paths are relative to the current directory.</summary>
    public string Repository { get; set; } = ".esebackup";

    /// <summary><c>in-process</c> (default) or <c>out-of-process</c>: run the plugin in the worker named by plugin.json.</summary>
    public string ProcessModel { get; set; } = "in-process";

    /// <summary>Minimum level of log messages written to standard error.</summary>
    public string LogLevel { get; set; } = "Warning";
}
