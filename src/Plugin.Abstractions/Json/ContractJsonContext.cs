using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Json;

/// <summary>
/// Source-generated JSON metadata for every contract type that crosses a boundary: camelCase
/// property names, enums as camelCase strings, nulls omitted. These names are part of the contract.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    AllowTrailingCommas = false,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(BackupManifest))]
[JsonSerializable(typeof(TruncationReport))]
[JsonSerializable(typeof(PluginInfo))]
[JsonSerializable(typeof(BackupTarget))]
[JsonSerializable(typeof(List<BackupTarget>))]
[JsonSerializable(typeof(BackupResult))]
[JsonSerializable(typeof(CompletionResult))]
[JsonSerializable(typeof(VerifySetResult))]
[JsonSerializable(typeof(RestoreResult))]
[JsonSerializable(typeof(FileInspection))]
[JsonSerializable(typeof(FileVerificationReport))]
[JsonSerializable(typeof(PluginError))]
[JsonSerializable(typeof(CatalogEntry))]
[JsonSerializable(typeof(List<CatalogEntry>))]
[JsonSerializable(typeof(DiscoveryRequest))]
[JsonSerializable(typeof(BackupRequest))]
[JsonSerializable(typeof(CompletionRequest))]
[JsonSerializable(typeof(VerifySetRequest))]
[JsonSerializable(typeof(RestoreRequest))]
[JsonSerializable(typeof(VerifyFilesRequest))]
[JsonSerializable(typeof(Progress.OperationProgress))]
[JsonSerializable(typeof(SnapshotSetRecord))]
[JsonSerializable(typeof(List<SnapshotSetRecord>))]
[JsonSerializable(typeof(Samples.SampleTargetRequest))]
[JsonSerializable(typeof(Samples.SampleTarget))]
public sealed partial class ContractJsonContext : JsonSerializerContext;
