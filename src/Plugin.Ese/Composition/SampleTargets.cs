using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Composition;

/// <summary>Serves the contract's sample-target capability with the Format layer's synthetic set generator.</summary>
internal static class SampleTargets
{
    public static Task<SampleTarget> CreateAsync(SampleTargetRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var dir = Path.GetFullPath(request.Directory);
        if (Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any())
        {
            throw new IOException($"Sample directory '{dir}' is not empty.");
        }

        return Task.Run(
            () =>
            {
                try
                {
                    var info = SyntheticEseSet.Create(dir, new SyntheticEseOptions
                    {
                        BaseName = request.BaseName,
                        PageSize = request.PageSize,
                        DatabaseCount = request.DatabaseCount,
                        DatabaseSize = request.DatabaseBytes,
                        LogGenerations = request.LogGenerations,
                        DatabaseState = SyntheticDatabaseState.Dirty,
                        Seed = (ulong)request.Seed,
                        StreamSeed = SyntheticEseSet.StreamSeedFor(dir, (ulong)request.Seed),
                    });
                    ct.ThrowIfCancellationRequested();
                    return Describe(info);
                }
                catch
                {
                    // Never leave half a sample behind.
                    if (Directory.Exists(dir))
                    {
                        Directory.Delete(dir, recursive: true);
                    }

                    throw;
                }
            },
            ct);
    }

    public static Task<SampleTarget> AdvanceAsync(string directory, int newGenerations, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(newGenerations);
        return Task.Run(() => Describe(SyntheticEseSet.AppendLogs(Path.GetFullPath(directory), newGenerations)), ct);
    }

    private static SampleTarget Describe(SyntheticEseSetInfo info) => new(
        info.Directory,
        [.. info.Databases.Select(d => d.Path)],
        new GenerationRange(info.FirstGeneration, info.CurrentGeneration),
        info.CheckpointGeneration,
        Directory.EnumerateFiles(info.Directory).Sum(f => new FileInfo(f).Length));
}
