using Microsoft.Extensions.Configuration;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// Configuration for the host and the plugin it loads: <c>appsettings.json</c> beside the host, then an
/// optional <c>appsettings.json</c> in the current directory, then environment variables prefixed
/// <c>ESEBACKUP_</c> (<c>__</c> separates sections, e.g. <c>ESEBACKUP_Host__Repository</c>).
/// </summary>
internal static class HostConfiguration
{
    /// <summary>Prefix of environment variables the host reads.</summary>
    public const string EnvironmentPrefix = "ESEBACKUP_";

    public static IConfigurationRoot Build(string? extraJsonFile = null)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        var local = Path.Combine(Environment.CurrentDirectory, "appsettings.json");
        if (!string.Equals(Path.GetFullPath(local), Path.Combine(AppContext.BaseDirectory, "appsettings.json"), StringComparison.Ordinal))
        {
            builder.AddJsonFile(local, optional: true, reloadOnChange: false);
        }

        if (extraJsonFile is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(extraJsonFile), optional: false, reloadOnChange: false);
        }

        return builder.AddEnvironmentVariables(EnvironmentPrefix).Build();
    }

    /// <summary>Binds and normalises the host's settings.</summary>
    public static HostSettings ReadHostSettings(IConfiguration configuration)
    {
        var settings = new HostSettings();
        configuration.GetSection(HostSettings.Section).Bind(settings);
        settings.PluginManifest = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, settings.PluginManifest));
        settings.Repository = Path.GetFullPath(settings.Repository);
        return settings;
    }
}
