using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Worker.Protocol.Messages;
using EseBackupPlugin.Worker.Protocol.Rpc;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Worker.Protocol.Client;

/// <summary>
/// The plugin running in a worker process, as an <see cref="IBackupPlugin"/>: every call is one JSON-RPC request,
/// progress and discovered targets arrive as notifications, the host's catalog answers the worker's callbacks.
/// Everything above the plugin stays unchanged. A worker that dies under a pending call turns that call into a
/// <see cref="ErrorCodes.WorkerExited"/> result (transient); nothing was truncated.
/// </summary>
public sealed class WorkerPlugin : IBackupPlugin, IStreamingBackupPlugin, ISampleTargetProvider
{
    private readonly Process _process;
    private readonly JsonRpcConnection _rpc;
    private readonly ILogger _logger;
    private readonly WorkerStartInfo _startInfo;
    private readonly ConcurrentDictionary<long, ProgressRelay> _progress = new();
    private readonly ConcurrentDictionary<long, ChannelWriter<BackupTarget>> _discoveries = new();
    private InitializeResult? _init;
    private int _disposed;

    private WorkerPlugin(Process process, JsonRpcConnection rpc, WorkerStartInfo startInfo, ILogger logger)
    {
        _process = process;
        _rpc = rpc;
        _startInfo = startInfo;
        _logger = logger;
    }

    /// <summary>What <c>initialize</c> answered.</summary>
    public InitializeResult Initialization => _init ?? throw new InvalidOperationException("The worker is not initialized.");

    /// <inheritdoc />
    public PluginInfo Info => Initialization.Plugin;

    /// <summary>The worker's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Bytes of JSON-RPC message bodies received from the worker so far (control messages only: sets never travel here).</summary>
    public long ProtocolBytesReceived => _rpc.BytesReceived;

    /// <summary>Bytes of JSON-RPC message bodies sent to the worker so far.</summary>
    public long ProtocolBytesSent => _rpc.BytesSent;

