using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Plugins;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>What <c>esebackup plugins --json</c> prints.</summary>
internal sealed record PluginListing(
    string ManifestPath,
    string Id,
    string Version,
    string ContractId,
    IReadOnlyList<string> ContractVersions,
    string NegotiatedContractVersion,
    IReadOnlyList<string> ProcessModels,
    string ConfigurationSection,
    PluginInfo Info);

/// <summary>What <c>esebackup prune --json</c> prints.</summary>
internal sealed record PruneOutput(bool DryRun, IReadOnlyList<PrunedSet> Sets, IReadOnlyList<KeptSet> Kept);

/// <summary>A set prune had to keep, and why (the plugin would not give it up).</summary>
internal sealed record KeptSet(string SetId, PluginError Reason);

/// <summary>One set prune removed (or would remove).</summary>
internal sealed record PrunedSet(string SetId, string TargetId, string State, string? SetPath, bool FilesRemoved, TruncationReport? Truncation);

/// <summary>What <c>esebackup catalog import --json</c> prints.</summary>
internal sealed record ImportOutput(IReadOnlyList<string> Imported, IReadOnlyList<string> AlreadyKnown);

/// <summary>What <c>esebackup hook post --json</c> prints.</summary>
internal sealed record HookPostOutput(string SetId, string TargetId, bool Succeeded, string Verdict, TruncationReport? Truncation, PluginError? Error);

/// <summary>One catalog row as JSON.</summary>
internal sealed record CatalogRowOutput(
    string SetId,
    string TargetId,
    string? TargetName,
    string Kind,
    string State,
    string? ChainId,
    string? PreviousSetId,
    int? Sequence,
    DateTimeOffset StartedAt,
    DateTimeOffset? StagedAt,
    DateTimeOffset? StoredAt,
    DateTimeOffset? CompletedAt,
    string? SetPath,
    string? Error,
    BackupManifest? Manifest,
    TruncationReport? Truncation,
    string? ExternalRef = null);

/// <summary>What <c>esebackup demo --json</c> prints.</summary>
internal sealed record DemoOutput(
    string WorkDirectory,
    SampleTarget Sample,
    string TargetId,
    BackupOutput Full,
    SampleTarget Advanced,
    BackupOutput Incremental,
    VerifySetResult Verification,
    RestoreResult Restore,
    bool RestoredFilesMatch);

/// <summary>Source-generated JSON for the host's own output types (camelCase, enums as strings).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(BundleReport))]
[JsonSerializable(typeof(PluginListing))]
[JsonSerializable(typeof(BackupOutput))]
[JsonSerializable(typeof(List<CatalogRowOutput>))]
[JsonSerializable(typeof(CatalogRowOutput))]
[JsonSerializable(typeof(DemoOutput))]
[JsonSerializable(typeof(List<VerifySetResult>))]
[JsonSerializable(typeof(PruneOutput))]
[JsonSerializable(typeof(ImportOutput))]
[JsonSerializable(typeof(HookPostOutput))]
internal sealed partial class HostJsonContext : JsonSerializerContext;
