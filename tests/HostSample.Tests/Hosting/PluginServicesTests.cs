using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.HostSample.Tests.Hosting;

/// <summary>
/// A plugin's entry type is built by <see cref="ActivatorUtilities"/> over <see cref="PluginServices"/>: the same choices a
/// DI container would make (the longest constructor it can fill), the four services the contract offers, and a clear
/// failure for anything else.
/// </summary>
public sealed class PluginServicesTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly SqliteCatalog _catalog;
    private readonly PluginServices _services;

    public PluginServicesTests()
    {
        _catalog = new SqliteCatalog(_temp.Combine("catalog.db"));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new("EsePlugin:Answer", "42")]).Build();
        _services = new PluginServices(NullLoggerFactory.Instance, configuration.GetSection("EsePlugin"), _catalog);
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public void The_longest_constructor_the_services_can_fill_is_chosen()
    {
        var entry = ActivatorUtilities.CreateInstance<TwoConstructors>(_services);
        Assert.True(entry.GotServices);
    }

    [Fact]
    public void Every_offered_service_reaches_the_constructor()
    {
        var entry = ActivatorUtilities.CreateInstance<AsksForEverything>(_services);
        Assert.Same(_catalog, entry.Catalog);
        Assert.Equal("42", entry.Configuration["Answer"]);
        Assert.NotNull(entry.Logger);
        Assert.Same(_services, entry.Services);
    }

    [Fact]
    public void A_service_the_contract_does_not_offer_fails_clearly()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => ActivatorUtilities.CreateInstance<AsksForTime>(_services));
        Assert.Contains(nameof(TimeProvider), ex.Message, StringComparison.Ordinal);
    }

    private sealed class TwoConstructors
    {
        public TwoConstructors()
        {
        }

        public TwoConstructors(ILoggerFactory loggerFactory, ILogger<TwoConstructors> logger)
        {
            GotServices = loggerFactory is not null && logger is not null;
        }

        public bool GotServices { get; }
    }

    private sealed class AsksForEverything(ILoggerFactory loggerFactory, ILogger<AsksForEverything> logger, IConfiguration configuration, IBackupCatalog catalog, IServiceProvider services)
    {
        public ILoggerFactory LoggerFactory { get; } = loggerFactory;

        public ILogger Logger { get; } = logger;

        public IConfiguration Configuration { get; } = configuration;

        public IBackupCatalog Catalog { get; } = catalog;

        public IServiceProvider Services { get; } = services;
    }

    private sealed class AsksForTime(TimeProvider time)
    {
        public TimeProvider Time { get; } = time;
    }
}
