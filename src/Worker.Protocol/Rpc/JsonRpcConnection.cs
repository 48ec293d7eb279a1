using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Worker.Protocol.Rpc;

/// <summary>An incoming request or notification, as a handler sees it.</summary>
public sealed class RpcRequest
{
    internal RpcRequest(string method, JsonElement? parameters, string? idJson, CancellationToken cancellationToken)
    {
        Method = method;
        Params = parameters;
        IdJson = idJson;
        CancellationToken = cancellationToken;
    }

    /// <summary>The method name.</summary>
    public string Method { get; }

    /// <summary>The <c>params</c> member, or <see langword="null"/> when absent.</summary>
    public JsonElement? Params { get; }

    /// <summary>The request id as JSON text (a number or a string); <see langword="null"/> for a notification.</summary>
    public string? IdJson { get; }

    /// <summary>Cancelled by <c>$/cancelRequest</c> for this id, or when the connection closes.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The params as the method's record.</summary>
    /// <param name="typeInfo">The record's metadata.</param>
    /// <param name="deserialize">How to read it, when not plainly with <paramref name="typeInfo"/>.</param>
    /// <exception cref="RpcException"><see cref="RpcErrorCodes.InvalidParams"/> when they are missing or do not fit.</exception>
    public T GetParams<T>(JsonTypeInfo<T> typeInfo, Func<JsonElement, T?>? deserialize = null)
    {
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (Params is not { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } p)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"'{Method}' needs params ({typeof(T).Name}).");
        }

        try
        {
            return (deserialize is null ? p.Deserialize(typeInfo) : deserialize(p)) ?? throw new RpcException(RpcErrorCodes.InvalidParams, $"'{Method}' needs params ({typeof(T).Name}).");
        }
        catch (JsonException e)
        {
            throw new RpcException(RpcErrorCodes.InvalidParams, $"Invalid params for '{Method}' ({typeof(T).Name}): {e.Message}");
        }
    }
}

/// <summary>A handler's answer: the <c>result</c> member as serialized JSON.</summary>
public readonly struct RpcReply : IEquatable<RpcReply>
{
    private RpcReply(byte[] json)
    {
        Json = json;
    }

    /// <summary><c>"result": null</c>.</summary>
    public static RpcReply Null { get; } = new("null"u8.ToArray());

    /// <summary>The result JSON.</summary>
    public byte[] Json { get; }

    /// <summary>A result record, serialized with the wire options.</summary>
    public static RpcReply Of<T>(T value, JsonTypeInfo<T> typeInfo) => new(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));

    /// <inheritdoc />
    public bool Equals(RpcReply other) => ReferenceEquals(Json, other.Json);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is RpcReply r && Equals(r);

    /// <inheritdoc />
    public override int GetHashCode() => Json?.GetHashCode() ?? 0;

    /// <summary>Reference equality of the serialized result.</summary>
    public static bool operator ==(RpcReply left, RpcReply right) => left.Equals(right);

    /// <summary>Reference inequality of the serialized result.</summary>
    public static bool operator !=(RpcReply left, RpcReply right) => !left.Equals(right);
}

/// <summary>Handles one request.</summary>
public delegate ValueTask<RpcReply> RpcMethodHandler(RpcRequest request);

/// <summary>
/// One JSON-RPC 2.0 peer over a pair of streams with Content-Length framing. Both sides can call: the host calls
/// the worker's methods, the worker calls the host's catalog. Incoming requests run concurrently, each on its own
/// task; everything sent goes through one ordered queue, so a request's notifications always precede its response.
/// </summary>
/// <remarks>
/// We wrote this instead of using StreamJsonRpc: its System.Text.Json formatter is marked RequiresDynamicCode and
/// RequiresUnreferencedCode, so a Native AOT worker built with trim/AOT warnings as errors cannot use it
/// (docs/protocol.md).
/// </remarks>
public sealed class JsonRpcConnection : IAsyncDisposable
{
    /// <summary>The notification that cancels a request (the LSP's name).</summary>
    public const string CancelRequestMethod = "$/cancelRequest";

