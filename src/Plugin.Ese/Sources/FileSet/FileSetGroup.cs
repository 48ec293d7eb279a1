using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// The files of one ESE file set as found on disk: databases, logs and checkpoint sharing one log
/// signature (several sets in one directory are several groups).
/// </summary>
internal sealed record FileSetGroup(string LogSignature, string Location, IReadOnlyList<ProbedFile> Databases, IReadOnlyList<ProbedFile> Logs, ProbedFile? Checkpoint)
{
    /// <summary>ESE-looking files in the set's directory that could not be read or identified (damaged headers).</summary>
    public IReadOnlyList<ProbedFile> Problems { get; init; } = [];

    /// <summary>
    /// The other files in the set's directory tree (not ESE by their own bytes, flush maps, reserve logs, empty files, other
    /// sets' files): where a database whose headers are destroyed still sits, found by name through the set's other witnesses.
    /// </summary>
    public IReadOnlyList<ProbedFile> Others { get; init; } = [];

    /// <summary>The scan stopped at <c>FileSet:MaxFilesPerRoot</c>: files of this set may be missing from it.</summary>
    public bool ScanTruncated { get; init; }

    /// <summary>The log base name (from log or checkpoint names).</summary>
    public string? BaseName => Logs.Select(l => l.BaseName).Concat([Checkpoint?.BaseName]).FirstOrDefault(b => b is not null);

    /// <summary>The current log (<c>&lt;base&gt;.log</c>), if present.</summary>
    public ProbedFile? CurrentLog => Logs.FirstOrDefault(l => l.IsCurrentLog);

    /// <summary>Newest generation present (the current log's, normally).</summary>
    public long? NewestGeneration => Logs.Count == 0 ? null : Logs.Max(l => l.Generation!.Value);

    /// <summary>Oldest generation present.</summary>
    public long? OldestGeneration => Logs.Count == 0 ? null : Logs.Min(l => l.Generation!.Value);

    /// <summary>Circular logging on or once on, by any log header.</summary>
    public bool CircularLogging => Logs.Any(l => l.CircularLogging) || Checkpoint?.CircularLogging == true;

    /// <summary>One log per generation (an archived copy beats a stray duplicate; the current log is its own generation).</summary>
    public IReadOnlyDictionary<long, ProbedFile> ByGeneration =>
        Logs.GroupBy(l => l.Generation!.Value).ToDictionary(g => g.Key, g => g.OrderBy(l => l.IsCurrentLog ? 1 : 0).First());

    /// <summary>Generations present as contiguous ranges.</summary>
    public IReadOnlyList<GenerationRange> PresentRanges => Ranges(ByGeneration.Keys.Order());

    /// <summary>
    /// Generations missing between the oldest and newest present, as ranges between neighbours present: never sized by the
    /// distance between two generations (a header claiming generation 2147483647 must not allocate two billion entries).
    /// </summary>
    public IReadOnlyList<GenerationRange> MissingRanges
    {
        get
        {
            var present = ByGeneration.Keys.Order().ToList();
            var missing = new List<GenerationRange>();
            for (var i = 1; i < present.Count; i++)
            {
                if (present[i] > present[i - 1] + 1)
                {
                    missing.Add(new GenerationRange(present[i - 1] + 1, present[i] - 1));
                }
            }

            return missing;
        }
    }

    /// <summary>
    /// The lowest generation still needed: the checkpoint's and every dirty database's genMinRequired;
    /// <see langword="null"/> when nothing needs any log (clean databases, no checkpoint).
    /// </summary>
    public long? LowestNeededGeneration
    {
        get
        {
            var needs = Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null).Select(d => d.RequiredRange!.Low).ToList();
            if (Checkpoint?.Generation is { } c)
            {
                needs.Add(c);
            }

            return needs.Count == 0 ? null : needs.Min();
        }
    }

    public static IReadOnlyList<GenerationRange> Ranges(IEnumerable<long> generations)
    {
        var list = new List<GenerationRange>();
        long? start = null, prev = null;
        foreach (var g in generations)
        {
            if (start is null)
            {
                start = prev = g;
            }
            else if (g == prev + 1)
            {
                prev = g;
            }
            else
            {
                list.Add(new GenerationRange(start.Value, prev!.Value));
                start = prev = g;
            }
        }

        if (start is not null)
        {
            list.Add(new GenerationRange(start.Value, prev!.Value));
        }

        return list;
    }
}
