using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Hosting;
using Xunit.Abstractions;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// Issue 16 with the real <c>esebackup</c> as a child process: (case 5) a repository on a really full file system (a
/// small tmpfs in a private mount namespace) filled to many levels, so that SQLite's own "disk is full" and "disk I/O
/// error" strike wherever they strike; (case 2) the child's peak memory on a set whose log header claims generation
/// 2147483647 stays within the engine's buffer budget of its peak on the intact set.
/// </summary>
public sealed class RealDiskAndMemoryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Case5_on_a_really_full_disk_every_run_fails_in_words_or_succeeds_and_catalog_and_repository_agree_afterwards()
    {
        using var temp = new TempDir();
        var source = StoreCompleteAgreementTests.CopyRealSet(temp);
        var mount = temp.Combine("disk");
        Directory.CreateDirectory(mount);
        var repo = Path.Combine(mount, "repo");

        // One shell script runs everything inside a private mount namespace holding a 16 MiB tmpfs: each level fills the disk
        // to leave that many KiB free, backs up, frees the disk, and lets a second backup recover.
        var script = temp.Combine("full-disk.sh");
        // Around the set's size (about 330 KiB staged) the copy fits and the catalog's writes are what the disk refuses.
        var levels = new[] { 0, 64, 256, 288, 304, 312, 316, 320, 322, 324, 326, 328, 330, 332, 336, 352, 512 };
        var host = $"dotnet '{CliKit.HostDll}'";
        await File.WriteAllTextAsync(script, $$"""
            set -u
            mount -t tmpfs -o size=16m tmpfs '{{mount}}' || exit 90
            {{host}} backup '{{source}}' --repository '{{repo}}' > /dev/null 2>&1 || exit 91
            for free in {{string.Join(' ', levels)}}; do
              dd if=/dev/zero of='{{mount}}/fill' bs=4k 2>/dev/null
              rm -f '{{mount}}/fill'
              avail=$(df -k --output=avail '{{mount}}' | tail -1)
              dd if=/dev/zero of='{{mount}}/fill' bs=1k count=$(( avail > free ? avail - free : 0 )) 2>/dev/null
              {{host}} backup '{{source}}' --repository '{{repo}}' > "{{temp.Path}}/out-$free" 2> "{{temp.Path}}/err-$free"
              echo "level $free exit $?"
              rm -f '{{mount}}/fill'
              {{host}} backup '{{source}}' --repository '{{repo}}' > /dev/null 2> "{{temp.Path}}/next-$free"
              echo "next $free exit $?"
              {{host}} catalog list --repository '{{repo}}' --json > "{{temp.Path}}/list-$free" 2>&1
              cp -r '{{repo}}' "{{temp.Path}}/repo-$free"
            done
            """);
        var info = new ProcessStartInfo("unshare", ["--mount", "--propagation", "private", "sh", script]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in CliKit.ChildEnvironment(temp))
        {
            info.Environment[k] = v;
        }

        using var p = Process.Start(info)!;
        var stdout = await p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode == 90 || stderr.Contains("unshare failed", StringComparison.Ordinal) || stderr.Contains("Operation not permitted", StringComparison.Ordinal))
        {
            // No private mount namespace here (an unprivileged CI runner): the deterministic catalog-fault tests still ran.
            output.WriteLine("not run: this machine cannot mount a private tmpfs: " + stderr);
            return;
        }

        output.WriteLine(stdout);
        Assert.True(p.ExitCode == 0, $"script failed ({p.ExitCode}): {stdout}\n{stderr}");
        var failedRuns = 0;
        foreach (var free in levels)
        {
            var label = $"{free} KiB free";
            var err = await File.ReadAllTextAsync(Path.Combine(temp.Path, $"err-{free}"));
            var exit = int.Parse(stdout.Split('\n').Single(l => l.StartsWith($"level {free} ", StringComparison.Ordinal)).Split(' ')[^1], CultureInfo.InvariantCulture);
            output.WriteLine($"{label}: exit {exit}: {err.Split('\n').FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? "(no error)"}");
            if (exit != ExitCodes.Ok)
            {
                failedRuns++;

                // In words: SQLite's own text never stands alone.
                Assert.DoesNotContain("error: SQLite", err, StringComparison.Ordinal);
                Assert.True(
                    err.Contains("The catalog '", StringComparison.Ordinal) || err.Contains("disk was full", StringComparison.Ordinal) || err.Contains("DiskFull", StringComparison.Ordinal),
                    $"{label}: exit {exit} without saying what failed: {err}");
            }

            Assert.True(stdout.Contains($"next {free} exit 0", StringComparison.Ordinal), $"{label}: the run after the disk was freed failed: {await File.ReadAllTextAsync(Path.Combine(temp.Path, $"next-{free}"))}\nthe full-disk run said: {err}");
            await StoreCompleteAgreementTests.AssertAgreementAsync(Path.Combine(temp.Path, $"repo-{free}"), label);
        }

        Assert.True(failedRuns > 0, "the disk was never full enough to fail a backup: " + stdout);
    }

    [Fact]
    public async Task Case2_peak_memory_on_an_absurd_generation_stays_within_the_buffer_budget_of_the_intact_run()
    {
        if (!File.Exists("/proc/self/status"))
        {
            output.WriteLine("not run: no /proc on this system");
            return;
        }

        using var temp = new TempDir();
        const int BufferSize = 4 << 20, BufferCount = 6; // the engine's defaults: 24 MiB of copy buffers
        var env = CliKit.ChildEnvironment(temp, BufferSize);
        env["ESEBACKUP_EsePlugin__Engine__BufferCount"] = BufferCount.ToString(CultureInfo.InvariantCulture);

        var intact = StoreCompleteAgreementTests.CopyRealSet(temp);
        // The intact run waits at its end until its peak has been read: sampled only while it runs, a peak reached in its
        // last milliseconds (a fast machine) could be missed, and every damaged run would then look too big.
        var atEnd = new Dictionary<string, string>(env, StringComparer.Ordinal)
        {
            [HostTestHooks.Variable] = HostTestHooks.Completed,
            [HostTestHooks.ResumeVariable] = temp.Combine("resume-intact"),
        };
        var (intactPeak, intactRun) = await PeakAsync(temp, atEnd, intact, temp.Combine("repo-intact"));
        Assert.Contains("paused at " + HostTestHooks.Completed, intactRun.Error, StringComparison.Ordinal);
        Assert.True(intactRun.ExitCode == ExitCodes.Ok, intactRun.ToString());

        foreach (var (file, generation) in new[] { ("SRU.log", int.MaxValue), ("SRU.log", int.MinValue), ("SRU00001.log", int.MaxValue), ("SRU.chk", int.MaxValue) })
        {
            using var damaged = new TempDir();
            var source = StoreCompleteAgreementTests.CopyRealSet(damaged);
            SetGeneration(Path.Combine(source, file), generation);
            var (peak, run) = await PeakAsync(damaged, env, source, damaged.Combine("repo"));
            output.WriteLine($"{file} claims {generation}: exit {run.ExitCode}, peak RSS {peak / 1024} KiB (intact run {intactPeak / 1024} KiB)");
            Assert.True(run.ExitCode != ExitCodes.Ok && run.Error.Contains(Path.Combine(source, file), StringComparison.Ordinal), run.ToString());
            Assert.True(peak <= intactPeak + ((long)BufferSize * BufferCount), $"{file} claiming {generation}: peak RSS {peak:N0} bytes, intact {intactPeak:N0}");
        }
    }

    /// <summary>Runs a backup in a child and samples its peak resident set (VmHWM) until it exits.</summary>
    private static async Task<(long PeakBytes, CliRun Run)> PeakAsync(TempDir temp, Dictionary<string, string> env, string source, string repo)
    {
        using var p = HostProcess.Start(temp.Path, env, "backup", source, "--repository", repo);
        env.TryGetValue(HostTestHooks.ResumeVariable, out var resume);
        long peak = 0;
        while (!p.HasExited)
        {
            // A run paused at its end: this sample is its whole life's peak; then it may go on and exit.
            var paused = resume is not null && p.Snapshot().Error.Contains("esebackup-test-hook: paused at", StringComparison.Ordinal);
            try
            {
                foreach (var line in await File.ReadAllLinesAsync($"/proc/{p.Id}/status"))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024);
                    }
                }
            }
            catch (IOException)
            {
                break; // it exited between the check and the read
            }

            if (paused && !File.Exists(resume))
            {
                await File.WriteAllTextAsync(resume!, string.Empty);
            }

            await Task.Delay(5);
        }

        return (peak, await p.WaitAsync(RunLimit));
    }

    /// <summary>Rewrites a log's (offset 4) or checkpoint's (offset 16, both copies) generation and re-seals the XOR checksums.</summary>
    private static void SetGeneration(string path, int generation)
    {
        var bytes = File.ReadAllBytes(path);
        var (offset, copies) = path.EndsWith(".chk", StringComparison.Ordinal) ? (16, new[] { 0, 4096 }) : (4, new[] { 0 });
        foreach (var copy in copies)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(copy + offset), generation);
            var x = 0x89ABCDEFu;
            for (var i = 4; i < 4096; i += 4)
            {
                x ^= BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(copy + i));
            }

            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(copy), x);
        }

        File.WriteAllBytes(path, bytes);
    }
}
