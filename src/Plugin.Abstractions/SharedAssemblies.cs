namespace EseBackupPlugin.Abstractions;

/// <summary>
/// The one authoritative list of assemblies a host must share with a plugin's load context: the host resolves
/// them from its own (default) context, and a plugin folder must not carry its own copy. Their types cross the
/// boundary (the contract's interfaces and records, the <c>ILoggerFactory</c> and <c>IConfiguration</c> the entry
/// type's constructor receives), so host and plugin must see one copy of each; a second copy makes the plugin's
/// <c>ILoggerFactory</c> a different type from the host's. Everything else a plugin brings stays private to it.
/// </summary>
/// <remarks>
/// Each entry carries a version floor: the host must supply that assembly version or a later one with the same
/// major version (the plugin was compiled against the floor). The list only grows within a contract major version.
/// </remarks>
public static class SharedAssemblies
{
    /// <summary>Every shared assembly with its version floor, the contract first.</summary>
    public static IReadOnlyList<SharedAssembly> All { get; } =
    [
        new(typeof(IBackupPlugin).Assembly.GetName().Name!, new Version(1, 0, 0, 0)),
        new("Microsoft.Extensions.Logging.Abstractions", new Version(10, 0, 0, 0)),
        new("Microsoft.Extensions.Configuration.Abstractions", new Version(10, 0, 0, 0)),
        new("Microsoft.Extensions.DependencyInjection.Abstractions", new Version(10, 0, 0, 0)),
        new("Microsoft.Extensions.Primitives", new Version(10, 0, 0, 0)),
    ];

    /// <summary>Whether the assembly with this simple name (no extension, any case) must come from the host.</summary>
    /// <param name="assemblyName">The assembly's simple name, as <c>AssemblyName.Name</c>.</param>
    public static bool IsShared(string assemblyName) => Find(assemblyName) is not null;

    /// <summary>The entry for an assembly's simple name, or <see langword="null"/> when it is not shared.</summary>
    /// <param name="assemblyName">The assembly's simple name, as <c>AssemblyName.Name</c>.</param>
    public static SharedAssembly? Find(string assemblyName)
    {
        ArgumentNullException.ThrowIfNull(assemblyName);
        return All.FirstOrDefault(a => string.Equals(a.Name, assemblyName, StringComparison.OrdinalIgnoreCase));
    }
}

/// <summary>One assembly a host shares with plugins.</summary>
/// <param name="Name">The assembly's simple name (file name without <c>.dll</c>).</param>
/// <param name="MinimumVersion">The lowest assembly version the host may supply; later versions must keep its major.</param>
public sealed record SharedAssembly(string Name, Version MinimumVersion)
{
    /// <summary>Whether an assembly version the host supplies satisfies this entry (same major, not below the floor).</summary>
    /// <param name="version">The version the host has loaded or will load.</param>
    public bool IsSatisfiedBy(Version version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return version.Major == MinimumVersion.Major && version >= MinimumVersion;
    }
}
