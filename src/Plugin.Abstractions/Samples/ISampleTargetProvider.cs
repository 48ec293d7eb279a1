using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Samples;

/// <summary>
/// Optional capability: the plugin can write synthetic but format-exact targets (valid headers, page and
/// log checksums, a consistent log chain) so that a host can try every operation without real data — for
/// demos, integration tests and benchmarks. A host discovers it with a type test on the plugin object.
/// </summary>
public interface ISampleTargetProvider
{
    /// <summary>Writes a new sample file set into an empty (or new) directory.</summary>
    /// <param name="request">Where and how large.</param>
    /// <param name="cancellationToken">Stops writing; partial output is removed.</param>
    Task<SampleTarget> CreateSampleTargetAsync(SampleTargetRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Simulates the database engine working on: the current log is archived, <paramref name="newGenerations"/>
    /// new generations are written, and the checkpoint and database headers move forward so older logs
    /// become truncatable.
    /// </summary>
    /// <param name="directory">A directory written by <see cref="CreateSampleTargetAsync"/>.</param>
    /// <param name="newGenerations">How many generations to add.</param>
    /// <param name="cancellationToken">Stops writing.</param>
    Task<SampleTarget> AdvanceSampleTargetAsync(string directory, int newGenerations, CancellationToken cancellationToken = default);
}

/// <summary>What sample to write.</summary>
/// <param name="Directory">Target directory (created if missing; must be empty).</param>
public sealed record SampleTargetRequest(string Directory)
{
    /// <summary>Size of each database file in bytes (rounded to whole pages).</summary>
    public long DatabaseBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Database page size: 4096, 8192, 16384 or 32768.</summary>
    public int PageSize { get; init; } = 8192;

    /// <summary>Number of databases sharing the log stream.</summary>
    public int DatabaseCount { get; init; } = 1;

    /// <summary>Log generations to write (archived ones plus the current log).</summary>
    public int LogGenerations { get; init; } = 5;

    /// <summary>Three-character log base name.</summary>
    public string BaseName { get; init; } = "edb";

    /// <summary>Seed for the content, so that runs are reproducible.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>A written sample.</summary>
/// <param name="Directory">Where it is.</param>
/// <param name="Databases">Database files.</param>
/// <param name="Logs">Log generations present (archived and current).</param>
/// <param name="CheckpointGeneration">Generation the checkpoint points at.</param>
/// <param name="TotalBytes">Bytes written in all files.</param>
public sealed record SampleTarget(string Directory, IReadOnlyList<string> Databases, GenerationRange Logs, long CheckpointGeneration, long TotalBytes);
