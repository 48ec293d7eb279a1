using System.Globalization;
using System.Text.RegularExpressions;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Host gone with a live session in the worker: <c>esebackup</c> runs the plugin out of process, stages a
/// <c>jet-streaming</c> set (the esent.dll fake's external backup stays open until completion) and is SIGKILLed while it
/// waits at a pause point. The worker, whose input then ends, must end ESE's backup with Abort, truncate nothing and exit.
/// The same with a VSS session (the vssapi.dll fake): the worker calls <c>AbortBackup</c>, the writer truncates nothing.
/// The fakes run inside the worker, so they report their calls through <c>FAKE_ESENT_CALL_LOG</c> / <c>FAKE_VSS_LOG</c>
/// and the VSS machine is described to the worker's fake by <c>FAKE_VSS_SETUP</c>.
/// </summary>
[Collection(NativeFakesCollection.Name)]
public sealed partial class WorkerHostGoneTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly string _live;

    public WorkerHostGoneTests()
    {
        _live = _temp.Combine("live");
        Directory.CreateDirectory(_live);
        foreach (var file in Directory.EnumerateFiles(TestSupport.SharedTestData("ese", "srum-win10-clean-with-logs")))
        {
            var copy = Path.Combine(_live, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetAttributes(copy, FileAttributes.Normal);
        }
    }

    public void Dispose() => _temp.Dispose();

    private string CallLog => _temp.Combine("esent-calls.txt");

    private Dictionary<string, string> Environment() => new(CliKit.ChildEnvironment(_temp), StringComparer.Ordinal)
    {
        ["ESEBACKUP_EsePlugin__EsentInstances__NativeLibraryDirectory"] = AppContext.BaseDirectory,
        ["ESEBACKUP_EsePlugin__EsentInstances__FileSets__0__Directory"] = _live,
        ["ESEBACKUP_EsePlugin__EsentInstances__FileSets__0__BaseName"] = "SRU",
        ["ESEBACKUP_EsePlugin__StateDirectory"] = _temp.Combine("state"),
        ["ESEBACKUP_Host__Repository"] = _temp.Combine("repo"),
        ["FAKE_ESENT_CALL_LOG"] = CallLog,
    };

    [NativeFakeFact]
    public async Task Host_killed_with_a_live_esent_streaming_session_in_the_worker_ends_it_with_abort_and_keeps_every_log()
    {
        var env = Environment();
        string id;
        using (var discover = HostProcess.Start(_temp.Path, env, "discover", "--kind", "inProcessInstance", "--json", "--process-model", "out-of-process"))
        {
            var run = await discover.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
            id = Assert.Single(run.Json.AsArray())!["id"]!.GetValue<string>();
        }

        File.Delete(CallLog);
        env["ESEBACKUP_TEST_PAUSE_AT"] = "stored-recorded";
        int workerPid;
        using (var host = HostProcess.Start(_temp.Path, env, "backup", id, "--strategy", "jet-streaming", "--no-complete", "--process-model", "out-of-process", "--verbose"))
        {
            // Phase one is done and stored; the esent backup stays open in the worker until completion.
            Assert.True(await host.WaitForErrorLineAsync("paused at stored-recorded", TimeSpan.FromSeconds(120)), host.Snapshot().ToString());
            workerPid = ParseWorkerPid(host.Snapshot().Error);
            var calls = await File.ReadAllLinesAsync(CallLog);
            Assert.Contains("JetBeginExternalBackupInstance", calls);
            Assert.DoesNotContain("End(Abort)", calls);
            Assert.DoesNotContain("End(Normal)", calls);

            host.KillHostOnly();
            await host.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // The worker sees its input end, aborts the live backup and exits on its own.
        Assert.True(await ExitedAsync(workerPid, TimeSpan.FromSeconds(60)), $"worker {workerPid} is still running");
        var after = await File.ReadAllLinesAsync(CallLog);
        Assert.Contains("End(Abort)", after);
        Assert.DoesNotContain("End(Normal)", after);
        Assert.DoesNotContain("JetTruncateLogInstance", after);
        Assert.All(Enumerable.Range(25, 8), g => Assert.True(File.Exists(Path.Combine(_live, $"SRU{g:X5}.log")), $"log {g} was removed"));
    }

    [NativeFakeFact]
    public async Task Host_killed_with_a_live_vss_session_in_the_worker_makes_it_abort_the_backup_and_keep_every_log()
    {
        // A simulated NTDS writer over a real SRUM set (logs 25-31 archived); the fake in the worker is set up from the
        // environment the same way, and copies its log to a file.
        var root = _temp.Combine("machine");
        Directory.CreateDirectory(root);
        var machine = new FakeVssMachine(root, TestSupport.SharedTestData("ese", FakeVssMachine.EseSet), null);
        var vssLog = _temp.Combine("vss-log.txt");
        var env = new Dictionary<string, string>(CliKit.ChildEnvironment(_temp), StringComparer.Ordinal)
        {
            ["ESEBACKUP_EsePlugin__Vss__NativeLibraryDirectory"] = AppContext.BaseDirectory,
            ["ESEBACKUP_EsePlugin__Vss__AsyncTimeout"] = "00:00:05",
            ["ESEBACKUP_EsePlugin__Vss__AsyncWaitSlice"] = "00:00:00.020",
            ["ESEBACKUP_EsePlugin__StateDirectory"] = _temp.Combine("state"),
            ["ESEBACKUP_Host__Repository"] = _temp.Combine("repo"),
            ["FAKE_VSS_SETUP"] = $"volume:{machine.VolumeRoot}|{machine.ShadowRoot};writer:{machine.WriterDocument}",
            ["FAKE_VSS_LOG"] = vssLog,
        };
        string id;
        using (var discover = HostProcess.Start(_temp.Path, env, "discover", "--kind", "vssWriter", "--json", "--process-model", "out-of-process"))
        {
            var run = await discover.WaitAsync(TimeSpan.FromSeconds(120));
            Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
            id = Assert.Single(run.Json.AsArray())!["id"]!.GetValue<string>();
        }

        File.Delete(vssLog);
        env["ESEBACKUP_TEST_PAUSE_AT"] = "stored-recorded";
        int workerPid;
        using (var host = HostProcess.Start(_temp.Path, env, "backup", id, "--kind", "full", "--no-complete", "--process-model", "out-of-process", "--verbose"))
        {
            // Stored, not completed: the snapshot set and the VSS session stay open in the worker until completion.
            Assert.True(await host.WaitForErrorLineAsync("paused at stored-recorded", TimeSpan.FromSeconds(120)), host.Snapshot().ToString());
            workerPid = ParseWorkerPid(host.Snapshot().Error);
            var log = await File.ReadAllTextAsync(vssLog);
            Assert.Contains("DoSnapshotSet", log, StringComparison.Ordinal);
            Assert.DoesNotContain("AbortBackup", log, StringComparison.Ordinal);
            host.KillHostOnly();
            await host.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(await ExitedAsync(workerPid, TimeSpan.FromSeconds(60)), $"worker {workerPid} is still running");
        var after = await File.ReadAllLinesAsync(vssLog);
        Assert.Contains("AbortBackup", after);
        Assert.DoesNotContain("BackupComplete", after);
        Assert.Equal(7, machine.LiveArchivedLogs.Count); // the writer truncated nothing
    }

    private static int ParseWorkerPid(string log)
    {
        var pid = WorkerPid().Match(log);
        Assert.True(pid.Success, log);
        return int.Parse(pid.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>True once the process is gone (or a zombie nobody reaped yet).</summary>
    private static async Task<bool> ExitedAsync(int pid, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            var stat = $"/proc/{pid}/stat";
            if (!File.Exists(stat))
            {
                return true;
            }

            try
            {
                var text = await File.ReadAllTextAsync(stat);
                if (text[(text.LastIndexOf(')') + 2)..].StartsWith('Z'))
                {
                    return true;
                }
            }
            catch (IOException)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    [GeneratedRegex(@"\(pid (\d+), (?:JIT|Native AOT)\)")]
    private static partial Regex WorkerPid();
}
