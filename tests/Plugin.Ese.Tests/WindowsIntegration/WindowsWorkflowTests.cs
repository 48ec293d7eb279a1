using System.Diagnostics;
using System.Text.Json.Nodes;

namespace EseBackupPlugin.Ese.Tests.WindowsIntegration;

/// <summary>
/// .github/workflows/windows.yml is valid YAML (parsed by Python's yaml module, Debian's python3-yaml, which .ci/run
/// installs) and asks for what the README promises: x64 and arm64 Windows runners, a warnings-as-errors build, the
/// contract pack, the WindowsIntegration category, and the portable suite.
/// </summary>
public sealed class WindowsWorkflowTests
{
    [Fact]
    public async Task The_windows_workflow_is_valid_yaml_and_runs_the_integration_category_on_x64_and_arm64()
    {
        var workflow = Path.Combine(RepoRoot(), ".github", "workflows", "windows.yml");
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        // YAML 1.1 reads the key 'on' as true; JSON output needs string keys.
        info.ArgumentList.Add("import json, sys, yaml\nd = yaml.safe_load(open(sys.argv[1]))\nd = {('on' if k is True else k): v for k, v in d.items()}\nprint(json.dumps(d))");
        info.ArgumentList.Add(workflow);
        using var process = Process.Start(info)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"windows.yml does not parse: {stderr}");

        var doc = JsonNode.Parse(stdout)!;
        var job = doc["jobs"]!["windows"]!;
        var matrix = job["strategy"]!["matrix"]!["include"]!.AsArray().Select(m => (m!["os"]!.GetValue<string>(), m["arch"]!.GetValue<string>())).ToList();
        Assert.Equal([("windows-latest", "x64"), ("windows-11-arm", "arm64")], matrix);
        Assert.Equal("${{ matrix.os }}", job["runs-on"]!.GetValue<string>());
        var runs = job["steps"]!.AsArray().Select(s => s!["run"]?.GetValue<string>() ?? string.Empty).ToList();
        Assert.Contains(runs, r => r.Contains("dotnet build EseBackupPlugin.sln", StringComparison.Ordinal) && r.Contains("-warnaserror", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains("dotnet pack src/Plugin.Abstractions", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains("--filter \"Category=WindowsIntegration\"", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains("Category!=WindowsIntegration", StringComparison.Ordinal));

        // The category the workflow filters on exists, on the tests that use the real esent.dll and VSS.
        var categorised = typeof(WindowsWorkflowTests).Assembly.GetTypes()
            .Where(t => t.GetCustomAttributes(typeof(TraitAttribute), false).Cast<TraitAttribute>().Any())
            .Where(t => t.CustomAttributes.Any(a => a.AttributeType == typeof(TraitAttribute) && a.ConstructorArguments[1].Value as string == "WindowsIntegration"))
            .Select(t => t.Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal([nameof(WindowsEsentIntegrationTests), nameof(WindowsVssIntegrationTests)], categorised);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EseBackupPlugin.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
    }
}
