using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Ese;
using EseBackupPlugin.Worker;
using Microsoft.Extensions.Logging;

// esebackup-worker: the plugin out of process. Standard input and output carry the protocol (docs/protocol.md)
// and nothing else; the log goes to standard error.
if (args is ["--version"])
{
    Console.WriteLine($"{WorkerServer.CommandName} {EsePlugin.Version} (plugin {EsePlugin.PluginId}, contract {string.Join(", ", ContractVersion.Supported.Select(v => v.ToString(2)))}, {(RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "Native AOT")})");
    return 0;
}

var level = LogLevel.Information;
for (var i = 0; i < args.Length; i++)
{
    if (args[i] == "--log-level" && i + 1 < args.Length && Enum.TryParse(args[i + 1], ignoreCase: true, out LogLevel parsed))
    {
        level = parsed;
        i++;
    }
    else
    {
        await Console.Error.WriteLineAsync($"usage: {WorkerServer.CommandName} [--log-level Trace|Debug|Information|Warning|Error] | --version\n" +
            "Speaks JSON-RPC 2.0 with Content-Length framing on standard input/output (docs/protocol.md); logs to standard error.");
        return 2;
    }
}

// Ctrl+C in a terminal reaches every process of the foreground group, the worker too. Cancelling is the host's call (it
// sends $/cancelRequest, or closes our input when it goes away): the worker ignores the signal instead of dying under it.
using var ignoreInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => context.Cancel = true);

var stdout = Console.OpenStandardOutput();
var stdin = Console.OpenStandardInput();

// Anything that writes to Console.Out by mistake must not corrupt the protocol stream.
Console.SetOut(Console.Error);

using var loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(level).AddProvider(new StderrLoggerProvider(Console.Error, level)));
var logger = loggerFactory.CreateLogger("EseBackupPlugin.Worker");
logger.LogInformation("{Command} {Version} started (pid {Pid}, {Build}).", WorkerServer.CommandName, EsePlugin.Version, Environment.ProcessId, RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "Native AOT");

if (OperatingSystem.IsWindows())
{
    // The worker owns its process, so it sets COM security itself, first, before anything else uses COM (VSS needs it).
    var hr = EsePlugin.InitializeComSecurity();
    logger.LogInformation("COM security initialised: HRESULT 0x{Hr:X8}.", hr);
}

await using var server = new WorkerServer(stdin, stdout, loggerFactory);
return await server.RunAsync();
