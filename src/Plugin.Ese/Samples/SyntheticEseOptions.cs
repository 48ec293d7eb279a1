using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Samples;

/// <summary>State of the synthetic databases.</summary>
internal enum SyntheticDatabaseState
{
    /// <summary>CleanShutdown: self-consistent, no logs required.</summary>
    Clean,

    /// <summary>DirtyShutdown: requires the generations from the checkpoint to the current log.</summary>
    Dirty,
}

/// <summary>What <see cref="SyntheticEseSet.Create"/> writes.</summary>
internal sealed record SyntheticEseOptions
{
    /// <summary>Three-character log base name.</summary>
    public string BaseName { get; init; } = "edb";

    /// <summary>Database page size: 4, 8, 16 or 32 KiB.</summary>
    public int PageSize { get; init; } = 8192;

    /// <summary>Page checksum format; large pages always use XE, whatever this says.</summary>
    public PageChecksumKind ChecksumKind { get; init; } = PageChecksumKind.Xe;

    /// <summary>Number of databases (<c>database1.edb</c>, <c>database2.edb</c>, ...).</summary>
    public int DatabaseCount { get; init; } = 1;

    /// <summary>Size of each database file in bytes (rounded down to whole pages; at least the header pages and one data page).</summary>
    public long DatabaseSize { get; init; } = 4L << 20;

    /// <summary>Data pages per database; overrides <see cref="DatabaseSize"/> when set.</summary>
    public long? DatabasePages { get; init; }

    /// <summary>Share of data pages left uninitialised (all zero): the file's tail and some scattered pages.</summary>
    public double UninitializedPageFraction { get; init; } = 0.15;

    /// <summary>Clean or dirty databases.</summary>
    public SyntheticDatabaseState DatabaseState { get; init; } = SyntheticDatabaseState.Clean;

    /// <summary>Log generations written, the last being the current log <c>&lt;base&gt;.log</c>.</summary>
    public int LogGenerations { get; init; } = 4;

    /// <summary>First log generation.</summary>
    public int FirstGeneration { get; init; } = 1;

    /// <summary>Size of each log file: a multiple of 4096 with room for the header, two data segments and the shadow slot.</summary>
    public int LogFileSize { get; init; } = 128 * 1024;

    /// <summary>Circular logging flag in the log and checkpoint headers.</summary>
    public bool CircularLogging { get; init; }

    /// <summary>Seed: the same options and seed always give the same bytes.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>
    /// Seeds the log stream's identity (the logs' signature, and with it their content) apart from <see cref="Seed"/>:
    /// two sets made with the same seed in two places are then two streams, not two copies of one (which a plugin keeps
    /// apart by location and re-checks on every backup). <see langword="null"/>: derived from <see cref="Seed"/>.
    /// See <see cref="SyntheticEseSet.StreamSeedFor"/>.
    /// </summary>
    public ulong? StreamSeed { get; init; }

    /// <summary>Creation time of the first generation (later ones follow a minute apart).</summary>
    public DateTimeOffset StartTime { get; init; } = new(2024, 5, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Computer name in the signatures.</summary>
    public string ComputerName { get; init; } = "SYNTHETIC";

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public void Validate()
    {
        if (BaseName.Length != LogFileName.BaseNameLength || BaseName.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new ArgumentException("The base name must be three file-name characters.", nameof(BaseName));
        }

        if (PageSize is not (4096 or 8192 or 16384 or 32768))
        {
            throw new ArgumentException("The page size must be 4, 8, 16 or 32 KiB.", nameof(PageSize));
        }

        if (DatabaseCount is < 0 or > 100)
        {
            throw new ArgumentException("Between 0 and 100 databases.", nameof(DatabaseCount));
        }

        if (DataPages < 1)
        {
            throw new ArgumentException("A database needs at least one data page.", nameof(DatabaseSize));
        }

        if (LogGenerations < 1 || FirstGeneration < 1 || (long)FirstGeneration + LogGenerations > int.MaxValue)
        {
            throw new ArgumentException("At least one log generation, starting at 1 or later.", nameof(LogGenerations));
        }

        if (LogFileSize % 4096 != 0 || LogFileSize < 4 * 4096 || LogFileSize / 4096 > ushort.MaxValue)
        {
            throw new ArgumentException("The log size must be a multiple of 4096 between 16 KiB and 256 MiB.", nameof(LogFileSize));
        }

        if (UninitializedPageFraction is < 0 or >= 1)
        {
            throw new ArgumentException("The uninitialised fraction must be in [0, 1).", nameof(UninitializedPageFraction));
        }
    }

    /// <summary>Data pages per database.</summary>
    public long DataPages => DatabasePages ?? ((DatabaseSize / PageSize) - 2);
}