    /// <summary>True once the worker process has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Starts a worker, connects the host's catalog to its callbacks, and initializes it.</summary>
    /// <param name="startInfo">The executable and the <c>initialize</c> params.</param>
    /// <param name="catalog">The host's catalog (also <see cref="ISnapshotSetCatalog"/> when it keeps VSS snapshot sets).</param>
    /// <param name="loggerFactory">The worker's log lines (standard error) go to a logger named <c>EseBackupPlugin.Worker</c>.</param>
    /// <param name="cancellationToken">Stops waiting for <c>initialize</c> (the worker is then killed).</param>
    /// <exception cref="WorkerStartException">The worker could not be started or refused <c>initialize</c>.</exception>
    public static async Task<WorkerPlugin> StartAsync(WorkerStartInfo startInfo, IBackupCatalog catalog, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var psi = new ProcessStartInfo(startInfo.Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = startInfo.WorkingDirectory ?? string.Empty,
        };
        foreach (var a in startInfo.Arguments)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (name, value) in startInfo.Environment)
        {
            if (value is null)
            {
                psi.Environment.Remove(name);
            }
            else
            {
                psi.Environment[name] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new WorkerStartException($"The worker '{startInfo.Executable}' did not start.");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new WorkerStartException($"The worker '{startInfo.Executable}' cannot be started: {e.Message}", e);
        }

        var workerLog = loggerFactory.CreateLogger("EseBackupPlugin.Worker");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                startInfo.StandardErrorLine?.Invoke(line);
                LogWorkerLine(workerLog, line);
            }
        };
        process.BeginErrorReadLine();

        var rpc = new JsonRpcConnection(process.StandardOutput.BaseStream, process.StandardInput.BaseStream, loggerFactory.CreateLogger<JsonRpcConnection>());
        var plugin = new WorkerPlugin(process, rpc, startInfo, loggerFactory.CreateLogger<WorkerPlugin>());
        plugin.AddCallbacks(catalog);
        rpc.Start();
        try
        {
            await plugin.InitializeAsync(catalog is ISnapshotSetCatalog, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await plugin.KillAsync().ConfigureAwait(false);
            throw;
        }

        return plugin;
    }

    private async Task InitializeAsync(bool snapshotSets, CancellationToken ct)
    {
        var p = new InitializeParams(_startInfo.HostName, _startInfo.HostVersion, [.. _startInfo.ContractVersions.Select(v => v.ToString(2))])
        {
            Configuration = _startInfo.Configuration,
            SnapshotSetCatalog = snapshotSets,
        };
        try
        {
            _init = await _rpc.InvokeAsync(WorkerMethods.Initialize, p, WireJson.Info<InitializeParams>(), WireJson.Info<InitializeResult>(), ct).ConfigureAwait(false)
                ?? throw new WorkerStartException("The worker answered 'initialize' with null.");
        }
        catch (RpcException e)
        {
            throw new WorkerStartException($"The worker '{_startInfo.Executable}' refused 'initialize' ({e.Code}): {e.Message}", e);
        }
        catch (RpcConnectionClosedException e)
        {
            throw new WorkerStartException($"The worker '{_startInfo.Executable}' exited during 'initialize' ({await ExitDescriptionAsync().ConfigureAwait(false)}).", e);
        }

        _logger.LogInformation(
            "Worker {Name} {Version} (pid {Pid}, {Build}) speaks contract {Contract}",
            _init.Worker.Name,
            _init.Worker.Version,
            _init.Worker.ProcessId,
            _init.Worker.NativeAot ? "Native AOT" : "JIT",
            _init.ContractVersion);
    }

    private void AddCallbacks(IBackupCatalog catalog)
    {
        _rpc.AddMethod(WorkerMethods.CatalogGetChain, async r =>
        {
            var p = r.GetParams(WireJson.Info<GetChainParams>());
            var chain = await catalog.GetChainAsync(p.TargetId, r.CancellationToken).ConfigureAwait(false);
            return RpcReply.Of(chain.ToList(), WireJson.Info<List<CatalogEntry>>());
        });
        _rpc.AddMethod(WorkerMethods.CatalogGetSet, async r =>
        {
            var entry = await catalog.GetSetAsync(r.GetParams(WireJson.Info<SetIdParams>()).SetId, r.CancellationToken).ConfigureAwait(false);
            return entry is null ? RpcReply.Null : RpcReply.Of(entry, WireJson.Info<CatalogEntry>());
        });
        _rpc.AddMethod(WorkerMethods.CatalogRecordBackup, async r =>
        {
            await catalog.RecordBackupAsync(r.GetParams(WireJson.Info<BackupManifest>()), r.CancellationToken).ConfigureAwait(false);
            return RpcReply.Null;
        });
        _rpc.AddMethod(WorkerMethods.CatalogRecordTruncation, async r =>
        {
            await catalog.RecordTruncationAsync(r.GetParams(WireJson.Info<TruncationReport>()), r.CancellationToken).ConfigureAwait(false);
            return RpcReply.Null;
        });
        if (catalog is ISnapshotSetCatalog snapshots)
        {
            _rpc.AddMethod(WorkerMethods.CatalogGetSnapshotSets, async r =>
            {
                var sets = await snapshots.GetSnapshotSetsAsync(r.CancellationToken).ConfigureAwait(false);
                return RpcReply.Of(sets.ToList(), WireJson.Info<List<SnapshotSetRecord>>());
            });
            _rpc.AddMethod(WorkerMethods.CatalogRecordSnapshotSet, async r =>
            {
                await snapshots.RecordSnapshotSetAsync(r.GetParams(WireJson.Info<SnapshotSetRecord>()), r.CancellationToken).ConfigureAwait(false);
                return RpcReply.Null;
            });
            _rpc.AddMethod(WorkerMethods.CatalogRemoveSnapshotSet, async r =>
            {
                await snapshots.RemoveSnapshotSetAsync(r.GetParams(WireJson.Info<RemoveSnapshotSetParams>()).SnapshotSetId, r.CancellationToken).ConfigureAwait(false);
                return RpcReply.Null;
            });
        }

        _rpc.AddNotification(WorkerMethods.Progress, n =>
        {
            var p = n.GetParams(WireJson.Info<ProgressParams>());
            if (p.RequestId.ValueKind == JsonValueKind.Number && p.RequestId.TryGetInt64(out var id) && _progress.TryGetValue(id, out var relay))
            {
                relay.Post(p.Progress);
            }
        });
        _rpc.AddNotification(WorkerMethods.DiscoveredTarget, n =>
        {
            var p = n.GetParams(WireJson.Info<DiscoveredTargetParams>());
            if (p.RequestId.ValueKind == JsonValueKind.Number && p.RequestId.TryGetInt64(out var id) && _discoveries.TryGetValue(id, out var channel))
            {
                channel.TryWrite(p.Target);
            }
        });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupTarget> DiscoverAsync(DiscoveryRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var channel = Channel.CreateUnbounded<BackupTarget>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        long id = 0;
        var call = Task.Run(
            async () =>
            {
                try
                {
                    await _rpc.InvokeAsync(WorkerMethods.Discover, request, WireJson.Info<DiscoveryRequest>(), WireJson.Info<DiscoverResult>(), i =>
                    {
                        id = i;
                        _discoveries[i] = channel.Writer;
                    }, cancellationToken).ConfigureAwait(false);
                    channel.Writer.TryComplete();
                }
                catch (RpcConnectionClosedException e)
                {
                    channel.Writer.TryComplete(new PluginException(await WorkerExitedAsync(WorkerMethods.Discover).ConfigureAwait(false), e));
                }
                catch (RpcException e)
                {
                    channel.Writer.TryComplete(MapProtocolFault(WorkerMethods.Discover, e));
                }
                catch (OperationCanceledException e)
                {
                    channel.Writer.TryComplete(e);
                }
                finally
                {
                    _discoveries.TryRemove(id, out _);
                }
            },
            CancellationToken.None);

        await foreach (var target in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
        {
            yield return target;
        }

        await call.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<BackupResult> BackupAsync(BackupRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallAsync(WorkerMethods.Backup, request, progress, e => BackupResult.Failure(e with { TargetId = request.TargetId }), cancellationToken);
    }

    /// <summary>
    /// Phase one as a tar stream, out of process: this host listens on a private local endpoint (a Unix domain socket, or a
    /// named pipe on Windows), the worker connects and writes the tar there, and the bytes are relayed to
    /// <paramref name="destination"/> as they come. Only control messages cross the JSON-RPC pipe. A destination that
    /// breaks (a closed pipe) closes the endpoint, so the worker's backup fails like an in-process one whose stream broke;
    /// a set the worker finished before the break is abandoned (every log kept), never left pending.
    /// </summary>
    /// <inheritdoc />
    public async Task<BackupResult> BackupToStreamAsync(BackupRequest request, Stream destination, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(destination);
        var listener = StreamListener.Create();
        await using (listener.ConfigureAwait(false))
        {
            using var stopRelay = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var relay = RelayAsync(listener, destination, stopRelay.Token);
            var parameters = JsonSerializer.SerializeToNode(request, WireJson.Info<BackupRequest>())!.AsObject();
            parameters["stream"] = listener.Endpoint;
            var call = CallAsync(WorkerMethods.BackupToStream, parameters, progress, e => BackupResult.Failure(e with { TargetId = request.TargetId }), cancellationToken);
            if (await Task.WhenAny(call, relay).ConfigureAwait(false) == relay)
            {
                // The relay stopped before the worker answered (the destination broke, the host cancelled, or the worker
                // closed the stream): close the endpoint, so that a worker still writing gets a broken pipe at once
                // instead of blocking on a full socket buffer nobody drains.
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            var result = await call.ConfigureAwait(false);
            if (!result.Succeeded)
            {
                // The worker closes the stream before it answers, so a connected relay ends by itself; one that never
                // connected (the worker failed before it could) must not wait for ever.
                stopRelay.CancelAfter(TimeSpan.FromSeconds(5));
            }

            var relayed = await relay.ConfigureAwait(false);
            if (relayed.ReachedEnd || !result.Succeeded)
            {
                return result;
            }

            // The worker wrote everything, but not all of it reached the destination (it broke, or the host cancelled
            // while the tail was still being relayed): the consumer holds no whole set, so there is none to complete.
            var abandoned = await AbandonBackupAsync(result.Manifest?.SetId ?? request.SetId ?? string.Empty, CancellationToken.None).ConfigureAwait(false);
            var kept = abandoned.Error is null ? "The set was abandoned; every log was kept." : $"Abandoning the set failed too ({abandoned.Error.Message}); nothing was truncated, and the set stays pending until its lease ends.";
            var error = relayed.Failure is null
                ? new PluginError(ErrorCodes.Cancelled, $"The tar stream was cancelled before all of it was relayed. {kept}")
                : new PluginError(ErrorCodes.DiskIO, $"Writing the tar stream failed: {relayed.Failure.Message}. {kept}");
            return BackupResult.Failure(error with { TargetId = request.TargetId });
        }
    }

    /// <summary>How a relay ended: at the worker's end of stream, or early (with the destination's failure, if that was why).</summary>
    private readonly record struct RelayOutcome(bool ReachedEnd, Exception? Failure);

    /// <summary>Copies what the worker writes to the destination, until the worker's end of stream or an early stop.</summary>
    private static async Task<RelayOutcome> RelayAsync(StreamListener listener, Stream destination, CancellationToken ct)
    {
        Stream source;
        try
        {
            source = await listener.AcceptAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
        {
            return new(ReachedEnd: false, Failure: null);
        }

        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            while (true)
            {
                int read;
                try
                {
                    read = await source.ReadAsync(buffer, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or IOException)
                {
                    return new(ReachedEnd: false, Failure: null);
                }

                if (read == 0)
                {
                    return new(ReachedEnd: true, Failure: null);
                }

                try
                {
                    await destination.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    await destination.FlushAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return new(ReachedEnd: false, Failure: null);
                }
                catch (Exception e)
                {
                    // Any failure of the host's destination (a closed pipe, a disposed stream) ends the relay as broken.
                    return new(ReachedEnd: false, Failure: e);
                }
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <inheritdoc />
    public Task<CompletionResult> CompleteBackupAsync(CompletionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return CallAsync(WorkerMethods.Complete, request, null, e => new CompletionResult { Error = e with { TargetId = request.Manifest.Target.Id } }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<CompletionResult> AbandonBackupAsync(string setId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(setId);
        return CallAsync(WorkerMethods.Abandon, new SetIdParams(setId), null, e => new CompletionResult { Error = e }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<VerifySetResult> VerifySetAsync(VerifySetRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => CallAsync(WorkerMethods.VerifySet, request, progress, e => new VerifySetResult { Error = e }, cancellationToken);

    /// <inheritdoc />
    public Task<RestoreResult> RestoreAsync(RestoreRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => CallAsync(WorkerMethods.Restore, request, progress, e => new RestoreResult { Error = e }, cancellationToken);

    /// <inheritdoc />
    public Task<FileInspection> InspectFileAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        return CallAsync(WorkerMethods.Inspect, new InspectParams(path), null, e => new FileInspection(path, "unknown", []) { Error = e }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<FileVerificationReport> VerifyFilesAsync(VerifyFilesRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
        => CallAsync(WorkerMethods.Verify, request, progress, e => new FileVerificationReport { Errors = [e] }, cancellationToken);

    /// <inheritdoc />
    public Task<SampleTarget> CreateSampleTargetAsync(SampleTargetRequest request, CancellationToken cancellationToken = default)
        => CallOrThrowAsync<SampleTargetRequest, SampleTarget>(WorkerMethods.SamplesCreate, request, cancellationToken);

    /// <inheritdoc />
    public Task<SampleTarget> AdvanceSampleTargetAsync(string directory, int newGenerations, CancellationToken cancellationToken = default)
        => CallOrThrowAsync<AdvanceSampleParams, SampleTarget>(WorkerMethods.SamplesAdvance, new AdvanceSampleParams(directory, newGenerations), cancellationToken);

    /// <summary>
    /// Asks the worker to shut down (it finishes running requests and ends staged backups the host never completed,
    /// as aborted: nothing is truncated), closes its input and waits for it to exit; kills it when it does not.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_process.HasExited)
        {
            try
            {
                using var timeout = new CancellationTokenSource(_startInfo.ShutdownTimeout);
                await _rpc.InvokeRawAsync(WorkerMethods.Shutdown, new Empty(), WireJson.Info<Empty>(), CancellationToken.None).WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RpcException or RpcConnectionClosedException or OperationCanceledException or TimeoutException)
            {
                _logger.LogWarning("The worker (pid {Pid}) did not shut down cleanly: {Message}", _process.Id, e.Message);
            }
        }

        _logger.LogInformation("Worker pid {Pid}: {Received} bytes of protocol messages received, {Sent} sent.", _process.Id, _rpc.BytesReceived, _rpc.BytesSent);
        await _rpc.FlushAndStopWritingAsync().ConfigureAwait(false);
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        using (var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
        {
            try
            {
                await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _logger.LogWarning("The worker (pid {Pid}) did not exit; killing it.", _process.Id);
                await KillAsync().ConfigureAwait(false);
            }
        }

        await _rpc.DisposeAsync().ConfigureAwait(false);
        _process.Dispose();
    }

    /// <summary>Closes the worker's input as a host that went away would (tests of the worker's host-gone rule).</summary>
    internal void CloseInput() => _process.StandardInput.Close();

    /// <summary>Kills the worker at once (SIGKILL on Linux), as a crash would.</summary>
    internal void KillNow() => _process.Kill();

    /// <summary>Waits for the worker to exit; returns its exit code.</summary>
    internal async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    private async Task KillAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private async Task<TResult> CallAsync<TParams, TResult>(string method, TParams parameters, IProgress<OperationProgress>? progress, Func<PluginError, TResult> failure, CancellationToken ct)
        where TResult : class
    {
        long id = 0;
        var relay = progress is null ? null : new ProgressRelay(progress, _logger);
        try
        {
            var result = await _rpc.InvokeAsync(method, parameters, WireJson.Info<TParams>(), WireJson.Info<TResult>(), i =>
            {
                id = i;
                if (relay is not null)
                {
                    _progress[i] = relay;
                }
            }, ct).ConfigureAwait(false) ?? throw new WorkerProtocolException($"The worker answered '{method}' with null.");
            return result;
        }
        catch (RpcConnectionClosedException)
        {
            return failure(await WorkerExitedAsync(method).ConfigureAwait(false));
        }
        catch (RpcException e)
        {
            throw MapProtocolFault(method, e);
        }
        finally
        {
            _progress.TryRemove(id, out _);

            // On every way out (an answer, a failure, a cancellation, a worker that died): the reports received so far reach
            // the handler before the call returns or throws, as in process, and none runs after it.
            if (relay is not null)
            {
                await relay.DrainAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<TResult> CallOrThrowAsync<TParams, TResult>(string method, TParams parameters, CancellationToken ct)
        where TResult : class
    {
        try
        {
            return await _rpc.InvokeAsync(method, parameters, WireJson.Info<TParams>(), WireJson.Info<TResult>(), ct).ConfigureAwait(false)
                ?? throw new WorkerProtocolException($"The worker answered '{method}' with null.");
        }
        catch (RpcConnectionClosedException e)
        {
            throw new PluginException(await WorkerExitedAsync(method).ConfigureAwait(false), e);
        }
        catch (RpcException e)
        {
            throw MapProtocolFault(method, e);
        }
    }

    private static Exception MapProtocolFault(string method, RpcException e) => e.Code switch
    {
        // The contract throws ArgumentException for caller bugs; the worker sends those as invalid params.
        RpcErrorCodes.InvalidParams => new ArgumentException($"The worker refused '{method}': {e.Message}", e),
        _ => new WorkerProtocolException($"The worker answered '{method}' with JSON-RPC error {e.Code}: {e.Message}", e),
    };

    private async Task<PluginError> WorkerExitedAsync(string method)
    {
        var how = await ExitDescriptionAsync().ConfigureAwait(false);
        return new PluginError(
            ErrorCodes.WorkerExited,
            $"The worker process {_process.Id} exited ({how}) while '{method}' was running. Nothing was truncated; the next worker removes any partial set. Retry with a new worker.")
        {
            Details = new Dictionary<string, string> { ["method"] = method, ["processId"] = _process.Id.ToString(CultureInfo.InvariantCulture) },
        };
    }

    private async Task<string> ExitDescriptionAsync()
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
            var code = _process.ExitCode;
            return code > 128 && !OperatingSystem.IsWindows()
                ? string.Create(CultureInfo.InvariantCulture, $"killed by signal {code - 128}")
                : string.Create(CultureInfo.InvariantCulture, $"exit code {code}");
        }
        catch (OperationCanceledException)
        {
            return "its output closed, but it has not exited";
        }
    }

    private static void LogWorkerLine(ILogger logger, string line)
    {
        // The worker writes "level: category: message"; keep its level.
        var colon = line.IndexOf(':', StringComparison.Ordinal);
        var level = colon > 0 ? line[..colon] switch
        {
            "trce" => LogLevel.Trace,
            "dbug" => LogLevel.Debug,
            "info" => LogLevel.Information,
            "warn" => LogLevel.Warning,
            "fail" => LogLevel.Error,
            "crit" => LogLevel.Critical,
            _ => LogLevel.Information,
        } : LogLevel.Information;
#pragma warning disable CA1848, CA2254 // A foreign process's preformatted line.
        logger.Log(level, "{WorkerLine}", line);
#pragma warning restore CA1848, CA2254
    }
}

/// <summary>A worker could not be started or initialized.</summary>
public sealed class WorkerStartException : Exception
{
    /// <summary>Creates the exception.</summary>
    public WorkerStartException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public WorkerStartException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public WorkerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>The worker broke the protocol (a JSON-RPC error where the contract expects a result).</summary>
public sealed class WorkerProtocolException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public WorkerProtocolException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public WorkerProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public WorkerProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
