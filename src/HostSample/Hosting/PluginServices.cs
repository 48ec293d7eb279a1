using EseBackupPlugin.Abstractions.Catalog;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// What a plugin entry type's constructor may ask for: the host's <see cref="ILoggerFactory"/>, an
/// <see cref="ILogger{TCategoryName}"/> of any category, the plugin's own configuration section as
/// <see cref="IConfiguration"/>, and the host's <see cref="IBackupCatalog"/>. Anything else is not provided.
/// <para>
/// A plain provider rather than a DI container: the constructor is resolved once per process, and building a container
/// for four services cost every command a few milliseconds of start-up for nothing.
/// </para>
/// </summary>
internal sealed class PluginServices(ILoggerFactory loggerFactory, IConfiguration configuration, IBackupCatalog catalog) : IServiceProvider
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

        if (serviceType.IsGenericType && serviceType.GetGenericTypeDefinition() == typeof(ILogger<>))
        {
            return Activator.CreateInstance(typeof(Logger<>).MakeGenericType(serviceType.GetGenericArguments()), loggerFactory);
        }

        return null;
    }
}
