using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;
using EseBackupPlugin.HostSample.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Runs the real <c>esebackup</c> CLI: in this process through its entry point (<see cref="CliApp.RunAsync"/>), or as
/// a child process (<c>dotnet EseBackupPlugin.HostSample.dll ...</c> from the test output, where the build also laid
/// out the plugin package under <c>plugins/ese</c>).
/// </summary>
internal static class CliKit
{
    /// <summary>The host assembly beside the tests.</summary>
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "EseBackupPlugin.HostSample.dll");

    public static async Task<CliRun> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        // The CLI is built for one command per process: its global options are static objects that every command
        // tree links to. Test classes run in parallel, so in-process runs take turns.
        await Gate.WaitAsync();
        try
        {
            var code = await CliApp.RunAsync(args, new CliEnvironment(output, error, interactive: false));
            return new CliRun(code, output.ToString(), error.ToString());
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>Runs the CLI in this process with binary standard output and input (tar streams).</summary>
    public static async Task<CliRun> RunWithStreamsAsync(Func<Stream>? binaryOut, Func<Stream>? binaryIn, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        await Gate.WaitAsync();
        try
        {
            var code = await CliApp.RunAsync(args, new CliEnvironment(output, error, interactive: false, binaryOut, binaryIn));
            return new CliRun(code, output.ToString(), error.ToString());
        }
        finally
        {
            Gate.Release();
        }
    }

    private static readonly SemaphoreSlim Gate = new(1, 1);

    /// <summary>A JSON configuration file for <c>--config</c>: a private lock directory (and any extra plugin settings).</summary>
    public static string WriteConfig(TempDir temp, Action<JsonObject>? edit = null)
    {
        var json = new JsonObject
        {
            ["EsePlugin"] = new JsonObject
            {
                ["Engine"] = new JsonObject { ["LockDirectory"] = temp.Combine("locks") },
            },
        };
        edit?.Invoke(json);
        var path = temp.Combine("esebackup-test.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    /// <summary>Environment for child processes: private lock directory, small copy buffers (slow enough to interrupt).</summary>
    public static Dictionary<string, string> ChildEnvironment(TempDir temp, int bufferSize = 64 * 1024) => new(StringComparer.Ordinal)
    {
        ["ESEBACKUP_EsePlugin__Engine__LockDirectory"] = temp.Combine("locks"),
        ["ESEBACKUP_EsePlugin__Engine__BufferSize"] = bufferSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["ESEBACKUP_EsePlugin__Engine__BufferCount"] = "3",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
    };

    public static string HashFile(string path)
    {
        using var s = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(s));
    }

    public static SortedDictionary<string, string> HashTree(string directory)
    {
        var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            map[Path.GetRelativePath(directory, f)] = HashFile(f);
        }

        return map;
    }
}

/// <summary>The plugin loaded the way the host loads it, for what a test needs outside the CLI (sample sets, set verification).</summary>
internal static class SamplePlugin
{
    private static readonly Lazy<LoadedPlugin> Loaded = new(() =>
        new PluginLoader(NullLogger<PluginLoader>.Instance).Load(Path.Combine(TestSupport.PluginFolder, "plugin.json"), _ => new ServiceCollection().BuildServiceProvider()));

    public static IBackupPlugin Plugin => Loaded.Value.Plugin;

    public static Task<SampleTarget> CreateAsync(string directory, long databaseBytes = 4L << 20, int databases = 1, int generations = 5, int seed = 1, int pageSize = 8192) =>
        ((ISampleTargetProvider)Plugin).CreateSampleTargetAsync(new SampleTargetRequest(directory)
        {
            DatabaseBytes = databaseBytes,
            DatabaseCount = databases,
            LogGenerations = generations,
            Seed = seed,
            PageSize = pageSize,
        });

    public static Task<SampleTarget> AdvanceAsync(string directory, int generations) =>
        ((ISampleTargetProvider)Plugin).AdvanceSampleTargetAsync(directory, generations);
}

