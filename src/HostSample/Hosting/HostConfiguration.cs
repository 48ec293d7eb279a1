using Microsoft.Extensions.Configuration;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// Configuration for the host and the plugin it loads: <c>appsettings.json</c> beside the host, then the site file
/// (<c>--config FILE</c>, or else the fixed system location of <see cref="DefaultLocations.SystemConfigFile"/>), then
/// environment variables prefixed <c>ESEBACKUP_</c> (<c>__</c> separates sections, e.g. <c>ESEBACKUP_Host__Repository</c>).
/// </summary>
internal static class HostConfiguration
{
    /// <summary>Prefix of environment variables the host reads.</summary>
    public const string EnvironmentPrefix = "ESEBACKUP_";

    /// <summary>The configuration of this process (see <see cref="Build(string?, string)"/>).</summary>
    public static IConfigurationRoot Build(string? extraJsonFile = null) => Build(extraJsonFile, DefaultLocations.SystemConfigFile);

    /// <summary>
    /// The host's defaults (<c>appsettings.json</c> beside the host), then exactly one site file: <paramref name="extraJsonFile"/>
    /// (<c>--config</c>, which must exist) or else <paramref name="systemConfigFile"/> (read when it exists), then
    /// <c>ESEBACKUP_</c> environment variables. Nothing is read from the current directory.
    /// </summary>
    public static IConfigurationRoot Build(string? extraJsonFile, string systemConfigFile)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (extraJsonFile is not null)
        {
            builder.AddJsonFile(Path.GetFullPath(extraJsonFile), optional: false, reloadOnChange: false);
        }
        else
        {
            builder.AddJsonFile(systemConfigFile, optional: true, reloadOnChange: false);
        }

        return builder.AddEnvironmentVariables(EnvironmentPrefix).Build();
    }

    /// <summary>Binds and normalises the host's settings.</summary>
    /// <exception cref="InvalidDataException">A configured path that must be absolute is not.</exception>
    public static HostSettings ReadHostSettings(IConfiguration configuration)
    {
        var settings = new HostSettings();
        configuration.GetSection(HostSettings.Section).Bind(settings);
        settings.PluginManifest = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, settings.PluginManifest));
        settings.Repository = Absolute(settings.Repository, "Host:Repository") ?? DefaultLocations.Root;
        settings.StateDirectory = Absolute(settings.StateDirectory, "Host:StateDirectory");
        return settings;
    }

    private static string? Absolute(string? path, string key)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        // Relative to what? Job scripts run from arbitrary directories: configuration names places absolutely.
        return Path.IsPathFullyQualified(path)
            ? Path.GetFullPath(path)
            : throw new InvalidDataException($"{key} is '{path}', a relative path; configuration must name an absolute directory (a relative --repository on the command line is fine).");
    }
}
