using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>The outcome of one backup run through the host; what <c>esebackup backup --json</c> prints.</summary>
internal sealed record BackupOutput(
    string SetId,
    string State,
    string? SetPath,
    BackupManifest? Manifest,
    TruncationReport? Truncation,
    PluginError? Error);
