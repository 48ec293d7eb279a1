using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace EseBackupPlugin.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project benchmarks/Benchmarks -- --job short --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Entry point: <c>generate</c> / <c>append-logs</c> (see <see cref="GenerateCommand"/>), else arguments go to BenchmarkDotNet.</summary>
    public static int Main(string[] args)
    {
        if (GenerateCommand.TryRun(args, out var exitCode))
        {
            return exitCode;
        }

        // BenchmarkDotNet's out-of-process toolchain looks for a project file named after the assembly
        // (EseBackupPlugin.Benchmarks.csproj); this project is Benchmarks.csproj, so benchmarks run in-process.
        if (!args.Any(a => a.Equals("--inProcess", StringComparison.OrdinalIgnoreCase) || a.Equals("-i", StringComparison.Ordinal)))
        {
            args = [.. args, "--inProcess"];
        }

        var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
        return 0;
    }
}
