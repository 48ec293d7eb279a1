using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Engine.Restore;
using EseBackupPlugin.Ese.Sources.Esent;

namespace EseBackupPlugin.Ese.Composition;

/// <summary>The restore engine's ESE port, served by JetRestoreInstance where esent.dll is usable.</summary>
internal sealed class EsentRestorerAdapter(EsentRestorer restorer) : IEseRestorer
{
    public bool IsAvailable => EsentNativeGate.IsAvailable;

    public async Task<PluginError?> RestoreAsync(string layoutDirectory, string destination, CancellationToken cancellationToken)
    {
        if (!EsentNativeGate.IsAvailable)
        {
            return new PluginError(ErrorCodes.PlatformNotSupported, "esent.dll is not usable in this process.");
        }

        var result = await restorer.RestoreAsync(layoutDirectory, destination, new EsentRestoreOptions { AllowNonEmptyDestination = true }, null, cancellationToken);
        return result.Error;
    }
}
