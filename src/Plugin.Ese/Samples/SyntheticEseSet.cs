using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Samples;

/// <summary>One synthetic database.</summary>
/// <param name="Path">The file.</param>
/// <param name="DatabaseSignature">Its <c>signDb</c>.</param>
/// <param name="PageSize">Page size.</param>
/// <param name="DataPages">Data pages (file length = (2 + pages) * page size).</param>
/// <param name="State">Header state.</param>
/// <param name="RequiredLogRange">Generations it requires (dirty databases only).</param>
internal sealed record SyntheticDatabaseInfo(
    string Path, EseSignature DatabaseSignature, int PageSize, long DataPages, DatabaseState State, (int Low, int High)? RequiredLogRange);

/// <summary>What a synthetic set holds.</summary>
/// <param name="Directory">The directory.</param>
/// <param name="BaseName">Log base name.</param>
/// <param name="LogSignature">The stream's <c>signLog</c> (in every log, the checkpoint and every database).</param>
/// <param name="Databases">The databases.</param>
/// <param name="LogPaths">Every log, by generation; the last is the current log.</param>
/// <param name="CurrentLogPath"><c>&lt;base&gt;.log</c>.</param>
/// <param name="CheckpointPath"><c>&lt;base&gt;.chk</c>.</param>
/// <param name="FirstGeneration">Lowest generation present.</param>
/// <param name="CurrentGeneration">Generation of the current log.</param>
/// <param name="CheckpointGeneration">Generation the checkpoint points at.</param>
internal sealed record SyntheticEseSetInfo(
    string Directory,
    string BaseName,
    EseSignature LogSignature,
    IReadOnlyList<SyntheticDatabaseInfo> Databases,
    IReadOnlyList<string> LogPaths,
    string CurrentLogPath,
    string CheckpointPath,
    int FirstGeneration,
    int CurrentGeneration,
    int CheckpointGeneration);

/// <summary>
/// Writes realistic ESE file sets with real formats and valid checksums: databases (header + shadow, data pages,
/// uninitialised pages), a consistent chain of v8 logs (same <c>signLog</c>, <c>tmPrevGen</c> = previous
/// <c>tmCreate</c>, correct <c>checksumPrevLogAllSegments</c>, shadow segments), the current log and a checkpoint
/// with both copies. Deterministic by seed; databases are streamed, so multi-gigabyte sets need no more memory than
/// small ones. Used by the demo command, tests and benchmarks.
/// </summary>
internal static class SyntheticEseSet
{
    private const string DatabaseSystemPath = @"C:\Synthetic\";

