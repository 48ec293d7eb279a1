using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese;
using EseBackupPlugin.Worker.Protocol.Messages;
using EseBackupPlugin.Worker.Protocol.Rpc;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Worker;

/// <summary>
/// The worker's side of the protocol: gates every call behind <c>initialize</c>, creates the plugin with the host's
/// configuration and a catalog that calls back to the host, and maps each method to one plugin call. Requests run
/// concurrently (docs/protocol.md, "Concurrency"); the plugin's own rules (one backup per target) still apply.
/// </summary>
internal sealed class WorkerServer : IAsyncDisposable
{
    /// <summary>The command name.</summary>
    public const string CommandName = "esebackup-worker";

    private const int StateNew = 0;
    private const int StateInitializing = 1;
    private const int StateReady = 2;
    private const int StateShuttingDown = 3;

    /// <summary>Instances holding the contract's defaults of the requests' optional members (see <see cref="WireJson.DeserializeWithDefaults"/>).</summary>
    private static readonly Dictionary<Type, object> ContractDefaults = new()
    {
        [typeof(BackupRequest)] = new BackupRequest(string.Empty, BackupKind.Full, string.Empty),
        [typeof(RestoreRequest)] = new RestoreRequest([], string.Empty),
        [typeof(VerifyFilesRequest)] = new VerifyFilesRequest([]),
        [typeof(SampleTargetRequest)] = new SampleTargetRequest(string.Empty),
        [typeof(DiscoveryRequest)] = new DiscoveryRequest(),
    };

    private readonly JsonRpcConnection _rpc;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _shutdownAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private IBackupPlugin? _plugin;

    public WorkerServer(Stream input, Stream output, ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<WorkerServer>();
        _rpc = new JsonRpcConnection(input, output, loggerFactory.CreateLogger<JsonRpcConnection>()) { RequestFilter = Gate };
        _rpc.AddMethod(WorkerMethods.Initialize, InitializeAsync);
        _rpc.AddMethod(WorkerMethods.Discover, DiscoverAsync);
        _rpc.AddMethod(WorkerMethods.Backup, r => Call<BackupRequest, BackupResult>(r, (p, req, progress, ct) => p.BackupAsync(req, progress, ct)));
        _rpc.AddMethod(WorkerMethods.BackupToStream, BackupToStreamAsync);
        _rpc.AddMethod(WorkerMethods.Complete, r => Call<CompletionRequest, CompletionResult>(r, (p, req, _, ct) => p.CompleteBackupAsync(req, ct)));
        _rpc.AddMethod(WorkerMethods.Abandon, r => Call<SetIdParams, CompletionResult>(r, (p, req, _, ct) => p.AbandonBackupAsync(req.SetId, ct)));
        _rpc.AddMethod(WorkerMethods.VerifySet, r => Call<VerifySetRequest, VerifySetResult>(r, (p, req, progress, ct) => p.VerifySetAsync(req, progress, ct)));
        _rpc.AddMethod(WorkerMethods.Restore, r => Call<RestoreRequest, RestoreResult>(r, (p, req, progress, ct) => p.RestoreAsync(req, progress, ct)));
        _rpc.AddMethod(WorkerMethods.Inspect, r => Call<InspectParams, FileInspection>(r, (p, req, _, ct) => p.InspectFileAsync(req.Path, ct)));
        _rpc.AddMethod(WorkerMethods.Verify, r => Call<VerifyFilesRequest, FileVerificationReport>(r, (p, req, progress, ct) => p.VerifyFilesAsync(req, progress, ct)));
        _rpc.AddMethod(WorkerMethods.SamplesCreate, r => Call<SampleTargetRequest, SampleTarget>(r, (p, req, _, ct) => Samples(p, r).CreateSampleTargetAsync(req, ct)));
        _rpc.AddMethod(WorkerMethods.SamplesAdvance, r => Call<AdvanceSampleParams, SampleTarget>(r, (p, req, _, ct) => Samples(p, r).AdvanceSampleTargetAsync(req.Directory, req.NewGenerations, ct)));
        _rpc.AddMethod(WorkerMethods.Shutdown, ShutdownAsync);
    }

