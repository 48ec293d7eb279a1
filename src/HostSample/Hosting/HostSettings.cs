namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>The host's own settings (configuration section <c>Host</c>).</summary>
internal sealed class HostSettings
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Host";

    /// <summary>plugin.json to load; relative paths are relative to the host's directory.</summary>
    public string PluginManifest { get; set; } = Path.Combine("plugins", "ese", "plugin.json");

    /// <summary>
    /// The backup repository (staging area, stored sets, catalog). Must be absolute in configuration; unset means
    /// <see cref="DefaultLocations.Root"/>. (<c>--repository</c> on the command line may be relative to the current directory.)
    /// </summary>
    public string? Repository { get; set; }

    /// <summary>Where <c>hook pre</c> remembers each target's pending set for <c>hook post</c>; unset means <c>&lt;repository&gt;/state</c>.</summary>
    public string? StateDirectory { get; set; }

    /// <summary><c>in-process</c> (default) or <c>out-of-process</c>: run the plugin in the worker named by plugin.json.</summary>
    public string ProcessModel { get; set; } = "in-process";

    /// <summary>Minimum level of log messages written to standard error.</summary>
    public string LogLevel { get; set; } = "Warning";
}
