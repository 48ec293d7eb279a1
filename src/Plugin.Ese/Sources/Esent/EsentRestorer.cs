using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Windows.Esent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>Options of one ESE restore.</summary>
internal sealed record EsentRestoreOptions
{
    /// <summary>Name of the temporary restore instance; a unique one when omitted.</summary>
    public string? InstanceName { get; init; }

    /// <summary>Log directory of the restore instance (JET_paramLogFilePath); the destination when omitted.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Checkpoint directory of the restore instance (JET_paramSystemPath); the destination when omitted.</summary>
    public string? SystemDirectory { get; init; }

    /// <summary>Allow a destination that already holds files.</summary>
    public bool AllowNonEmptyDestination { get; init; }
}

/// <summary>One database of a restore layout.</summary>
/// <param name="Path">The database image.</param>
/// <param name="PatchPath">Its <c>.pat</c> file.</param>
/// <param name="GenLow">First generation it needs (bkinfoFullCur.genLow).</param>
/// <param name="GenHigh">Last generation it needs (trailer genHigh).</param>
internal sealed record EsentRestoreDatabase(string Path, string PatchPath, long GenLow, long GenHigh);

/// <summary>A checked restore layout.</summary>
/// <param name="Directory">The directory JetRestoreInstance will read (the laid-out directory, or its <c>new</c>/<c>old</c> sub-directory).</param>
/// <param name="BaseName">The logs' base name.</param>
/// <param name="Databases">Databases found through their <c>.pat</c> files.</param>
/// <param name="Logs">The contiguous log generations present.</param>
/// <param name="PageSize">Database page size.</param>
/// <param name="LogFileSizeKiB">Log file size (KiB).</param>
internal sealed record EsentRestoreLayout(string Directory, string BaseName, IReadOnlyList<EsentRestoreDatabase> Databases, GenerationRange Logs, int PageSize, int LogFileSizeKiB)
{
    /// <summary>
    /// <c>JET_paramLegacyFileNames</c> matching the logs' names: ESE only finds logs named the way its instance names
    /// them (<c>.log</c> needs <c>JET_bitESE98FileNames</c>, 5-digit generations <c>JET_bitEightDotThreeSoftCompat</c>).
    /// </summary>
    public uint LegacyFileNames { get; init; } = 3;
}

/// <summary>Outcome of a restore.</summary>
/// <param name="Error">The failure, or <see langword="null"/>.</param>
/// <param name="Layout">The layout that was checked (also on failure, when it got that far).</param>
/// <param name="RestoredDatabases">Database files written to the destination.</param>
internal sealed record EsentRestoreResult(PluginError? Error, EsentRestoreLayout? Layout, IReadOnlyList<string> RestoredDatabases)
{
    /// <summary>True when ESE restored the set.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Restores a laid-out backup set with JetRestoreInstanceW (reference §8), after checking the layout
/// ESE needs: databases, one <c>&lt;name&gt;.pat</c> per database and the logs, in one directory
/// (§6.6); backup images (bkinfoFullCur set, a valid trailer matching the header); one log stream
/// whose generations are contiguous, chained in time and cover every database's range.
/// </summary>
/// <remarks>
/// The restore engine lays the chain out (the full's databases and <c>.pat</c> files plus the logs of the
/// full and its incrementals, newest copy of each generation) and calls <see cref="RestoreAsync"/>.
/// <see cref="CheckLayout"/> runs anywhere; the restore itself needs esent.dll.
/// </remarks>
internal sealed class EsentRestorer : IEseRestorer
{
    private readonly ILogger _logger;

    /// <summary>Whether esent.dll is usable in this process (the restore engine's port).</summary>
    public bool IsAvailable => EsentNativeGate.IsAvailable;

    /// <summary>Creates the restorer.</summary>
    /// <param name="options">Source options (enables the native path off Windows for the ABI fake).</param>
    /// <param name="logger">Logger.</param>
    public EsentRestorer(EsentSourceOptions options, ILogger<EsentRestorer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        EsentNativeGate.Configure(options);
    }

    /// <summary>The restore engine's port: ESE restores the laid-out chain into the destination the engine created.</summary>
    async Task<PluginError?> IEseRestorer.RestoreAsync(string layoutDirectory, string destination, CancellationToken cancellationToken)
        => (await RestoreAsync(layoutDirectory, destination, new EsentRestoreOptions { AllowNonEmptyDestination = true }, null, cancellationToken)).Error;

