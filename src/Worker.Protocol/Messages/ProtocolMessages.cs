using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Worker.Protocol.Messages;

/// <summary>The params of <c>initialize</c>.</summary>
/// <param name="HostName">The host product's name (for the worker's log).</param>
/// <param name="HostVersion">The host product's version.</param>
/// <param name="ContractVersions">Contract versions (<c>major.minor</c>) the host speaks.</param>
public sealed record InitializeParams(string HostName, string HostVersion, IReadOnlyList<string> ContractVersions)
{
    /// <summary>The plugin's configuration section as a JSON object (what <c>EsePlugin</c> would read in process).</summary>
    public JsonObject? Configuration { get; init; }

    /// <summary>True when the host answers the <c>catalog/*SnapshotSet*</c> callbacks (its catalog keeps VSS snapshot sets).</summary>
    public bool SnapshotSetCatalog { get; init; }
}

/// <summary>The result of <c>initialize</c>.</summary>
/// <param name="ContractVersion">The contract version both sides now speak.</param>
/// <param name="Plugin">The plugin's identity and capabilities on the worker's machine.</param>
/// <param name="Worker">The worker process.</param>
public sealed record InitializeResult(string ContractVersion, PluginInfo Plugin, WorkerProcessInfo Worker);

/// <summary>Facts about the worker process.</summary>
/// <param name="Name">Executable name (<c>esebackup-worker</c>).</param>
/// <param name="Version">Worker version.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="NativeAot">True for the Native AOT build.</param>
/// <param name="Extensions">Optional method groups it serves beyond the contract (e.g. <c>samples</c>).</param>
public sealed record WorkerProcessInfo(string Name, string Version, int ProcessId, bool NativeAot, IReadOnlyList<string> Extensions);

/// <summary>The params of the <c>progress</c> notification.</summary>
/// <param name="RequestId">The id of the request the progress belongs to.</param>
/// <param name="Progress">The report.</param>
public sealed record ProgressParams(JsonElement RequestId, OperationProgress Progress);

/// <summary>The params of the <c>discover/target</c> notification.</summary>
/// <param name="RequestId">The id of the <c>discover</c> request.</param>
/// <param name="Target">One target.</param>
public sealed record DiscoveredTargetParams(JsonElement RequestId, BackupTarget Target);

/// <summary>The result of <c>discover</c>, sent after every <c>discover/target</c> notification.</summary>
/// <param name="Count">How many targets were sent.</param>
public sealed record DiscoverResult(int Count);

/// <summary>The params of <c>inspect</c>.</summary>
/// <param name="Path">The file.</param>
public sealed record InspectParams(string Path);

/// <summary>The params of <c>catalog/getChain</c>.</summary>
/// <param name="TargetId">The target.</param>
public sealed record GetChainParams(string TargetId);

/// <summary>The params of <c>abandon</c> and <c>catalog/getSet</c>.</summary>
/// <param name="SetId">The set.</param>
public sealed record SetIdParams(string SetId);

/// <summary>The params of <c>catalog/removeSnapshotSet</c>.</summary>
/// <param name="SnapshotSetId">The snapshot set.</param>
public sealed record RemoveSnapshotSetParams(Guid SnapshotSetId);

/// <summary>The params of <c>samples/advance</c>.</summary>
/// <param name="Directory">A sample directory.</param>
/// <param name="NewGenerations">Generations to add.</param>
public sealed record AdvanceSampleParams(string Directory, int NewGenerations);

/// <summary>An empty params or result object.</summary>
public sealed record Empty;

/// <summary>Source-generated metadata for the protocol's own records (the contract's come from its own context).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(InitializeParams))]
[JsonSerializable(typeof(InitializeResult))]
[JsonSerializable(typeof(ProgressParams))]
[JsonSerializable(typeof(DiscoveredTargetParams))]
[JsonSerializable(typeof(DiscoverResult))]
[JsonSerializable(typeof(InspectParams))]
[JsonSerializable(typeof(GetChainParams))]
[JsonSerializable(typeof(SetIdParams))]
[JsonSerializable(typeof(RemoveSnapshotSetParams))]
[JsonSerializable(typeof(AdvanceSampleParams))]
[JsonSerializable(typeof(Empty))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class ProtocolJsonContext : JsonSerializerContext;
