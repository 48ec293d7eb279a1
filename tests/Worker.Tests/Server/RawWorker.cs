using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using EseBackupPlugin.Worker.Protocol.Rpc;

namespace EseBackupPlugin.Worker.Tests.Server;

/// <summary>The worker as a child process spoken to in raw frames, to test the protocol itself.</summary>
internal sealed class RawWorker : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly FramedMessageReader _reader;
    private readonly StringBuilder _stderr = new();

    public RawWorker(string? executable = null)
    {
        var psi = new ProcessStartInfo(executable ?? TestSupport.WorkerExecutable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (k, v) in TestSupport.DotnetRootEnvironment())
        {
            psi.Environment[k] = v;
        }

        _process = System.Diagnostics.Process.Start(psi)!;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        _reader = new FramedMessageReader(_process.StandardOutput.BaseStream);
    }

    public System.Diagnostics.Process Process => _process;

    public string StandardError
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public async Task SendAsync(string json) => await FramedMessageWriter.WriteAsync(_process.StandardInput.BaseStream, Encoding.UTF8.GetBytes(json));

    public async Task<JsonObject> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var body = await _reader.ReadAsync(timeout.Token) ?? throw new InvalidOperationException("The worker closed its output. Log:\n" + StandardError);
        return JsonNode.Parse(body)!.AsObject();
    }

    /// <summary>Sends a request and returns its response, skipping notifications.</summary>
    public async Task<JsonObject> CallAsync(string json)
    {
        await SendAsync(json);
        while (true)
        {
            var m = await ReceiveAsync();
            if (m.ContainsKey("id") && !m.ContainsKey("method"))
            {
                return m;
            }
        }
    }

    public const string Initialize = """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"hostName":"tests","hostVersion":"1.0","contractVersions":["1.0"],"configuration":{}}}""";

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
