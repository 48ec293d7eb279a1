using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// Lets ESE itself recover a laid-out restore directory (JetRestoreInstance on Windows). The restore
/// engine lays files out; this port runs the engine's hard recovery over them.
/// </summary>
internal interface IEseRestorer
{
    /// <summary>Whether ESE is usable in this process.</summary>
    bool IsAvailable { get; }

    /// <summary>
    /// Runs ESE's restore over <paramref name="layoutDirectory"/> (databases, empty .pat files and logs side by
    /// side) and puts the recovered databases into <paramref name="destination"/>.
    /// </summary>
    Task<PluginError?> RestoreAsync(string layoutDirectory, string destination, CancellationToken cancellationToken);
}
