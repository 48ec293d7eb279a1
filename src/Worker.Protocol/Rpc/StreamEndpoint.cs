using System.IO.Pipes;

namespace EseBackupPlugin.Worker.Protocol.Rpc;

/// <summary>
/// The side channel of <c>backupToStream</c>: the host listens on a local stream endpoint of its own and the worker
/// connects and writes the tar there, so a set's bytes never travel inside JSON-RPC messages. The endpoint is a Unix
/// domain socket in a directory only the host's user can enter (Linux, macOS) or a named pipe (Windows); both are
/// restricted to the current user. The .NET pipe classes map to both, so one code path serves every OS.
/// </summary>
public sealed class StreamListener : IAsyncDisposable
{
    private readonly NamedPipeServerStream _server;
    private readonly string? _directory;

    private StreamListener(NamedPipeServerStream server, string endpoint, string? directory)
    {
        _server = server;
        Endpoint = endpoint;
        _directory = directory;
    }

    /// <summary>What the worker is told to connect to: a socket path, or a pipe name on Windows.</summary>
    public string Endpoint { get; }

    /// <summary>Starts listening on a new private endpoint.</summary>
    public static StreamListener Create()
    {
        string endpoint;
        string? directory = null;
        if (OperatingSystem.IsWindows())
        {
            endpoint = "esebackup-stream-" + Guid.NewGuid().ToString("N");
        }
        else
        {
            // CreateTempSubdirectory makes the directory with mode 0700: no other user can reach the socket in it.
            directory = Directory.CreateTempSubdirectory("esebackup-stream-").FullName;
            endpoint = Path.Combine(directory, "set.sock");
        }

        try
        {
            var server = new NamedPipeServerStream(endpoint, PipeDirection.In, 1, PipeTransmissionMode.Byte, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
            return new StreamListener(server, endpoint, directory);
        }
        catch
        {
            DeleteDirectory(directory);
            throw;
        }
    }

    /// <summary>Waits for the worker to connect; then the stream carries the tar until the worker closes it.</summary>
    public async Task<Stream> AcceptAsync(CancellationToken cancellationToken)
    {
        await _server.WaitForConnectionAsync(cancellationToken).ConfigureAwait(false);
        return _server;
    }

    /// <summary>Closes the endpoint (a worker still writing then gets a broken pipe) and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        DeleteDirectory(_directory);
    }

    /// <summary>Connects to a host's endpoint for writing (the worker's side).</summary>
    /// <param name="endpoint">The socket path or pipe name the host sent.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="TimeoutException">Nobody listens there within 30 seconds.</exception>
    public static async Task<Stream> ConnectAsync(string endpoint, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        var client = new NamedPipeClientStream(".", endpoint, PipeDirection.Out, PipeOptions.Asynchronous | PipeOptions.CurrentUserOnly);
        try
        {
            await client.ConnectAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static void DeleteDirectory(string? directory)
    {
        if (directory is null)
        {
            return;
        }

        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a socket file in the temp directory is left behind.
        }
    }
}