    /// <summary>
    /// A stream seed (<see cref="SyntheticEseOptions.StreamSeed"/>) of its own for each directory, still reproducible (the
    /// same seed in the same directory gives the same stream). Samples made with one seed in several temporary
    /// directories would otherwise all be copies of one log stream, which a plugin re-reads on every backup.
    /// </summary>
    public static ulong StreamSeedFor(string directory, ulong seed) =>
        BitConverter.ToUInt64(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{seed}\n{Path.GetFullPath(directory)}"))), 0);

    /// <summary>Creates a set in <paramref name="directory"/> (created if needed; files of the same names are replaced).</summary>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public static SyntheticEseSetInfo Create(string directory, SyntheticEseOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Directory.CreateDirectory(directory);

        var created = options.StartTime;
        // The log content derives from signLog's random number, so AppendLogs can rebuild it from the files alone.
        var contentSeed = (ulong)(uint)SplitMix64.For(options.StreamSeed ?? options.Seed, 0x106).Next();
        var signLog = EseSignature.Create((uint)contentSeed, LogTime.FromDateTimeOffset(created), options.ComputerName);
        var first = options.FirstGeneration;
        var current = first + options.LogGenerations - 1;
        var dirty = options.DatabaseState == SyntheticDatabaseState.Dirty;
        var checkpointGen = dirty ? Math.Max(first, current - 1) : current;

        var databases = new List<(string Name, EseSignature Signature)>();
        for (var i = 1; i <= options.DatabaseCount; i++)
        {
            var random = (uint)SplitMix64.For(options.Seed, 0xDB, (ulong)i).Next();
            databases.Add(($"database{i}.edb", EseSignature.Create(random, LogTime.FromDateTimeOffset(created.AddDays(-1).AddSeconds(i)), options.ComputerName)));
        }

        var attached = databases
            .Select((d, i) => new AttachInfo(
                (byte)(i + 1),
                AttachInfo.UnicodeNamesFlag,
                0x1000,
                100,
                0,
                new LogPosition(0, 1, first),
                new LogPosition(0, 1, first),
                d.Signature,
                DatabaseSystemPath + d.Name))
            .ToList();
        var attachList = new AttachInfoList(attached, true);

        // Logs, oldest first: each header carries the previous generation's creation time and segment checksum.
        var logPaths = new List<string>();
        LogFileHeader? previous = null;
        ulong previousAccumulated = 0;
        var times = new Dictionary<int, LogTime>();
        for (var g = first; g <= current; g++)
        {
            var header = previous is null
                ? FirstLogHeader(options, signLog, attachList, g, created)
                : NextLogHeader(previous, previousAccumulated, g);
            var path = Path.Combine(directory, g == current ? options.BaseName + ".log" : LogFileName.ArchivedName(options.BaseName, g));
            previousAccumulated = SyntheticLogWriter.Write(path, header, contentSeed, complete: g != current);
            times[g] = header.Created;
            previous = header;
            logPaths.Add(path);
        }

        var checkpointPath = Path.Combine(directory, options.BaseName + ".chk");
        WriteCheckpoint(checkpointPath, previous!, checkpointGen, attachList);

        var infos = new List<SyntheticDatabaseInfo>();
        for (var i = 0; i < databases.Count; i++)
        {
            var (name, signature) = databases[i];
            var header = DatabaseHeaderFor(options, signature, signLog, (uint)(i + 1), first, checkpointGen, current, times[current], dirty);
            var path = Path.Combine(directory, name);
            var pageSeed = SplitMix64.For(options.Seed, 0x9A6E, (ulong)i).Next();
            SyntheticDatabaseWriter.Write(path, header, options.DataPages, options.ChecksumKind, options.UninitializedPageFraction, pageSeed);
            infos.Add(new SyntheticDatabaseInfo(path, signature, options.PageSize, options.DataPages, header.State, header.RequiredLogRange));
        }

        return new SyntheticEseSetInfo(directory, options.BaseName, signLog, infos, logPaths, logPaths[^1], checkpointPath, first, current, checkpointGen);
    }

    /// <summary>
    /// Simulates the engine moving on by <paramref name="count"/> generations: the current log is completed and
    /// renamed to its generation's archived name, new generations follow (the last one current), and the checkpoint
    /// and the databases' required generations advance (headers rewritten with valid checksums, both copies), so
    /// that the older logs become truncatable.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The directory does not hold a set this generator made.</exception>
    public static SyntheticEseSetInfo AppendLogs(string directory, int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var checkpoints = Directory.GetFiles(directory, "*.chk");
        if (checkpoints.Length != 1)
        {
            throw new InvalidOperationException($"{directory} does not hold exactly one checkpoint file.");
        }

        var checkpointPath = checkpoints[0];
        var baseName = Path.GetFileNameWithoutExtension(checkpointPath);
        var currentPath = Path.Combine(directory, baseName + ".log");
        var header = ReadLogHeader(currentPath);
        var contentSeed = (ulong)header.Signature.Random;
        var generation = header.Generation;

        // The current generation, now complete, under its archived name.
        var archived = Path.Combine(directory, LogFileName.ArchivedName(baseName, generation));
        var accumulated = SyntheticLogWriter.Write(archived, header, contentSeed, complete: true);
        File.Delete(currentPath);

        var previous = header;
        for (var g = generation + 1; g <= generation + count; g++)
        {
            var next = NextLogHeader(previous, accumulated, g);
            var complete = g < generation + count;
            var path = complete ? Path.Combine(directory, LogFileName.ArchivedName(baseName, g)) : currentPath;
            accumulated = SyntheticLogWriter.Write(path, next, contentSeed, complete);
            previous = next;
        }

        var current = generation + count;
        var databases = FindDatabases(directory, header.Signature);
        var dirty = databases.Any(d => d.Header.State.NeedsLogs());
        var checkpointGen = dirty ? current - 1 : current;
        var selection = CheckpointSelection.Select(File.ReadAllBytes(checkpointPath));
        if (selection.Header is null || selection.UsedCopy == HeaderCopy.None)
        {
            throw new InvalidOperationException($"{checkpointPath} has no valid copy.");
        }

        WriteCheckpoint(checkpointPath, previous, checkpointGen, selection.Header.AttachedDatabases);

        var infos = new List<SyntheticDatabaseInfo>();
        foreach (var (path, old) in databases)
        {
            var updated = Advance(old, checkpointGen, current, previous.Created);
            RewriteHeader(path, updated);
            var pages = (new FileInfo(path).Length / old.PageSize) - 2;
            infos.Add(new SyntheticDatabaseInfo(path, updated.DatabaseSignature, updated.PageSize, pages, updated.State, updated.RequiredLogRange));
        }

        var logs = Directory.GetFiles(directory, baseName + "*.log")
            .Select(p => (Path: p, Name: LogFileName.TryParse(Path.GetFileName(p))))
            .Where(x => x.Name is { Kind: LogFileNameKind.Archived or LogFileNameKind.Current })
            .Select(x => (x.Path, Generation: x.Name!.Kind == LogFileNameKind.Current ? current : (int)x.Name.Generation!.Value))
            .OrderBy(x => x.Generation)
            .ToList();
        return new SyntheticEseSetInfo(
            directory, baseName, header.Signature, infos, [.. logs.Select(l => l.Path)], currentPath, checkpointPath, logs[0].Generation, current, checkpointGen);
    }