    /// <summary>
    /// Checks <paramref name="laidOutDirectory"/> and lets ESE restore it into <paramref name="destination"/>
    /// (databases there; the restore instance's logs and checkpoint there too unless the options say
    /// otherwise). Progress: ESE's restore notifications (begin / progress / complete).
    /// </summary>
    public async Task<EsentRestoreResult> RestoreAsync(string laidOutDirectory, string destination, EsentRestoreOptions? options = null, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(laidOutDirectory);
        ArgumentException.ThrowIfNullOrEmpty(destination);
        options ??= new EsentRestoreOptions();
        var (layout, error) = CheckLayout(laidOutDirectory);
        if (layout is null)
        {
            return new EsentRestoreResult(error, null, []);
        }

        destination = Path.GetFullPath(destination);
        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any() && !options.AllowNonEmptyDestination)
        {
            return new EsentRestoreResult(new PluginError(ErrorCodes.DestinationNotEmpty, $"The restore destination {destination} is not empty.") { File = destination }, layout, []);
        }

        if (!EsentNativeGate.IsAvailable)
        {
            return new EsentRestoreResult(new PluginError(ErrorCodes.PlatformNotSupported, "JetRestoreInstance exists only on Windows; the layout was checked and is restorable."), layout, []);
        }

        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(destination);
        var result = await RestoreOnWorkerAsync(layout, destination, options, new EsentProgress(progress, OperationKind.Restore));
        if (result.Error is not null)
        {
            _logger.LogWarning("Restore of {Directory} into {Destination} failed: {Error}", layout.Directory, destination, result.Error);
        }

        return result;
    }

