using EseBackupPlugin.Abstractions.Catalog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// What a plugin entry type's constructor may ask for: the host's <see cref="ILoggerFactory"/>, an
/// <see cref="ILogger{TCategoryName}"/> of any category, the plugin's own configuration section as
/// <see cref="IConfiguration"/>, the host's <see cref="IBackupCatalog"/>, and this provider itself. Anything else is not
/// provided.
/// <para>
/// A plain provider rather than a DI container: the constructor is resolved once per process, and building a container
/// for four services cost every command a few milliseconds of start-up for nothing.
/// </para>
/// </summary>
internal sealed class PluginServices(ILoggerFactory loggerFactory, IConfiguration configuration, IBackupCatalog catalog) : IServiceProvider, IServiceProviderIsService
{
    public object? GetService(Type serviceType)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceType == typeof(ILoggerFactory))
        {
            return loggerFactory;
        }

        if (serviceType == typeof(IConfiguration))
        {
            return configuration;
        }

        if (serviceType == typeof(IBackupCatalog))
        {
            return catalog;
        }

        if (serviceType == typeof(IServiceProvider) || serviceType == typeof(IServiceProviderIsService))
        {
            return this;
        }

        if (IsLogger(serviceType))
        {
            return Activator.CreateInstance(typeof(Logger<>).MakeGenericType(serviceType.GetGenericArguments()), loggerFactory);
        }

        return null;
    }

    /// <summary>
    /// Lets <see cref="ActivatorUtilities"/> choose, among several constructors, the longest one these services can fill
    /// (as a DI container would).
    /// </summary>
    public bool IsService(Type serviceType) => GetService(serviceType) is not null;

    private static bool IsLogger(Type serviceType) =>
        serviceType.IsGenericType && serviceType.GetGenericTypeDefinition() == typeof(ILogger<>);
}
