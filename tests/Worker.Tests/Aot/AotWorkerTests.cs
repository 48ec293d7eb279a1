using System.Diagnostics;
using System.Runtime.InteropServices;
using EseBackupPlugin.Tests.Support;
using EseBackupPlugin.Worker.Tests.Python;

namespace EseBackupPlugin.Worker.Tests.Aot;

/// <summary>
/// The Native AOT worker: published once per test run (dotnet publish -r linux-x64 -p:PublishAot=true, incremental
/// across runs) into artifacts/aot-worker, then driven by the Python client. This is how CI publishes the AOT worker
/// and runs the Python client against that binary from the README's test command.
/// </summary>
[Collection(AotWorkerCollection.Name)]
public sealed class AotWorkerTests(AotWorkerFixture aot)
{
    [AotFact]
    public async Task The_python_client_drives_the_native_aot_worker_end_to_end()
    {
        using var temp = new TempDir();
        var (code, output) = await PythonClient.RunAsync(aot.Executable, temp.Path);
        Assert.True(code == 0, output);
        Assert.Matches(@"[1-9]\d* files streamed \(\d+ bytes\) and checked", output);
        Assert.Contains("(Native AOT)", output, StringComparison.Ordinal);
    }

    [AotFact]
    public void The_aot_worker_is_one_self_contained_executable()
    {
        var files = Directory.GetFiles(Path.GetDirectoryName(aot.Executable)!).Select(Path.GetFileName).ToList();
        Assert.Contains("esebackup-worker", files);
        Assert.DoesNotContain(files, f => f!.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
        using var p = Process.Start(new ProcessStartInfo(aot.Executable, "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Contains("Native AOT", text, StringComparison.Ordinal);
    }
}

/// <summary>Publishes the AOT worker once for the tests of <see cref="AotWorkerCollection"/>.</summary>
public sealed class AotWorkerFixture
{
    private readonly Lazy<string> _executable = new(Publish);

    /// <summary>The published executable.</summary>
    public string Executable => _executable.Value;

    private static string Publish()
    {
        var output = Path.Combine(TestSupport.RepoRoot, "artifacts", "aot-worker", "linux-x64");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "publish", Path.Combine(TestSupport.RepoRoot, "src", "Worker", "Worker.csproj"), "-r", "linux-x64", "-c", "Release", "-p:PublishAot=true", "-o", output, "-nologo", "-v", "q" })
        {
            psi.ArgumentList.Add(a);
        }

        // The test host's own MSBuild variables must not leak into the nested build.
        psi.Environment.Remove("MSBuildExtensionsPath");
        psi.Environment.Remove("MSBuildSDKsPath");
        psi.Environment.Remove("MSBUILD_EXE_PATH");
        // The packaging tests (another test assembly, run side by side) build the same projects: one build at a time.
        using var build = NestedBuildLock.Acquire(TestSupport.RepoRoot, TimeSpan.FromMinutes(10));
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        var log = stdout.Result + stderr.Result;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the AOT worker failed ({p.ExitCode}):\n{log}");
        }

        Console.WriteLine($"AOT worker published in {watch.Elapsed.TotalSeconds:F0} s to {output}");
        return Path.Combine(output, "esebackup-worker");
    }
}

[CollectionDefinition(Name)]
public sealed class AotWorkerCollection : ICollectionFixture<AotWorkerFixture>
{
    public const string Name = "AOT worker";
}

/// <summary>A fact that needs the Native AOT toolchain: Linux x64 with clang on the PATH (CI installs it).</summary>
public sealed class AotFactAttribute : FactAttribute
{
    public AotFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            Skip = "The Native AOT worker test publishes for linux-x64 and runs only there.";
        }
        else if (!OnPath("clang"))
        {
            Skip = "Native AOT needs clang on the PATH (.ci/run installs it).";
        }
    }

    private static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, name)));
}