    /// <summary>The header of a log file, which must be whole and valid.</summary>
    private static LogFileHeader ReadLogHeader(string path)
    {
        var head = new byte[LogFileHeader.Size];
        using (var s = File.OpenRead(path))
        {
            if (s.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length)
            {
                throw new InvalidOperationException($"{path} is shorter than a log header.");
            }
        }

        if (!XorChecksum.IsValid(head))
        {
            throw new InvalidOperationException($"{path} has no valid log header.");
        }

        return LogFileHeader.Read(head);
    }

    /// <summary>A database header after the log stream moved on to <paramref name="current"/>: a dirty one needs the new logs, a clean one was detached there.</summary>
    private static DatabaseHeader Advance(DatabaseHeader old, int checkpointGen, int current, LogTime created)
        => old.State.NeedsLogs()
            ? old with
            {
                GenMinRequired = checkpointGen,
                GenMaxRequired = current,
                GenMaxCommitted = current,
                GenMinConsistent = checkpointGen,
                GenMaxRequiredCreated = created,
                GenMaxRequiredTime = created,
                DbTimeDirtied = old.DbTimeDirtied + 1000,
            }
            : old with
            {
                ConsistentPosition = new LogPosition(0, 2, current),
                ConsistentTime = created,
                DetachPosition = new LogPosition(0, 2, current),
                DetachTime = created,
            };

    private static LogFileHeader FirstLogHeader(SyntheticEseOptions options, EseSignature signLog, AttachInfoList attached, int generation, DateTimeOffset created) => new()
    {
        Generation = generation,
        SectorSize = LogSegmentHeader.SegmentSize,
        HeaderSectors = 1,
        FileSectors = (ushort)(options.LogFileSize / LogSegmentHeader.SegmentSize),
        DatabasePageSizeField = (ushort)options.PageSize,
        Created = LogTime.FromDateTimeOffset(created),
        PreviousGenerationCreated = generation == 1 ? LogTime.None : LogTime.FromDateTimeOffset(created.AddMinutes(-1)),
        Version = new LogVersion(8, 4000, 90, 200),
        Signature = signLog,
        Dbms = Dbms(options.LogFileSize / LogSegmentHeader.SegmentSize, options.CircularLogging),
        Flags = options.CircularLogging ? LogFileFlags.CircularLogging | LogFileFlags.CircularLoggingWasOn : LogFileFlags.None,
        Checkpoint = new LogPosition(0, 1, Math.Max(1, generation - 1)),
        EngineFormatVersion = 0x620,
        FileType = LogFileHeader.LogFileType,
        AttachedDatabases = attached,
    };

    private static LogFileHeader NextLogHeader(LogFileHeader previous, ulong previousAccumulated, int generation)
    {
        var created = (previous.Created.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch).AddMinutes(1);
        return previous with
        {
            Generation = generation,
            Created = LogTime.FromDateTimeOffset(created),
            PreviousGenerationCreated = previous.Created,
            PreviousLogAccumulatedChecksum = previousAccumulated,
            Checkpoint = new LogPosition(0, 1, generation - 1),
        };
    }

