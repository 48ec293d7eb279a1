using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Tests.Support;

/// <summary>Drives a source session's phase-two step directly, as the engine's state machine would, recording its intent.</summary>
internal static class SessionExtensions
{
    public static ValueTask<TruncationReport> CompleteAsync(this ISourceSession session, BackupManifest manifest, bool hostSucceeded, CancellationToken cancellationToken)
        => session.CompleteAsync(manifest, hostSucceeded, _ => ValueTask.CompletedTask, cancellationToken);
}
