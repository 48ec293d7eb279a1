namespace EseBackupPlugin.Abstractions.Targets;

/// <summary>What to discover.</summary>
public sealed record DiscoveryRequest
{
    /// <summary>Directories to scan for file-set targets, in addition to those the plugin is configured with.</summary>
    public IReadOnlyList<string> Paths { get; init; } = [];

    /// <summary>Kinds of target to report; empty means every available kind.</summary>
    public IReadOnlyList<TargetKind> Kinds { get; init; } = [];

    /// <summary>How many directory levels below each path to scan; <see langword="null"/> uses the plugin's configured default.</summary>
    public int? MaxDepth { get; init; }
}