    /// <summary>Serves until <c>shutdown</c> was answered or the host closed the worker's input; then ends the plugin.</summary>
    /// <returns>The process exit code.</returns>
    public async Task<int> RunAsync()
    {
        _rpc.Start();
        var ended = await Task.WhenAny(_rpc.Completion, _shutdownAnswered.Task).ConfigureAwait(false);
        if (ended == _rpc.Completion && Volatile.Read(ref _state) != StateShuttingDown)
        {
            // The host is gone: cancel what runs (a backup's cancellation ends esent's backup with Abort and VSS with
            // AbortBackup, through the plugin's own paths), keep every log, exit.
            _logger.LogWarning("The host closed the worker's input with {Count} request(s) running; cancelling them and exiting.", _rpc.InFlightCount);
            Volatile.Write(ref _state, StateShuttingDown);
            _rpc.CancelInFlight();
        }

        if (!await _rpc.WhenIdleAsync(TimeSpan.FromMinutes(2)).ConfigureAwait(false))
        {
            _logger.LogError("Requests did not finish within two minutes of the end; exiting anyway.");
        }

        await EndPluginAsync().ConfigureAwait(false);
        await _rpc.FlushAndStopWritingAsync().ConfigureAwait(false);
        _logger.LogInformation("Worker {Pid} exits.", Environment.ProcessId);
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await EndPluginAsync().ConfigureAwait(false);
        await _rpc.DisposeAsync().ConfigureAwait(false);
    }

    private async Task EndPluginAsync()
    {
        if (Interlocked.Exchange(ref _plugin, null) is { } plugin)
        {
            // Staged backups the host never completed end as aborted: nothing is truncated.
            await plugin.DisposeAsync().ConfigureAwait(false);
        }
    }

    private RpcException? Gate(RpcRequest request)
    {
        var state = Volatile.Read(ref _state);
        if (request.Method == WorkerMethods.Initialize)
        {
            return Interlocked.CompareExchange(ref _state, StateInitializing, StateNew) == StateNew ? null
                : state == StateShuttingDown ? new RpcException(RpcErrorCodes.ShuttingDown, "The worker is shutting down.")
                : new RpcException(RpcErrorCodes.InvalidRequest, "'initialize' may be called only once.");
        }

        return state switch
        {
            StateReady => null,
            StateShuttingDown => new RpcException(RpcErrorCodes.ShuttingDown, $"The worker is shutting down; '{request.Method}' was not run."),
            _ => new RpcException(RpcErrorCodes.ServerNotInitialized, $"'{request.Method}' before 'initialize': call 'initialize' first and wait for its answer."),
        };
    }

