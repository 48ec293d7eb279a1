namespace EseBackupPlugin.Abstractions;

/// <summary>
/// Identity and version of this contract. A host compares the versions a plugin declares in its
/// <c>plugin.json</c> with <see cref="Supported"/> before it loads any plugin code.
/// </summary>
/// <remarks>
/// Versioning rule: the major version changes when a type or member is removed or changes meaning;
/// the minor version grows when members are added. A host built against <c>1.x</c> can drive a
/// plugin that declares <c>1.y</c> for any <c>y</c>: it simply does not call what it does not know.
/// </remarks>
public static class ContractVersion
{
    /// <summary>The contract id that <c>plugin.json</c> must name in <c>contract.id</c>.</summary>
    public const string Id = "EseBackupPlugin.Contract";

    /// <summary>The version of the contract this assembly defines.</summary>
    public static Version Current { get; } = new(1, 1);

    /// <summary>Contract versions this assembly can serve (one per major version still honoured).</summary>
    public static IReadOnlyList<Version> Supported { get; } = [Current];

    /// <summary>
    /// Picks the version both sides speak: the highest version declared by the plugin whose major
    /// equals one of <paramref name="hostVersions"/>' majors. Returns <see langword="null"/> when
    /// there is none.
    /// </summary>
    /// <param name="pluginVersions">Versions the plugin declares.</param>
    /// <param name="hostVersions">Versions the host understands; defaults to <see cref="Supported"/>.</param>
    public static Version? Negotiate(IEnumerable<Version> pluginVersions, IEnumerable<Version>? hostVersions = null)
    {
        ArgumentNullException.ThrowIfNull(pluginVersions);
        var hostMajors = (hostVersions ?? Supported).Select(v => v.Major).ToHashSet();
        return pluginVersions
            .Where(v => hostMajors.Contains(v.Major))
            .OrderByDescending(v => v)
            .FirstOrDefault();
    }
}