    private readonly FramedMessageReader _reader;
    private readonly Stream _output;
    private readonly ILogger _logger;
    private readonly Dictionary<string, RpcMethodHandler> _methods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Action<RpcRequest>> _notifications = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly ConcurrentDictionary<string, InFlight> _inFlight = new(StringComparer.Ordinal);
    private readonly Channel<byte[]> _outgoing = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closed = new();
    private long _nextId;
    private long _bytesReceived;
    private long _bytesSent;
    private Task? _readLoop;
    private Task? _writeLoop;
    private string _closeReason = "the connection closed";

    /// <summary>Creates the peer; call <see cref="Start"/> after adding the methods.</summary>
    /// <param name="input">Where messages arrive.</param>
    /// <param name="output">Where messages go.</param>
    /// <param name="logger">Protocol faults and handler failures.</param>
    public JsonRpcConnection(Stream input, Stream output, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(logger);
        _reader = new FramedMessageReader(input);
        _output = output;
        _logger = logger;
        _notifications[CancelRequestMethod] = OnCancelRequest;
    }

    /// <summary>Checks each incoming request before dispatch; a returned exception is sent as the error instead.</summary>
    public Func<RpcRequest, RpcException?>? RequestFilter { get; set; }

    /// <summary>Cancelled when the input ends or the output breaks: the peer is gone.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Completes when the input has ended and the connection closed.</summary>
    public Task Completion => _readLoop ?? Task.CompletedTask;

    /// <summary>Bytes of message bodies read so far (the framing headers aside).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytesReceived);

    /// <summary>Bytes of message bodies written so far (the framing headers aside).</summary>
    public long BytesSent => Interlocked.Read(ref _bytesSent);

    /// <summary>Requests being handled now.</summary>
    public int InFlightCount => _inFlight.Count;

    /// <summary>Adds a method (before <see cref="Start"/>).</summary>
    public void AddMethod(string name, RpcMethodHandler handler) => _methods.Add(name, handler);

    /// <summary>Adds a notification handler (before <see cref="Start"/>); it runs on the read loop and must be quick.</summary>
    public void AddNotification(string name, Action<RpcRequest> handler) => _notifications.Add(name, handler);

