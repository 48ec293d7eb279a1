using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

namespace EseBackupPlugin.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project benchmarks/Benchmarks -- --job short --filter '*'</c>.</summary>
public static class Program
{
    /// <summary>Entry point; arguments go to BenchmarkDotNet.</summary>
    public static void Main(string[] args)
    {
        var config = DefaultConfig.Instance.AddColumn(new ThroughputColumn());
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
    }
}