    private async ValueTask<RpcReply> InitializeAsync(RpcRequest request)
    {
        try
        {
            var p = request.GetParams(WireJson.Info<InitializeParams>());
            var hostVersions = new List<Version>();
            foreach (var v in p.ContractVersions)
            {
                if (!Version.TryParse(v, out var parsed) || parsed.Build >= 0)
                {
                    throw new RpcException(RpcErrorCodes.InvalidParams, $"Contract version '{v}' is not 'major.minor'.");
                }

                hostVersions.Add(parsed);
            }

            var negotiated = ContractVersion.Negotiate(ContractVersion.Supported, hostVersions) ?? throw new RpcException(
                RpcErrorCodes.IncompatibleContract,
                $"The host speaks contract {string.Join(", ", p.ContractVersions)}; this worker implements {string.Join(", ", ContractVersion.Supported.Select(v => v.ToString(2)))}.",
                JsonSerializer.Serialize(new InitializeRefusal([.. ContractVersion.Supported.Select(v => v.ToString(2))]), WorkerJsonContext.Default.InitializeRefusal));

            var catalog = p.SnapshotSetCatalog ? new RemoteSnapshotSetCatalog(_rpc) : new RemoteCatalog(_rpc);
            EsePlugin plugin;
            try
            {
                plugin = new EsePlugin(_loggerFactory, ConfigurationJson.ToConfiguration(p.Configuration), catalog);
            }
            catch (InvalidOperationException e)
            {
                throw new RpcException(RpcErrorCodes.InvalidParams, e.Message);
            }

            _plugin = plugin;
            Volatile.Write(ref _state, StateReady);
            _logger.LogInformation("Initialized by {Host} {HostVersion}; contract {Contract}.", p.HostName, p.HostVersion, negotiated.ToString(2));
            var worker = new WorkerProcessInfo(CommandName, EsePlugin.Version, Environment.ProcessId, !RuntimeFeature.IsDynamicCodeSupported, ["samples"]);
            return RpcReply.Of(new InitializeResult(negotiated.ToString(2), plugin.Info with { ContractVersion = negotiated.ToString(2) }, worker), WireJson.Info<InitializeResult>());
        }
        catch
        {
            Interlocked.CompareExchange(ref _state, StateNew, StateInitializing);
            throw;
        }
    }

    private async ValueTask<RpcReply> DiscoverAsync(RpcRequest request)
    {
        var plugin = Plugin;
        var discovery = request.Params is { ValueKind: JsonValueKind.Object } p
            ? request.GetParams(WireJson.Info<DiscoveryRequest>(), json => WireJson.DeserializeWithDefaults(json, new DiscoveryRequest()))
            : new DiscoveryRequest();
        var requestId = RequestId(request);
        var count = 0;
        await foreach (var target in plugin.DiscoverAsync(discovery, request.CancellationToken).ConfigureAwait(false))
        {
            _rpc.Notify(WorkerMethods.DiscoveredTarget, new DiscoveredTargetParams(requestId, target), WireJson.Info<DiscoveredTargetParams>());
            count++;
        }

        return RpcReply.Of(new DiscoverResult(count), WireJson.Info<DiscoverResult>());
    }

    private async ValueTask<RpcReply> Call<TParams, TResult>(RpcRequest request, Func<IBackupPlugin, TParams, IProgress<OperationProgress>, CancellationToken, Task<TResult>> call)
    {
        var plugin = Plugin;
        var p = request.GetParams(WireJson.Info<TParams>(), json => ContractDefaults.TryGetValue(typeof(TParams), out var d) ? WireJson.DeserializeWithDefaults(json, (TParams)d) : json.Deserialize(WireJson.Info<TParams>()));
        var progress = new NotifyingProgress(_rpc, RequestId(request));
        var result = await call(plugin, p, progress, request.CancellationToken).ConfigureAwait(false);
        return RpcReply.Of(result, WireJson.Info<TResult>());
    }

