using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>An idle ESE file set (databases, logs, checkpoint) to open in a private instance.</summary>
/// <param name="Directory">Directory holding the databases (and, by default, the logs and the checkpoint).</param>
internal sealed record EsentFileSetSpec(string Directory)
{
    /// <summary>Log directory; defaults to <see cref="Directory"/>.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Checkpoint (system) directory; defaults to <see cref="Directory"/>.</summary>
    public string? SystemDirectory { get; init; }

    /// <summary>Three-character log base name; found from the checkpoint or the current log when omitted.</summary>
    public string? BaseName { get; init; }

    /// <summary>Database files; found by their headers (and log signature) in <see cref="Directory"/> when omitted.</summary>
    public IReadOnlyList<string>? Databases { get; init; }

    /// <summary>Instance name; derived from the base name and directory when omitted.</summary>
    public string? InstanceName { get; init; }

    /// <summary>Run the private instance with circular logging (then ESE refuses incremental backups).</summary>
    public bool CircularLogging { get; init; }
}

/// <summary>What probing a file set found: the parameters its private instance needs.</summary>
/// <param name="Directory">The set's directory (full path).</param>
/// <param name="LogDirectory">Log directory (full path).</param>
/// <param name="SystemDirectory">Checkpoint directory (full path).</param>
/// <param name="BaseName">Log base name.</param>
/// <param name="Databases">Database files (full paths).</param>
/// <param name="PageSize">Database page size (the process-wide JET_paramDatabasePageSize must match).</param>
/// <param name="LogFileSizeKiB">Size of the set's log files in KiB (JET_paramLogFileSize), when logs exist.</param>
/// <param name="LogSignature">The log stream signature, when a checkpoint or current log has one.</param>
internal sealed record EsentFileSetLayout(string Directory, string LogDirectory, string SystemDirectory, string BaseName, IReadOnlyList<string> Databases, int PageSize, int? LogFileSizeKiB, EseSignature? LogSignature);

/// <summary>Reads a file set's headers to find the parameters of the private instance that will open it.</summary>
internal static class EsentFileSetProbe
{
    /// <summary>Probes <paramref name="spec"/>; an error names what is missing or inconsistent.</summary>
    public static (EsentFileSetLayout? Layout, PluginError? Error) Probe(EsentFileSetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var directory = Path.GetFullPath(spec.Directory);
        var logDirectory = Path.GetFullPath(spec.LogDirectory ?? directory);
        var systemDirectory = Path.GetFullPath(spec.SystemDirectory ?? directory);
        foreach (var d in new[] { directory, logDirectory, systemDirectory })
        {
            if (!System.IO.Directory.Exists(d))
            {
                return (null, EseErrorMapper.Detected(JetErr.JET_errInvalidPath, $"The file set directory {d} does not exist.", d));
            }
        }

        var ambiguity = string.Empty;
        var baseName = spec.BaseName ?? FindBaseName(logDirectory, systemDirectory, out ambiguity);
        if (baseName is null)
        {
            return (null, new PluginError(ErrorCodes.NotEseFile, $"No ESE log base name could be found in {logDirectory}: {ambiguity}") { File = logDirectory });
        }

        var signLog = EseHeaderFiles.TryReadCheckpoint(Path.Combine(systemDirectory, baseName + ".chk"))?.Signature;
        var logHeader = EseHeaderFiles.TryReadLog(Path.Combine(logDirectory, baseName + ".log"));
        if (logHeader is null)
        {
            var archived = EsentTruncation.ListArchivedLogs(logDirectory, baseName);
            logHeader = archived.Count == 0 ? null : EseHeaderFiles.TryReadLog(archived.Last().Value.Path);
        }

        signLog ??= logHeader?.Signature;

        var databases = new List<(string Path, DatabaseHeader Header)>();
        var candidates = spec.Databases?.Select(Path.GetFullPath)
            ?? System.IO.Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal);
        foreach (var path in candidates)
        {
            var header = EseHeaderFiles.TryReadDatabase(path);
            if (header is null)
            {
                if (spec.Databases is not null)
                {
                    return (null, new PluginError(ErrorCodes.NotEseFile, $"{path} is not an ESE database.") { File = path });
                }

                continue;
            }

            if (spec.Databases is null && signLog is { } s && header.LogSignature != s)
            {
                continue; // a database of another log stream that happens to lie here
            }

            databases.Add((path, header));
        }

        if (databases.Count == 0)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errDatabaseNotFound, $"No ESE database of log stream '{baseName}' was found in {directory}.", directory));
        }

        var pageSizes = databases.Select(d => d.Header.PageSize).Distinct().ToList();
        if (pageSizes.Count != 1)
        {
            return (null, EseErrorMapper.Detected(JetErr.JET_errPageSizeMismatch, $"The databases in {directory} use different page sizes ({string.Join(", ", pageSizes)}); one instance needs one page size.", directory));
        }

        int? logKiB = logHeader is { DeclaredFileLength: > 0 } h ? (int)(h.DeclaredFileLength / 1024) : null;
        return (new EsentFileSetLayout(directory, logDirectory, systemDirectory, baseName, databases.Select(d => d.Path).ToList(), pageSizes[0], logKiB, signLog), null);
    }

    private static string? FindBaseName(string logDirectory, string systemDirectory, out string reason)
    {
        var found = new SortedSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in System.IO.Directory.EnumerateFiles(systemDirectory, "*.chk"))
        {
            var stem = Path.GetFileNameWithoutExtension(f);
            if (stem.Length == 3)
            {
                found.Add(stem);
            }
        }

        if (found.Count == 0)
        {
            foreach (var f in System.IO.Directory.EnumerateFiles(logDirectory, "*.log"))
            {
                var stem = Path.GetFileNameWithoutExtension(f);
                if (stem.Length == 3 && EseHeaderFiles.TryReadLog(f) is not null)
                {
                    found.Add(stem);
                }
            }
        }

        reason = found.Count == 0 ? "no <base>.chk or <base>.log" : $"several candidates ({string.Join(", ", found)}); name one";
        return found.Count == 1 ? found.Min : null;
    }
}

/// <summary>
/// A private ESE instance the plugin opened over an idle file set. Disposing it terminates the
/// instance (cleanly if possible). Its <see cref="Target"/> is what discovery reports for it.
/// </summary>
internal sealed class EsentOpenInstance : IDisposable, IAsyncDisposable
{
    private readonly System.Runtime.InteropServices.SafeHandle _handle;

    internal EsentOpenInstance(System.Runtime.InteropServices.SafeHandle handle, BackupTarget target, EsentFileSetLayout layout, string instanceName)
    {
        _handle = handle;
        Target = target;
        Layout = layout;
        InstanceName = instanceName;
    }

    /// <summary>The instance as a backup target.</summary>
    public BackupTarget Target { get; }

    /// <summary>The probed file set.</summary>
    public EsentFileSetLayout Layout { get; }

    /// <summary>The private instance's name.</summary>
    public string InstanceName { get; }

    /// <inheritdoc />
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _handle.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Result of opening a file set: an instance, or why not.</summary>
/// <param name="Instance">The opened instance.</param>
/// <param name="Error">Why it could not be opened.</param>
internal sealed record EsentOpenResult(EsentOpenInstance? Instance, PluginError? Error);