/// <summary>The CLI as a child process, its output collected as it comes (so a killed process's last words are kept).</summary>
internal sealed partial class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly TaskCompletionSource _outDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _errDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private HostProcess(Process process)
    {
        _process = process;
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static HostProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
        => Start(workingDirectory, environment, holdOutput: false, args);

    /// <summary>
    /// With <paramref name="holdOutput"/>, standard output is not read until <see cref="DiscardOutputAsync"/>: a child that
    /// writes a stream there (<c>--out -</c>) blocks once the pipe is full, a gate that holds it in mid-copy however fast it is.
    /// </summary>
    public static HostProcess Start(string workingDirectory, IReadOnlyDictionary<string, string> environment, bool holdOutput, params string[] args)
    {
        // A test run started in the background by a shell without job control (nohup, '&') ignores SIGINT, and the child
        // would inherit that and never see a Ctrl+C; .NET honours an inherited SIG_IGN. Restore the default first then.
        var resetSigInt = SigIntIgnored() && File.Exists(Python);
        var info = new ProcessStartInfo(resetSigInt ? Python : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (resetSigInt)
        {
            foreach (var a in new[] { "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])", "dotnet" })
            {
                info.ArgumentList.Add(a);
            }
        }

        info.ArgumentList.Add(CliKit.HostDll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            info.Environment[k] = v;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var host = new HostProcess(process);
        process.OutputDataReceived += (_, e) => Append(host._out, host._outDone, e.Data);
        process.ErrorDataReceived += (_, e) => Append(host._err, host._errDone, e.Data);
        process.Start();
        if (!holdOutput)
        {
            process.BeginOutputReadLine();
        }

        process.BeginErrorReadLine();
        return host;
    }

    private const string Python = "/usr/bin/python3";

    /// <summary>Whether this process ignores SIGINT (bit 2 of <c>SigIgn</c> in <c>/proc/self/status</c>, Linux only).</summary>
    private static bool SigIntIgnored()
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return false;
        }

        var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null
            && ulong.TryParse(line["SigIgn:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture, out var mask)
            && (mask & 0x2) != 0;
    }

    /// <summary>Opens the gate of <see cref="Start(string, IReadOnlyDictionary{string, string}, bool, string[])"/>: reads standard output to its end and drops it.</summary>
    public Task DiscardOutputAsync() => Task.Run(async () =>
    {
        await _process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        _outDone.TrySetResult();
    });

    private static void Append(StringBuilder to, TaskCompletionSource done, string? line)
    {
        if (line is null)
        {
            done.TrySetResult();
            return;
        }

        lock (to)
        {
            to.AppendLine(line);
        }
    }

    /// <summary>
    /// Waits until the child writes a line containing <paramref name="text"/> to standard error (its log with
    /// <c>--verbose</c>); false when it exits first or the time is up.
    /// </summary>
    public async Task<bool> WaitForErrorLineAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            lock (_err)
            {
                if (_err.ToString().Contains(text, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            if (_process.HasExited)
            {
                return false;
            }

            await Task.Delay(1);
        }

        return false;
    }

    /// <summary>SIGKILL (Process.Kill): no handler, no finally block, no flush runs in the child.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGKILL for the host alone: its children (an out-of-process worker) live on and see their input end.</summary>
    public void KillHostOnly() => _process.Kill(entireProcessTree: false);

    /// <summary>
    /// With <c>holdOutput</c>: waits until the child's standard output pipe is full (within a 16th of what the pipe holds),
    /// i.e. until a child streaming there is blocked in mid-write. False when it exits first or the time is up. Linux only.
    /// </summary>
    public async Task<bool> WaitForFullOutputPipeAsync(TimeSpan timeout)
    {
        var handle = _process.StandardOutput.BaseStream switch
        {
            System.IO.Pipes.PipeStream pipe => (SafeHandle)pipe.SafePipeHandle,
            FileStream file => file.SafeFileHandle,
            var other => throw new NotSupportedException($"Standard output is a {other.GetType().Name}, not a pipe."),
        };
        var fd = (int)handle.DangerousGetHandle();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout && !_process.HasExited)
        {
            var capacity = Fcntl(fd, GetPipeSize, 0);
            // A pipe is full short of its size: the first small writes (tar headers) each took a page of their own.
            if (capacity > 0 && Ioctl(fd, BytesReadable, out var unread) == 0 && unread > 0 && unread >= capacity - (capacity / 16))
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    private const int GetPipeSize = 1032; // F_GETPIPE_SZ
    private const int BytesReadable = 0x541B; // FIONREAD

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int Ioctl(int fd, int request, out int value);

    /// <summary>Whether the child exits within <paramref name="timeout"/>, whatever is left unread on its output.</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async Task<CliRun> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await Task.WhenAll(_outDone.Task, _errDone.Task).WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"esebackup (pid {Id}) did not end within {timeout}:\n{Snapshot()}");
        }

        return Snapshot();
    }

    public CliRun Snapshot()
    {
        string o, e;
        lock (_out)
        {
            o = _out.ToString();
        }

        lock (_err)
        {
            e = _err.ToString();
        }

        return new CliRun(_process.HasExited ? _process.ExitCode : -1, o, e);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