    /// <summary>Starts reading and writing.</summary>
    public void Start()
    {
        _writeLoop = Task.Run(WriteLoopAsync);
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Waits until no incoming request is being handled.</summary>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="except">A request not to wait for (the caller's own).</param>
    /// <returns>True when idle.</returns>
    public async Task<bool> WhenIdleAsync(TimeSpan timeout, string? except = null)
    {
        var tasks = _inFlight.Where(f => f.Key != except).Select(f => f.Value.Task).ToArray();
        if (tasks.Length == 0)
        {
            return true;
        }

        var all = Task.WhenAll(tasks);
        return await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false) == all;
    }

    /// <summary>Cancels every request being handled (the host went away, or the worker shuts down).</summary>
    public void CancelInFlight()
    {
        foreach (var f in _inFlight.Values)
        {
            f.Cancel();
        }
    }

    /// <summary>Calls a method on the peer and deserializes its result.</summary>
    /// <param name="method">Method name.</param>
    /// <param name="parameters">The params record.</param>
    /// <param name="paramsInfo">Its JSON metadata.</param>
    /// <param name="resultInfo">The result's JSON metadata.</param>
    /// <param name="cancellationToken">Sends <c>$/cancelRequest</c>; the call then ends when the peer answers.</param>
    /// <exception cref="RpcException">The peer answered with an error.</exception>
    /// <exception cref="OperationCanceledException">The peer answered that the request was cancelled.</exception>
    /// <exception cref="RpcConnectionClosedException">The peer went away first.</exception>
    public Task<TResult?> InvokeAsync<TParams, TResult>(
        string method,
        TParams parameters,
        JsonTypeInfo<TParams> paramsInfo,
        JsonTypeInfo<TResult> resultInfo,
        CancellationToken cancellationToken = default)
        => InvokeAsync(method, parameters, paramsInfo, resultInfo, onId: null, cancellationToken);

    /// <summary>Calls a method on the peer and deserializes its result, telling <paramref name="onId"/> the request id first.</summary>
    /// <param name="method">Method name.</param>
    /// <param name="parameters">The params record.</param>
    /// <param name="paramsInfo">Its JSON metadata.</param>
    /// <param name="resultInfo">The result's JSON metadata.</param>
    /// <param name="onId">Called with the request id before the request is sent (to route its notifications).</param>
    /// <param name="cancellationToken">Sends <c>$/cancelRequest</c>; the call then ends when the peer answers.</param>
    /// <exception cref="RpcException">The peer answered with an error.</exception>
    /// <exception cref="OperationCanceledException">The peer answered that the request was cancelled.</exception>
    /// <exception cref="RpcConnectionClosedException">The peer went away first.</exception>
    public async Task<TResult?> InvokeAsync<TParams, TResult>(
        string method,
        TParams parameters,
        JsonTypeInfo<TParams> paramsInfo,
        JsonTypeInfo<TResult> resultInfo,
        Action<long>? onId,
        CancellationToken cancellationToken)
    {
        var element = await InvokeRawAsync(method, parameters, paramsInfo, onId, cancellationToken).ConfigureAwait(false);
        return element.ValueKind == JsonValueKind.Null ? default : element.Deserialize(resultInfo);
    }

    /// <summary>Calls a method on the peer and returns its raw result.</summary>
    public Task<JsonElement> InvokeRawAsync<TParams>(string method, TParams parameters, JsonTypeInfo<TParams> paramsInfo, CancellationToken cancellationToken = default)
        => InvokeRawAsync(method, parameters, paramsInfo, onId: null, cancellationToken);

    /// <summary>Calls a method on the peer and returns its raw result, telling <paramref name="onId"/> the request id first.</summary>
    public async Task<JsonElement> InvokeRawAsync<TParams>(string method, TParams parameters, JsonTypeInfo<TParams> paramsInfo, Action<long>? onId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(paramsInfo);
        cancellationToken.ThrowIfCancellationRequested();
        var id = Interlocked.Increment(ref _nextId);
        var completion = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = completion;
        onId?.Invoke(id);
        var paramsJson = JsonSerializer.SerializeToUtf8Bytes(parameters, paramsInfo);
        if (_closed.IsCancellationRequested)
        {
            _pending.TryRemove(id, out _);
            throw new RpcConnectionClosedException($"Cannot call '{method}': {_closeReason}.");
        }

        Enqueue(Envelope(w =>
        {
            w.WriteNumber("id", id);
            w.WriteString("method", method);
            w.WritePropertyName("params");
            w.WriteRawValue(paramsJson, skipInputValidation: true);
        }));

        await using var registration = cancellationToken.Register(() => Notify(CancelRequestMethod, new CancelParamsWire(id))).ConfigureAwait(false);
        try
        {
            return await completion.Task.ConfigureAwait(false);
        }
        catch (RpcException e) when (e.Code == RpcErrorCodes.RequestCancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"'{method}' was cancelled.", e, cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Sends a notification (no response).</summary>
    public void Notify<T>(string method, T parameters, JsonTypeInfo<T> typeInfo)
    {
        var paramsJson = JsonSerializer.SerializeToUtf8Bytes(parameters, typeInfo);
        Enqueue(Envelope(w =>
        {
            w.WriteString("method", method);
            w.WritePropertyName("params");
            w.WriteRawValue(paramsJson, skipInputValidation: true);
        }));
    }

    private void Notify(string method, CancelParamsWire cancel)
    {
        Enqueue(Envelope(w =>
        {
            w.WriteString("method", method);
            w.WriteStartObject("params");
            w.WriteNumber("id", cancel.Id);
            w.WriteEndObject();
        }));
    }

    /// <summary>Stops writing and reading; pending calls fail.</summary>
    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        if (_writeLoop is not null)
        {
            await _writeLoop.ConfigureAwait(false);
        }

        Close("the connection was disposed");
        _closed.Dispose();
    }

    /// <summary>Stops sending after what is queued (the output is then closed by its owner).</summary>
    public Task FlushAndStopWritingAsync()
    {
        _outgoing.Writer.TryComplete();
        return _writeLoop ?? Task.CompletedTask;
    }

    private void Enqueue(byte[] message)
    {
        if (!_outgoing.Writer.TryWrite(message))
        {
            _logger.LogDebug("Dropped a message: the connection no longer sends.");
        }
    }

    private static byte[] Envelope(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("jsonrpc", "2.0");
            body(w);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteId(Utf8JsonWriter w, string? idJson)
    {
        w.WritePropertyName("id");
        if (idJson is null)
        {
            w.WriteNullValue();
        }
        else
        {
            w.WriteRawValue(idJson, skipInputValidation: true);
        }
    }

    private void SendError(string? idJson, int code, string message, string? dataJson = null)
    {
        Enqueue(Envelope(w =>
        {
            WriteId(w, idJson);
            w.WriteStartObject("error");
            w.WriteNumber("code", code);
            w.WriteString("message", message);
            if (dataJson is not null)
            {
                w.WritePropertyName("data");
                w.WriteRawValue(dataJson, skipInputValidation: true);
            }

            w.WriteEndObject();
        }));
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var message in _outgoing.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                await FramedMessageWriter.WriteAsync(_output, message).ConfigureAwait(false);
                Interlocked.Add(ref _bytesSent, message.Length);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The peer closed its input (a host that went away, a worker that died): nothing can be sent any more.
            _logger.LogInformation("The JSON-RPC output closed: {Message}", e.Message);
            _outgoing.Writer.TryComplete();
            Close("the peer stopped reading (" + e.Message + ")");
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var body = await _reader.ReadAsync().ConfigureAwait(false);
                if (body is null)
                {
                    Close("the peer closed the connection");
                    return;
                }

                Interlocked.Add(ref _bytesReceived, body.Length);
                Dispatch(body);
            }
        }
        catch (RpcFramingException e)
        {
            _logger.LogError("JSON-RPC framing error, closing the connection: {Message}", e.Message);
            Close("framing error: " + e.Message);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            Close("the input broke (" + e.Message + ")");
        }
    }

    private void Close(string reason)
    {
        lock (_pending)
        {
            if (_closed.IsCancellationRequested)
            {
                return;
            }

            _closeReason = reason;
            _closed.Cancel();
        }

        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(new RpcConnectionClosedException($"No response: {reason}."));
        }

        CancelInFlight();
    }

