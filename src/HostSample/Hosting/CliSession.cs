using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Plugins;
using EseBackupPlugin.HostSample.Repository;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>Options every command accepts.</summary>
/// <param name="PluginManifest">Overrides <c>Host:PluginManifest</c>.</param>
/// <param name="Repository">Overrides <c>Host:Repository</c>.</param>
/// <param name="ConfigFile">An extra JSON configuration file.</param>
/// <param name="Verbose">Log at Information level to standard error.</param>
/// <param name="ProcessModel">Overrides <c>Host:ProcessModel</c> (<c>in-process</c> or <c>out-of-process</c>).</param>
internal sealed record GlobalOptions(string? PluginManifest, string? Repository, string? ConfigFile, bool Verbose, string? ProcessModel = null);

/// <summary>
/// Everything one command invocation needs, created on demand: configuration, logging, the repository,
/// the SQLite catalog and the loaded plugin. Disposing it disposes the plugin and closes the catalog.
/// </summary>
internal sealed class CliSession : IAsyncDisposable
{
    private readonly Lazy<BackupRepository> _repository;
    private readonly LazyCatalog _catalog;
    private LoadedPlugin? _plugin;

    public CliSession(GlobalOptions options, TextWriter error)
    {
        Options = options;
        Configuration = HostConfiguration.Build(options.ConfigFile);
        Settings = HostConfiguration.ReadHostSettings(Configuration);
        if (options.PluginManifest is not null)
        {
            Settings.PluginManifest = Path.GetFullPath(options.PluginManifest);
        }

        if (options.Repository is not null)
        {
            Settings.Repository = Path.GetFullPath(options.Repository);
        }

        var level = options.Verbose ? LogLevel.Information : Enum.TryParse<LogLevel>(Settings.LogLevel, ignoreCase: true, out var l) ? l : LogLevel.Warning;
        // Built directly, not through LoggerFactory.Create: that one builds a DI container and the options machinery
        // for one provider and one level, on every command's critical path.
        LoggerFactory = new LoggerFactory([new TextWriterLoggerProvider(error)], new LoggerFilterOptions { MinLevel = level });
        var repository = new BackupRepository(Settings.Repository!); // only paths: nothing is created yet
        StateDirectory = Settings.StateDirectory ?? Path.Combine(repository.Root, "state");
        _repository = new Lazy<BackupRepository>(() =>
        {
            repository.EnsureCreated();
            return repository;
        });
        _catalog = new LazyCatalog(() => new SqliteCatalog(Repository.CatalogPath), repository.CatalogPath);
        RepositoryPaths = repository;
        _readOnlyCatalog = new Lazy<SqliteCatalog>(() => SqliteCatalog.OpenReadOnly(repository.CatalogPath));
    }

    private readonly Lazy<SqliteCatalog> _readOnlyCatalog;

    /// <summary>The repository's paths, without creating anything (for commands that only read).</summary>
    public BackupRepository RepositoryPaths { get; }

    /// <summary>
    /// The catalog opened for reading only (<c>catalog list</c>, <c>catalog show</c>, <c>verify-set</c>): nothing is
    /// created, migrated or recovered, and a repository without a catalog is an error.
    /// </summary>
    /// <exception cref="CatalogFailureException">No catalog there, or it cannot be read.</exception>
    public SqliteCatalog ReadOnlyCatalog => _catalog.IsValueCreated ? _catalog.Value : _readOnlyCatalog.Value;

    /// <summary>The global options this session was created with.</summary>
    public GlobalOptions Options { get; }

    public IConfigurationRoot Configuration { get; }

    public HostSettings Settings { get; }

    public ILoggerFactory LoggerFactory { get; }

    public BackupRepository Repository => _repository.Value;

    /// <summary>Where hooks remember pending sets (not created until a hook writes there).</summary>
    public string StateDirectory { get; }

    public SqliteCatalog Catalog => _catalog.Value;

    /// <summary>The plugin, loaded on first use.</summary>
    /// <exception cref="PluginLoadException">plugin.json or the plugin is unusable.</exception>
    public LoadedPlugin Plugin => _plugin ??= ProcessModel switch
    {
        OutOfProcess => WorkerLauncher.Start(Settings.PluginManifest, Configuration, _catalog, LoggerFactory),
        _ => new PluginLoader(LoggerFactory.CreateLogger<PluginLoader>()).Load(Settings.PluginManifest, ServicesFor),
    };

    /// <summary>The process model name.</summary>
    public const string OutOfProcess = "out-of-process";

    /// <summary><c>in-process</c> or <c>out-of-process</c>, from the command line, else the configuration.</summary>
    /// <exception cref="PluginLoadException">Neither name.</exception>
    public string ProcessModel
    {
        get
        {
            var model = Options.ProcessModel ?? Settings.ProcessModel;
            return model is "in-process" or OutOfProcess ? model : throw new PluginLoadException(
                PluginLoadErrorKind.ManifestInvalid,
                Settings.PluginManifest,
                $"Unknown process model '{model}' (--process-model or Host:ProcessModel): use 'in-process' or 'out-of-process'.");
        }
    }

    private IServiceProvider ServicesFor(PluginManifest manifest) =>
        new PluginServices(LoggerFactory, Configuration.GetSection(manifest.ConfigurationSection), _catalog);

    public async ValueTask DisposeAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.Plugin.DisposeAsync();
        }

        if (_catalog.IsValueCreated)
        {
            _catalog.Value.Dispose();
        }

        if (_readOnlyCatalog.IsValueCreated)
        {
            _readOnlyCatalog.Value.Dispose();
        }

        LoggerFactory.Dispose();
    }
}
