using System.Diagnostics;

namespace EseBackupPlugin.Worker.Tests.Python;

/// <summary>
/// The protocol document proven by code that shares nothing with ours: a Python 3 client (standard library only,
/// <c>python/esebackup_client.py</c>) drives the worker through initialize, discover, full backup, complete,
/// verify-set and restore, and checks the restored files; then takes a copy with <c>backupToStream</c> (a Unix socket the
/// client listens on) and checks the tar's members against its manifest and the source.
/// </summary>
public sealed class PythonClientTests
{
    [Fact]
    public async Task The_python_client_drives_the_jit_worker_end_to_end()
    {
        using var temp = new TempDir();
        var (code, output) = await PythonClient.RunAsync(TestSupport.WorkerExecutable, temp.Path);
        Assert.True(code == 0, output);
        Assert.Contains("OK ", output, StringComparison.Ordinal);
        Assert.Matches(@"[1-9]\d* files streamed \(\d+ bytes\) and checked", output);
        Assert.Contains("(JIT)", output, StringComparison.Ordinal);
    }
}

/// <summary>Runs the Python client.</summary>
internal static class PythonClient
{
    public static string Script => Path.Combine(AppContext.BaseDirectory, "python", "esebackup_client.py");

    public static async Task<(int ExitCode, string Output)> RunAsync(string worker, string workDirectory)
    {
        var psi = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Script);
        psi.ArgumentList.Add(worker);
        psi.ArgumentList.Add(workDirectory);
        foreach (var (k, v) in TestSupport.DotnetRootEnvironment())
        {
            psi.Environment[k] = v;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