    private void Dispatch(byte[] body)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            SendError(null, RpcErrorCodes.ParseError, "Parse error: " + e.Message);
            return;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                SendError(null, RpcErrorCodes.InvalidRequest, root.ValueKind == JsonValueKind.Array ? "Batches are not supported." : "A message must be a JSON object.");
                return;
            }

            string? idJson = null;
            if (root.TryGetProperty("id", out var id))
            {
                if (id.ValueKind is not (JsonValueKind.Number or JsonValueKind.String or JsonValueKind.Null))
                {
                    SendError(null, RpcErrorCodes.InvalidRequest, "An id must be a number or a string.");
                    return;
                }

                idJson = id.ValueKind == JsonValueKind.Null ? null : id.GetRawText();
            }

            if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
            {
                SendError(idJson, RpcErrorCodes.InvalidRequest, "Every message must carry \"jsonrpc\": \"2.0\".");
                return;
            }

            if (root.TryGetProperty("method", out var method))
            {
                if (method.ValueKind != JsonValueKind.String)
                {
                    SendError(idJson, RpcErrorCodes.InvalidRequest, "\"method\" must be a string.");
                    return;
                }

                JsonElement? parameters = root.TryGetProperty("params", out var p) ? p.Clone() : null;
                if (id.ValueKind == JsonValueKind.Undefined)
                {
                    OnNotification(new RpcRequest(method.GetString()!, parameters, null, CancellationToken.None));
                }
                else
                {
                    OnRequest(method.GetString()!, parameters, idJson);
                }

                return;
            }

            OnResponse(root, id);
        }
    }

    private void OnNotification(RpcRequest notification)
    {
        if (_notifications.TryGetValue(notification.Method, out var handler))
        {
            try
            {
                handler(notification);
            }
#pragma warning disable CA1031 // A broken notification must not stop the read loop.
            catch (Exception e)
#pragma warning restore CA1031
            {
                _logger.LogWarning(e, "Notification '{Method}' failed.", notification.Method);
            }
        }
        else
        {
            _logger.LogDebug("Ignored notification '{Method}'.", notification.Method);
        }
    }

    private void OnResponse(JsonElement root, JsonElement id)
    {
        if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt64(out var key) || !_pending.TryRemove(key, out var pending))
        {
            _logger.LogWarning("A response with id {Id} matches no call; ignored.", id.ValueKind == JsonValueKind.Undefined ? "(none)" : id.GetRawText());
            return;
        }

        if (root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
        {
            var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : RpcErrorCodes.InternalError;
            var message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "(no message)";
            var data = error.TryGetProperty("data", out var d) ? d.GetRawText() : null;
            pending.TrySetException(new RpcException(code, message, data));
            return;
        }

        pending.TrySetResult(root.TryGetProperty("result", out var result) ? result.Clone() : default);
    }

    private void OnRequest(string method, JsonElement? parameters, string? idJson)
    {
        if (idJson is null)
        {
            SendError(null, RpcErrorCodes.InvalidRequest, "A request's id must not be null.");
            return;
        }

        var flight = new InFlight(_closed.Token);
        if (!_inFlight.TryAdd(idJson, flight))
        {
            SendError(idJson, RpcErrorCodes.InvalidRequest, $"Request id {idJson} is already in use by a running request.");
            return;
        }

        var request = new RpcRequest(method, parameters, idJson, flight.Token);
        flight.Task = Task.Run(() => HandleAsync(request, flight));
    }

    private async Task HandleAsync(RpcRequest request, InFlight flight)
    {
        try
        {
            if (RequestFilter?.Invoke(request) is { } refused)
            {
                throw refused;
            }

            if (!_methods.TryGetValue(request.Method, out var handler))
            {
                throw new RpcException(RpcErrorCodes.MethodNotFound, $"Method '{request.Method}' not found.");
            }

            var reply = await handler(request).ConfigureAwait(false);
            Enqueue(Envelope(w =>
            {
                WriteId(w, request.IdJson);
                w.WritePropertyName("result");
                w.WriteRawValue(reply.Json, skipInputValidation: true);
            }));
        }
        catch (RpcException e)
        {
            SendError(request.IdJson, e.Code, e.Message, e.DataJson);
        }
        catch (OperationCanceledException)
        {
            SendError(request.IdJson, RpcErrorCodes.RequestCancelled, $"'{request.Method}' was cancelled.");
        }
        catch (ArgumentException e)
        {
            // The contract throws ArgumentException for caller bugs: over the wire those are bad params.
            SendError(request.IdJson, RpcErrorCodes.InvalidParams, e.Message);
        }
#pragma warning disable CA1031 // Every other fault is answered as an internal error; the worker keeps serving.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _logger.LogError(e, "'{Method}' failed unexpectedly.", request.Method);
            SendError(request.IdJson, RpcErrorCodes.InternalError, $"'{request.Method}' failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            _inFlight.TryRemove(request.IdJson!, out _);
            flight.Dispose();
        }
    }

    private void OnCancelRequest(RpcRequest notification)
    {
        if (notification.Params is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty("id", out var id)
            && _inFlight.TryGetValue(id.GetRawText(), out var flight))
        {
            flight.Cancel();
        }
    }

    private readonly record struct CancelParamsWire(long Id);

    private sealed class InFlight(CancellationToken closed) : IDisposable
    {
        private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(closed);
        private int _disposed;

        public CancellationToken Token => _cts.Token;

        public Task Task { get; set; } = Task.CompletedTask;

        public void Cancel()
        {
            try
            {
                if (Volatile.Read(ref _disposed) == 0)
                {
                    _cts.Cancel();
                }
            }
            catch (ObjectDisposedException)
            {
                // Finished meanwhile: nothing to cancel.
            }
        }

        public void Dispose()
        {
            Interlocked.Exchange(ref _disposed, 1);
            _cts.Dispose();
        }
    }
}
