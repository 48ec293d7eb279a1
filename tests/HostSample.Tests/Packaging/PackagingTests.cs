using System.Diagnostics;
using System.IO.Compression;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.HostSample.Plugins;
using EseBackupPlugin.Tests.Support;

namespace EseBackupPlugin.HostSample.Tests.Packaging;

/// <summary>
/// What a fresh clone ships, made with the documented commands and checked as a user would: the drop-in bundle
/// (<c>dotnet publish src/Plugin.Ese -c Release -o DIR</c>) validates; the tool package (<c>dotnet pack
/// src/HostSample</c>) installs with <c>dotnet tool install --add-source</c> into a private tool path (only the local
/// folder as a source) and its <c>esebackup --version</c> and <c>esebackup demo</c> work from there, in process and
/// through the worker the package carries. Slow (a Release
/// build), so one test does all of it. The contract package's validation runs in CI's pack step (.ci/run).
/// </summary>
[Trait("Category", "Packaging")]
public class PackagingTests
{
    [Fact]
    public async Task The_bundle_validates_and_the_installed_tool_runs_the_demo()
    {
        using var temp = new TempDir();
        var repo = TestSupport.RepoRoot;

        var bundle = temp.Combine("bundle");
        await RunAsync(repo, "dotnet", "publish", "src/Plugin.Ese", "-c", "Release", "-o", bundle, "--disable-build-servers", "-nologo", "-v", "q");
        var report = BundleValidator.Validate(bundle);
        Assert.True(report.Valid, string.Join("\n", report.Checks.Where(c => !c.Passed).Select(c => c.Name + ": " + c.Detail)));
        Assert.True(File.Exists(Path.Combine(bundle, "plugin.json")));

        var packages = temp.Combine("packages");
        await RunAsync(repo, "dotnet", "pack", "src/HostSample", "-c", "Release", "-o", packages, "--disable-build-servers", "-nologo", "-v", "q");
        var tool = Assert.Single(Directory.GetFiles(packages, "esebackup.*.nupkg"));
        using (var zip = ZipFile.OpenRead(tool))
        {
            var entries = zip.Entries.Select(e => e.FullName).ToList();
            Assert.Contains(entries, e => e.EndsWith("/plugins/ese/plugin.json", StringComparison.Ordinal));
            Assert.Contains(entries, e => e.EndsWith("/plugins/ese/EseBackupPlugin.Ese.dll", StringComparison.Ordinal));
            // plugin.json's outOfProcess entry: without it the installed tool could not run --process-model out-of-process.
            Assert.Contains(entries, e => e.EndsWith("/plugins/ese/worker/EseBackupPlugin.Worker.dll", StringComparison.Ordinal));
            // The worker is its own process with its own copies; the in-process bundle must not carry shared assemblies.
            Assert.DoesNotContain(entries, e => e.Contains("/plugins/ese/", StringComparison.Ordinal) && !e.Contains("/plugins/ese/worker/", StringComparison.Ordinal) && SharedAssemblies.IsShared(Path.GetFileNameWithoutExtension(e)) && e.EndsWith(".dll", StringComparison.Ordinal));
        }

        // Only the local folder as a package source: the install must not need anything else.
        var config = temp.Combine("nuget.config");
        await File.WriteAllTextAsync(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration><packageSources><clear /><add key="local" value="{packages}" /></packageSources></configuration>
            """);
        var toolPath = temp.Combine("tools");
        await RunAsync(temp.Path, "dotnet", "tool", "install", "--tool-path", toolPath, "--configfile", config, "--add-source", packages, "esebackup");
        var exe = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "esebackup.exe" : "esebackup");

        var version = await RunAsync(temp.Path, exe, "--version");
        Assert.Contains($"contract {ContractVersion.Id} {ContractVersion.Current.ToString(2)}", version, StringComparison.Ordinal);
        Assert.Contains("plugin esebackup.ese ", version, StringComparison.Ordinal);
        Assert.Contains(toolPath, version, StringComparison.Ordinal); // the plugin.json inside the installed tool

        var work = temp.Combine("work");
        Directory.CreateDirectory(work);
        var demo = await RunAsync(work, exe, "demo");
        Assert.Contains("the restored files match", demo, StringComparison.Ordinal);

        var outOfProcess = temp.Combine("work-out-of-process");
        Directory.CreateDirectory(outOfProcess);
        demo = await RunAsync(outOfProcess, exe, "--process-model", "out-of-process", "demo");
        Assert.Contains("the restored files match", demo, StringComparison.Ordinal);
    }

    private static async Task<string> RunAsync(string workingDirectory, string fileName, params string[] args)
    {
        var info = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        // The test host's own MSBuild settings must not leak into the child build.
        info.Environment.Remove("MSBuildExtensionsPath");
        info.Environment.Remove("MSBuildSDKsPath");
        info.Environment.Remove("MSBUILD_EXE_PATH");
        // A build of this repository (publish, pack) waits for one from another test assembly (the AOT worker's), and the
        // other way round; running the built tool needs no lock.
        using var build = args[0] is "publish" or "pack" ? await NestedBuildLock.AcquireAsync(TestSupport.RepoRoot, TimeSpan.FromMinutes(10)) : null;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Never leave a build running once its lock is released: the other one would then build beside it.
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not end within 8 minutes.");
        }

        var output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"{fileName} {string.Join(' ', args)} exited {process.ExitCode}:\n{output}");
        return output;
    }
}
