using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>Who produces sets: the plugin's identity, stamped into every manifest.</summary>
internal sealed record ProducerStamp(string PluginId, string PluginVersion, string ContractVersion)
{
    public ProducerInfo For(string strategy) => new(PluginId, PluginVersion, ContractVersion, strategy, Environment.MachineName);
}