    /// <summary>Checks a laid-out directory the way JetRestoreInstance will look at it (§8, §6.6).</summary>
    public static (EsentRestoreLayout? Layout, PluginError? Error) CheckLayout(string laidOutDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(laidOutDirectory);
        var root = Path.GetFullPath(laidOutDirectory);
        if (!Directory.Exists(root))
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errInvalidPath, $"The restore directory {root} does not exist.", root));
        }

        // ESE looks for logs in the directory, then in new\, then in old\.
        var directory = new[] { root, Path.Combine(root, "new"), Path.Combine(root, "old") }
            .FirstOrDefault(d => Directory.Exists(d) && Directory.EnumerateFiles(d).Any(f => LogFileName.ArchivedGeneration(Path.GetFileName(f)) is not null));
        if (directory is null)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errFileNotFound, $"No transaction log was found in {root} (nor in its new or old sub-directory).", root));
        }

        var (logs, baseName, legacyFileNames, namesError) = ScanLogNames(directory);
        if (namesError is not null)
        {
            return (null, namesError);
        }

        var (logError, signLog, logBytes) = CheckLogChain(logs);
        if (logError is not null)
        {
            return (null, logError);
        }

        var range = new GenerationRange(logs.Keys.First(), logs.Keys.Last());
        var databases = new List<EsentRestoreDatabase>();
        var pageSizes = new HashSet<int>();
        var patches = Directory.EnumerateFiles(directory, "*.pat").Order(StringComparer.Ordinal).ToList();
        foreach (var file in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".pat", StringComparison.OrdinalIgnoreCase) || LogFileName.ArchivedGeneration(Path.GetFileName(file)) is not null)
            {
                continue;
            }

            var header = EseHeaderFiles.TryReadDatabase(file);
            if (header is null)
            {
                continue;
            }

            var patch = Path.Combine(directory, Path.GetFileNameWithoutExtension(file) + ".pat");
            if (!File.Exists(patch))
            {
                return (null, EseErrorMapper.Detected(JetErr.JET_errPatchFileMissing, $"Database {file} has no {Path.GetFileName(patch)}: JetRestoreInstance finds databases through their .pat files.", file));
            }

            var (databaseError, database) = CheckDatabase(file, patch, header, signLog, range);
            if (databaseError is not null)
            {
                return (null, databaseError);
            }

            pageSizes.Add(header.PageSize);
            databases.Add(database!);
            patches.Remove(patch);
        }

        if (databases.Count == 0)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errPatchFileMissing, $"{directory} holds no database with a .pat file: nothing to restore.", directory));
        }

        if (patches.Count > 0)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errFileNotFound, $"{patches[0]} names a database that is not in {directory}.", patches[0]));
        }

        if (pageSizes.Count != 1)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errPageSizeMismatch, $"The databases in {directory} use different page sizes.", directory));
        }

        return (new EsentRestoreLayout(directory, baseName, databases, range, pageSizes.First(), (int)(logBytes / 1024)) { LegacyFileNames = legacyFileNames }, null);
    }

    /// <summary>The archived logs in <paramref name="directory"/> by generation; they must share one base name and one extension.</summary>
    private static (SortedDictionary<long, string> Logs, string BaseName, uint LegacyFileNames, PluginError? Error) ScanLogNames(string directory)
    {
        var logs = new SortedDictionary<long, string>();
        var bases = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var extensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var fiveDigitNames = false;
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (LogFileName.TryParse(Path.GetFileName(file)) is { IsArchivedLog: true, Generation: { } generation } name)
            {
                bases.Add(name.BaseName);
                extensions.Add(name.Extension);
                fiveDigitNames |= name.GenerationDigits == 5;
                logs[generation] = file;
            }
        }

        if (extensions.Count > 1)
        {
            return (logs, string.Empty, 0, new PluginError(ErrorCodes.InvalidParameter, $"{directory} holds logs named with several extensions ({string.Join(", ", extensions)}); one ESE instance names all its logs alike.") { File = directory });
        }

        var legacyFileNames = (extensions.First().Equals(".log", StringComparison.OrdinalIgnoreCase) ? 1u : 0u) | (fiveDigitNames ? 2u : 0u);

        if (bases.Count != 1)
        {
            return (logs, string.Empty, 0, new PluginError(ErrorCodes.InvalidParameter, $"{directory} holds logs of several base names ({string.Join(", ", bases)}); a restore uses one log stream.") { File = directory });
        }

        return (logs, bases.First(), legacyFileNames, null);
    }

    private static (PluginError? Error, EseSignature SignLog, long FileBytes) CheckLogChain(SortedDictionary<long, string> logs)
    {
        LogFileHeader? previous = null;
        long previousGeneration = 0;
        foreach (var (generation, path) in logs)
        {
            var header = EseHeaderFiles.TryReadLog(path);
            if (header is null)
            {
                return (EseErrorMapper.Detected(JetErr.JET_errLogFileCorrupt, $"Log {path} has no valid header (checksum).", path, generation), default, 0);
            }

            if (header.Generation != generation)
            {
                return (EseErrorMapper.Detected(JetErr.JET_errLogGenerationMismatch, $"Log {path} holds generation {header.Generation}, not {generation} as its name says.", path, generation), default, 0);
            }

            if (previous is not null)
            {
                if (generation != previousGeneration + 1)
                {
                    return (EseErrorMapper.Detected(JetErr.JET_errMissingRestoreLogFiles, $"Log generations {previousGeneration + 1}-{generation - 1} are missing before {path}.", path, previousGeneration + 1), default, 0);
                }

                if (header.Signature != previous.Signature)
                {
                    return (EseErrorMapper.Detected(JetErr.JET_errGivenLogFileHasBadSignature, $"Log {path} belongs to another log stream than generation {previousGeneration}.", path, generation), default, 0);
                }

                if (header.PreviousGenerationCreated != previous.Created)
                {
                    return (EseErrorMapper.Detected(JetErr.JET_errGivenLogFileIsNotContiguous, $"Log {path} does not follow generation {previousGeneration} (its previous-generation time differs).", path, generation), default, 0);
                }
            }

            previous = header;
            previousGeneration = generation;
        }

        return (null, previous!.Signature, previous.DeclaredFileLength);
    }

    private static (PluginError? Error, EsentRestoreDatabase? Database) CheckDatabase(string file, string patch, DatabaseHeader header, EseSignature signLog, GenerationRange logs)
    {
        var current = header.FullBackupCurrent;
        if (current.GenerationLow == 0)
        {
            return (EseErrorMapper.Detected(JetErr.JET_errRestoreOfNonBackupDatabase, $"{file} is not a backup image (bkinfoFullCur is empty): JetRestoreInstance only restores images made by a backup.", file), null);
        }

        var trailer = EseHeaderFiles.TryReadTrailer(file, header.PageSize);
        if (trailer is null || trailer.Backup.GenerationHigh == 0
            || trailer.DatabaseSignature != header.DatabaseSignature
            || trailer.LogSignature != header.LogSignature
            || trailer.Backup.Mark != current.Mark)
        {
            return (EseErrorMapper.Detected(JetErr.JET_errDatabasePatchFileMismatch, $"The trailer page of {file} is missing or does not match its header (checksum, signatures, backup mark, last generation).", file), null);
        }

        if (header.LogSignature != signLog)
        {
            return (EseErrorMapper.Detected(JetErr.JET_errDatabaseLogSetMismatch, $"{file} belongs to another log stream than the logs beside it.", file), null);
        }

        if (logs.Low > current.GenerationLow)
        {
            return (EseErrorMapper.Detected(JetErr.JET_errStartingRestoreLogTooHigh, $"{file} needs logs from generation {current.GenerationLow}, the oldest log present is {logs.Low}.", file, current.GenerationLow), null);
        }

        var high = trailer.Backup.GenerationHigh;
        if (logs.High < high)
        {
            return (EseErrorMapper.Detected(JetErr.JET_errEndingRestoreLogTooLow, $"{file} needs logs up to generation {high}, the newest log present is {logs.High}.", file, high), null);
        }

        return (null, new EsentRestoreDatabase(file, patch, current.GenerationLow, high));
    }

    [SupportedOSPlatform("windows")]
    private static Task<EsentRestoreResult> RestoreOnWorkerAsync(EsentRestoreLayout layout, string destination, EsentRestoreOptions options, EsentProgress progress)
        => Task.Run(() => RestoreNative(EsentApis.Native, layout, destination, options, progress), CancellationToken.None);

    [SupportedOSPlatform("windows")]
    private static EsentRestoreResult RestoreNative(EsentApis apis, EsentRestoreLayout layout, string destination, EsentRestoreOptions options, EsentProgress progress)
    {
        var label = $"restore of {layout.Directory}";
        var instances = apis.Instances;
        var pageError = EsentParameters.EnsurePageSize(instances, layout.PageSize, label);
        if (pageError is not null)
        {
            return new EsentRestoreResult(pageError, layout, []);
        }

        var name = options.InstanceName ?? "EseBackupPlugin-Restore-" + Guid.NewGuid().ToString("N")[..12];
        var err = instances.CreateInstance(name, $"EseBackupPlugin restore of {layout.Directory}", out var instance);
        using (instance)
        {
            if (err < 0)
            {
                return new EsentRestoreResult(EseErrorMapper.ToPluginError(err, "JetCreateInstance2W", label), layout, []);
            }

            var settings = new (JetParam Param, nuint Value, string? Text)[]
            {
                (JetParam.LogFilePath, 0, EsentParameters.WithSeparator(Path.GetFullPath(options.LogDirectory ?? destination))),
                (JetParam.SystemPath, 0, EsentParameters.WithSeparator(Path.GetFullPath(options.SystemDirectory ?? destination))),
                (JetParam.BaseName, 0, layout.BaseName),
                (JetParam.LegacyFileNames, layout.LegacyFileNames, null),
                (JetParam.LogFileSize, (nuint)layout.LogFileSizeKiB, null),
                (JetParam.Recovery, 0, "on"),
                (JetParam.NoInformationEvent, 1, null),
            };
            foreach (var (param, value, text) in settings)
            {
                err = instances.SetParameter(instance, param, value, text);
                if (err < 0)
                {
                    return new EsentRestoreResult(EseErrorMapper.ToPluginError(err, $"JetSetSystemParameterW({param})", label), layout, []);
                }
            }

            var sink = new EsentStatusToProgress(progress, $"JetRestoreInstance of {layout.Directory}");
            err = apis.Restore.RestoreInstance(instance, layout.Directory, destination, sink, out var callbackFailure);
            if (err < 0)
            {
                progress.TryReport(ProgressPhase.Fail, $"JetRestoreInstance failed: {JetErrTable.Get(err)}");
                return new EsentRestoreResult(EseErrorMapper.ToPluginError(err, "JetRestoreInstanceW", label, layout.Directory), layout, []);
            }

            var restored = layout.Databases.Select(d => Path.Combine(destination, Path.GetFileName(d.Path))).ToList();
            if (callbackFailure is not null)
            {
                return new EsentRestoreResult(
                    EseErrorMapper.Detected(JetErr.JET_errCallbackFailed, $"The progress callback threw {callbackFailure.GetType().Name} during JetRestoreInstance of {layout.Directory} ({callbackFailure.Message}); ESE ignored it and finished the restore into {destination}, but the restore is reported as failed."),
                    layout,
                    restored);
            }

            return new EsentRestoreResult(null, layout, restored);
        }
    }
}