    /// <summary>
    /// Phase one as a tar stream: the worker connects to the endpoint the host listens on and writes the tar there, so
    /// only control messages cross the JSON-RPC pipe. The endpoint is closed before the answer is sent, so a host that
    /// relays until the end of the stream has every byte when the answer arrives.
    /// </summary>
    private async ValueTask<RpcReply> BackupToStreamAsync(RpcRequest request)
    {
        var streaming = Plugin as IStreamingBackupPlugin
            ?? throw new RpcException(RpcErrorCodes.MethodNotFound, $"'{request.Method}': this plugin cannot write a set as a stream.");
        var backup = request.GetParams(WireJson.Info<BackupRequest>(), json => WireJson.DeserializeWithDefaults(json, (BackupRequest)ContractDefaults[typeof(BackupRequest)]));
        var endpoint = request.Params is { } p && p.TryGetProperty("stream", out var s) && s.ValueKind == JsonValueKind.String && s.GetString() is { Length: > 0 } e
            ? e
            : throw new RpcException(RpcErrorCodes.InvalidParams, $"'{request.Method}' needs \"stream\": the socket path or pipe name the host listens on.");
        BackupResult result;
        Stream pipe;
        try
        {
            pipe = await StreamListener.ConnectAsync(endpoint, request.CancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or UnauthorizedAccessException)
        {
            result = BackupResult.Failure(new PluginError(ErrorCodes.DiskIO, $"Cannot connect to the host's stream '{endpoint}': {ex.Message}") { TargetId = backup.TargetId });
            return RpcReply.Of(result, WireJson.Info<BackupResult>());
        }

        await using (pipe.ConfigureAwait(false))
        {
            var progress = new NotifyingProgress(_rpc, RequestId(request));
            result = await streaming.BackupToStreamAsync(backup, pipe, progress, request.CancellationToken).ConfigureAwait(false);
        }

        return RpcReply.Of(result, WireJson.Info<BackupResult>());
    }

    private async ValueTask<RpcReply> ShutdownAsync(RpcRequest request)
    {
        Volatile.Write(ref _state, StateShuttingDown);
        _logger.LogInformation("Shutdown requested; {Count} other request(s) still running.", _rpc.InFlightCount - 1);
        await _rpc.WhenIdleAsync(TimeSpan.FromMinutes(10), except: request.IdJson).ConfigureAwait(false);
        await EndPluginAsync().ConfigureAwait(false);
        _ = Task.Run(async () =>
        {
            // Exit only once the answer went out (it is queued when this handler returns).
            await _rpc.WhenIdleAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            _shutdownAnswered.TrySetResult();
        });
        return RpcReply.Null;
    }

    private IBackupPlugin Plugin => _plugin ?? throw new RpcException(RpcErrorCodes.ShuttingDown, "The plugin has been shut down.");

    private static ISampleTargetProvider Samples(IBackupPlugin plugin, RpcRequest request) => plugin as ISampleTargetProvider
        ?? throw new RpcException(RpcErrorCodes.MethodNotFound, $"'{request.Method}': this plugin writes no samples.");

    private static JsonElement RequestId(RpcRequest request)
    {
        using var doc = JsonDocument.Parse(request.IdJson ?? "null");
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// Sends reports as <c>progress</c> notifications tied to the request, in order, without waiting. Milestones
    /// (begin, complete, fail, and every report that is not a byte count) always go out; byte counts at most every
    /// <see cref="ProgressInterval"/>. The plugin reports every buffer, thousands a minute on a fast disk, and each
    /// notification costs the host a read, a parse and a handler call on the same two cores the copy needs; a person
    /// (or a host's own bar) gains nothing from more than ten a second. A skipped count is never the last word: the
    /// plugin repeats its newest report on a heartbeat and ends with a milestone that carries the final counts.
    /// </summary>
    private sealed class NotifyingProgress(JsonRpcConnection rpc, JsonElement requestId) : IProgress<OperationProgress>
    {
        private static readonly long ProgressInterval = Stopwatch.Frequency / 10;
        private long _lastSent = long.MinValue;

        public void Report(OperationProgress value)
        {
            var now = Stopwatch.GetTimestamp();
            if (value.Phase == ProgressPhase.Progress && now - Interlocked.Read(ref _lastSent) < ProgressInterval)
            {
                return;
            }

            Interlocked.Exchange(ref _lastSent, now);
            rpc.Notify(WorkerMethods.Progress, new ProgressParams(requestId, value), WireJson.Info<ProgressParams>());
        }
    }
}

/// <summary>The <c>data</c> of an <c>initialize</c> refused for its contract versions.</summary>
/// <param name="Supported">The versions this worker implements.</param>
internal sealed record InitializeRefusal(IReadOnlyList<string> Supported);

/// <summary>Metadata of the worker's own JSON (the refusal data, <c>--info</c>).</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(InitializeRefusal))]
internal sealed partial class WorkerJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