    private static DbmsParameters Dbms(int logSectors, bool circular) =>
        new(DatabaseSystemPath, DatabaseSystemPath, circular ? DbmsParameters.CircularLoggingFlag : (byte)0, 64, 1024, 1024, 4096, 126, (uint)logSectors, 0);

    private static void WriteCheckpoint(string path, LogFileHeader newest, int checkpointGen, AttachInfoList attached)
    {
        var checkpoint = new CheckpointHeader
        {
            Checkpoint = new LogPosition(0, 1, checkpointGen),
            Signature = newest.Signature,
            Dbms = newest.Dbms,
            VersionFlags = CheckpointHeader.AttachInfoPresentFlag,
            DbConsistency = new LogPosition(0, 1, checkpointGen),
            FileType = CheckpointHeader.CheckpointFileType,
            AttachedDatabases = attached,
        };
        var image = new byte[CheckpointHeader.FileSize];
        checkpoint.WriteFile(image);
        File.WriteAllBytes(path, image);
    }

    private static DatabaseHeader DatabaseHeaderFor(
        SyntheticEseOptions options, EseSignature signDb, EseSignature signLog, uint dbid, int first, int checkpointGen, int current, LogTime currentCreated, bool dirty)
    {
        var xe = PageHeader.IsLargePage(options.PageSize) || options.ChecksumKind == PageChecksumKind.Xe;
        var revision = xe ? 0x14u : 0x09u;
        var attachTime = LogTime.FromDateTimeOffset(options.StartTime.AddSeconds(5));
        return new DatabaseHeader
        {
            MagicValue = DatabaseHeader.Magic,
            FormatVersion = DatabaseHeader.CurrentFormatVersion,
            DbTimeDirtied = 0x1000 + (ulong)options.DataPages,
            DatabaseSignature = signDb,
            StateValue = (uint)(dirty ? DatabaseState.DirtyShutdown : DatabaseState.CleanShutdown),
            ConsistentPosition = new LogPosition(0, 2, dirty ? first : current),
            ConsistentTime = dirty ? attachTime : currentCreated,
            AttachTime = attachTime,
            AttachPosition = new LogPosition(0, 1, first),
            DetachTime = dirty ? LogTime.None : currentCreated,
            DetachPosition = dirty ? LogPosition.None : new LogPosition(0, 2, current),
            DatabaseId = dbid,
            LogSignature = signLog,
            ObjidLast = 100,
            OsMajorVersion = 10,
            OsMinorVersion = 0,
            OsBuildNumber = 26100,
            FormatRevision = revision,
            PageSizeField = (uint)options.PageSize,
            GenMinRequired = dirty ? checkpointGen : 0,
            GenMaxRequired = dirty ? current : 0,
            GenMaxCommitted = dirty ? current : 0,
            GenMinConsistent = dirty ? checkpointGen : 0,
            GenMaxRequiredCreated = dirty ? currentCreated : LogTime.None,
            GenMaxRequiredTime = dirty ? currentCreated : LogTime.None,
            CreateVersion = DatabaseHeader.CurrentFormatVersion,
            CreateRevision = revision,
            FileType = DatabaseHeader.DatabaseFileType,
        };
    }

    private static List<(string Path, DatabaseHeader Header)> FindDatabases(string directory, EseSignature signLog)
    {
        var found = new List<(string, DatabaseHeader)>();
        foreach (var path in Directory.GetFiles(directory).Order(StringComparer.Ordinal))
        {
            var length = new FileInfo(path).Length;
            var head = new byte[(int)Math.Min(length, DatabaseHeaderSelection.MaxPrefixNeeded)];
            using (var s = File.OpenRead(path))
            {
                s.ReadExactly(head);
            }

            var selection = DatabaseHeaderSelection.Select(head, length);
            if (selection.IsValid && selection.Header is { HasValidMagic: true } h && h.LogSignature == signLog)
            {
                found.Add((path, h));
            }
        }

        return found;
    }

    private static void RewriteHeader(string path, DatabaseHeader header)
    {
        var page = new byte[header.PageSize];
        header.WritePage(page);
        using var s = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
        s.Write(page);
        s.Write(page);
    }
}
