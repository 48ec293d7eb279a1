using System.Diagnostics;
using System.Globalization;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Benchmarks;

/// <summary>
/// The benchmark program's non-BenchmarkDotNet modes, used by the end-to-end scripts to make their data:
/// <list type="bullet">
/// <item><c>generate DIR [--database-mib N] [--databases N] [--logs N] [--log-kib N] [--page-size N] [--seed N]</c>:
/// a synthetic ESE file set (real formats, valid checksums) in DIR.</item>
/// <item><c>append-logs DIR COUNT</c>: the "database" moves on by COUNT log generations (what an incremental backs up).</item>
/// </list>
/// Prints one line of JSON describing what was written.
/// </summary>
internal static class GenerateCommand
{
    public static bool TryRun(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Length == 0 || args[0] is not ("generate" or "append-logs"))
        {
            return false;
        }

        try
        {
            exitCode = args[0] == "generate" ? Generate(args[1..]) : AppendLogs(args[1..]);
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or IOException)
        {
            Console.Error.WriteLine($"{args[0]}: {ex.Message}");
            exitCode = 2;
        }

        return true;
    }

    private static int Generate(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
        {
            throw new ArgumentException("usage: generate DIR [--database-mib N] [--databases N] [--logs N] [--log-kib N] [--page-size N] [--seed N]");
        }

        var directory = Path.GetFullPath(args[0]);
        long databaseMiB = 1024;
        int databases = 1, logs = 16, logKiB = 1024, pageSize = 8192;
        ulong seed = 1;
        for (var i = 1; i < args.Length; i += 2)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--database-mib": databaseMiB = long.Parse(value, CultureInfo.InvariantCulture); break;
                case "--databases": databases = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--logs": logs = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--log-kib": logKiB = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--page-size": pageSize = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seed": seed = ulong.Parse(value, CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        var clock = Stopwatch.StartNew();
        var set = SyntheticEseSet.Create(directory, new SyntheticEseOptions
        {
            PageSize = pageSize,
            DatabaseCount = databases,
            DatabaseSize = databaseMiB << 20,
            LogGenerations = logs,
            LogFileSize = logKiB * 1024,
            UninitializedPageFraction = 0.1,
            Seed = seed,

            // One log stream per directory, as with the demo's samples: sets in several scratch directories are not copies of one.
            StreamSeed = SyntheticEseSet.StreamSeedFor(directory, seed),
        });
        Report(set, clock.Elapsed);
        return 0;
    }

    private static int AppendLogs(string[] args)
    {
        if (args.Length != 2)
        {
            throw new ArgumentException("usage: append-logs DIR COUNT");
        }

        var clock = Stopwatch.StartNew();
        var set = SyntheticEseSet.AppendLogs(Path.GetFullPath(args[0]), int.Parse(args[1], CultureInfo.InvariantCulture));
        Report(set, clock.Elapsed);
        return 0;
    }

    private static void Report(SyntheticEseSetInfo set, TimeSpan elapsed)
    {
        var bytes = Directory.EnumerateFiles(set.Directory).Sum(f => new FileInfo(f).Length);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"directory\":{System.Text.Json.JsonSerializer.Serialize(set.Directory)},\"databases\":{set.Databases.Count},\"logs\":{set.LogPaths.Count},\"firstGeneration\":{set.FirstGeneration},\"currentGeneration\":{set.CurrentGeneration},\"bytes\":{bytes},\"seconds\":{elapsed.TotalSeconds:F2}}}"));
    }
}
