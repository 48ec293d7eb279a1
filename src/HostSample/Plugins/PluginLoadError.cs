namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>Why a plugin could not be loaded. Each maps to a distinct, documented failure.</summary>
internal enum PluginLoadErrorKind
{
    /// <summary>plugin.json does not exist.</summary>
    ManifestNotFound,

    /// <summary>plugin.json is not valid JSON.</summary>
    ManifestMalformed,

    /// <summary>plugin.json is JSON but breaks the schema (a field is missing, of the wrong type or out of range).</summary>
    ManifestInvalid,

    /// <summary>The plugin implements no contract version this host understands.</summary>
    IncompatibleContract,

    /// <summary>plugin.json does not list this operating system.</summary>
    PlatformNotSupported,

    /// <summary>The entry assembly is missing or cannot be loaded.</summary>
    AssemblyNotFound,

    /// <summary>The entry type does not exist in the assembly.</summary>
    EntryTypeNotFound,

    /// <summary>The entry type exists but does not implement the contract's plugin interface.</summary>
    EntryTypeNotAPlugin,

    /// <summary>The entry type could not be constructed (constructor threw or needs unknown services).</summary>
    EntryTypeNotConstructible,
}

/// <summary>A plugin load failure: the kind, the plugin.json involved, the offending field, and a sentence.</summary>
internal sealed class PluginLoadException : Exception
{
    public PluginLoadException(PluginLoadErrorKind kind, string manifestPath, string message, string? field = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        ManifestPath = manifestPath;
        Field = field;
    }

    public PluginLoadErrorKind Kind { get; }

    public string ManifestPath { get; }

    /// <summary>JSON path of the offending field (e.g. <c>entry.assembly</c>), when one is to blame.</summary>
    public string? Field { get; }
}
