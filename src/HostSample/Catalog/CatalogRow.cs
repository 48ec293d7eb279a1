using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.HostSample.Catalog;

/// <summary>One set as the host's catalog stores it.</summary>
internal sealed record CatalogRow(
    string SetId,
    string TargetId,
    string? TargetName,
    BackupKind Kind,
    HostSetState State,
    string? ChainId,
    string? PreviousSetId,
    int? Sequence,
    DateTimeOffset StartedAt,
    DateTimeOffset? StagedAt,
    DateTimeOffset? StoredAt,
    DateTimeOffset? CompletedAt,
    string? SetPath,
    BackupManifest? Manifest,
    TruncationReport? Truncation,
    string? Error,
    int? OwnerPid,
    DateTimeOffset? OwnerStarted,
    string? ExternalRef = null);
