namespace EseBackupPlugin.Worker.Protocol.Rpc;

/// <summary>
/// JSON-RPC error codes the protocol uses. They are for protocol faults only; an operation that fails answers
/// with its result record carrying a <c>PluginError</c>.
/// </summary>
public static class RpcErrorCodes
{
    /// <summary>The body is not JSON (JSON-RPC 2.0).</summary>
    public const int ParseError = -32700;

    /// <summary>The JSON is not a request object, or a batch (JSON-RPC 2.0; batches are not supported).</summary>
    public const int InvalidRequest = -32600;

    /// <summary>No such method (JSON-RPC 2.0).</summary>
    public const int MethodNotFound = -32601;

    /// <summary>Params missing, or not the method's record (JSON-RPC 2.0).</summary>
    public const int InvalidParams = -32602;

    /// <summary>An unexpected fault in the peer (JSON-RPC 2.0).</summary>
    public const int InternalError = -32603;

    /// <summary>A call other than <c>initialize</c> before <c>initialize</c> succeeded (the LSP's code).</summary>
    public const int ServerNotInitialized = -32002;

    /// <summary>The request was cancelled by <c>$/cancelRequest</c> or because the host went away (the LSP's code).</summary>
    public const int RequestCancelled = -32800;

    /// <summary><c>initialize</c> named no contract version whose major the worker implements.</summary>
    public const int IncompatibleContract = -32010;

    /// <summary>A request arrived after <c>shutdown</c>.</summary>
    public const int ShuttingDown = -32011;
}

/// <summary>A JSON-RPC error: thrown by a method handler to answer with it, and thrown to a caller that received one.</summary>
public sealed class RpcException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RpcException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The error message.</param>
    public RpcException(string message)
        : this(RpcErrorCodes.InternalError, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">The error message.</param>
    /// <param name="innerException">The cause.</param>
    public RpcException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = RpcErrorCodes.InternalError;
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="code">One of <see cref="RpcErrorCodes"/>.</param>
    /// <param name="message">The error message.</param>
    /// <param name="dataJson">The error's <c>data</c> member as JSON, if any.</param>
    public RpcException(int code, string message, string? dataJson = null)
        : base(message)
    {
        Code = code;
        DataJson = dataJson;
    }

    /// <summary>The JSON-RPC error code.</summary>
    public int Code { get; }

    /// <summary>The error's <c>data</c> member as JSON text, or <see langword="null"/>.</summary>
    public string? DataJson { get; }
}

/// <summary>The peer went away (its output ended or broke) while a call was waiting for its response.</summary>
public sealed class RpcConnectionClosedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RpcConnectionClosedException()
        : base("The JSON-RPC connection closed.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    public RpcConnectionClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public RpcConnectionClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
