using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>An exception thrown by the host's progress callback, wrapped so it can be told from our own bugs.</summary>
internal sealed class ProgressCallbackException : Exception
{
    /// <summary>Wraps the callback's exception.</summary>
    public ProgressCallbackException(Exception inner)
        : base("The progress callback threw: " + inner.Message, inner)
    {
    }

    /// <summary>Required by the exception pattern.</summary>
    public ProgressCallbackException()
    {
    }

    /// <summary>Required by the exception pattern.</summary>
    public ProgressCallbackException(string message)
        : base(message)
    {
    }

    /// <summary>Required by the exception pattern.</summary>
    public ProgressCallbackException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

/// <summary>Reports ESE-style progress (begin / progress / complete / fail) to the host.</summary>
internal sealed class EsentProgress
{
    private readonly IProgress<OperationProgress>? _sink;
    private readonly OperationKind _operation;

    /// <summary>Reports to <paramref name="sink"/> (nothing when <see langword="null"/>).</summary>
    public EsentProgress(IProgress<OperationProgress>? sink, OperationKind operation)
    {
        _sink = sink;
        _operation = operation;
    }

    /// <summary>Reports; an exception from the host's callback comes back as <see cref="ProgressCallbackException"/>.</summary>
    public void Report(ProgressPhase phase, string message, int filesDone = 0, int filesTotal = 0, long bytesDone = 0, long bytesTotal = 0, string? currentFile = null)
    {
        if (_sink is null)
        {
            return;
        }

        try
        {
            _sink.Report(new OperationProgress(_operation, phase, filesDone, filesTotal, bytesDone, bytesTotal) { Message = message, CurrentFile = currentFile });
        }
        catch (Exception ex)
        {
            throw new ProgressCallbackException(ex);
        }
    }

    /// <summary>Reports and ignores a failing callback (for paths that must not fail: abort, fail notices).</summary>
    public void TryReport(ProgressPhase phase, string message)
    {
        try
        {
            Report(phase, message);
        }
        catch (ProgressCallbackException)
        {
            // A failure notice that cannot be delivered must not hide the failure itself.
        }
    }
}

/// <summary>Turns ESE's status notifications into progress reports (used inside the native callback).</summary>
internal sealed class EsentStatusToProgress : IEsentStatusSink
{
    private readonly EsentProgress _progress;
    private readonly string _what;

    /// <summary>Reports notifications about <paramref name="what"/> to <paramref name="progress"/>.</summary>
    public EsentStatusToProgress(EsentProgress progress, string what)
    {
        _progress = progress;
        _what = what;
    }

    /// <inheritdoc />
    public void OnStatus(JetSnp snp, JetSnt snt, JetSnProg? progress)
    {
        var phase = snt switch
        {
            JetSnt.Begin => ProgressPhase.Begin,
            JetSnt.Complete => ProgressPhase.Complete,
            JetSnt.Fail => ProgressPhase.Fail,
            _ => ProgressPhase.Progress,
        };
        var units = progress is { } p ? $" {p.UnitsDone}/{p.UnitsTotal}" : string.Empty;
        _progress.Report(phase, $"{_what}: ESE {snp} {snt}{units}");
    }
}

/// <summary>Error translation shared by the sessions.</summary>
internal static class EsentFailures
{
    /// <summary>The <see cref="PluginError"/> an exception stands for.</summary>
    public static PluginError ToError(Exception ex, string target) => ex switch
    {
        PluginException pe => pe.Error,
        OperationCanceledException => new PluginError(ErrorCodes.Cancelled, $"The backup of {target} was cancelled."),
        ProgressCallbackException pce => EseErrorMapper.Detected(JetErr.JET_errCallbackFailed, $"The backup of {target} failed because the host's progress callback threw {pce.InnerException?.GetType().Name}: {pce.InnerException?.Message}"),
        _ => new PluginError(ErrorCodes.InternalError, $"The backup of {target} failed: {ex.GetType().Name}: {ex.Message}"),
    };

    /// <summary>
    /// Enumerates <paramref name="inner"/>; when it throws, runs <paramref name="onFailure"/> (which aborts
    /// the session) and rethrows: cancellation as is, everything else as a <see cref="PluginException"/>.
    /// </summary>
    public static async IAsyncEnumerable<T> Guard<T>(IAsyncEnumerable<T> inner, Func<Exception, PluginError, ValueTask> onFailure, string target, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var e = inner.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                T current;
                try
                {
                    if (!await e.MoveNextAsync())
                    {
                        yield break;
                    }

                    current = e.Current;
                }
                catch (Exception ex)
                {
                    var error = ToError(ex, target);
                    await onFailure(ex, error);
                    if (ex is OperationCanceledException or PluginException)
                    {
                        ExceptionDispatchInfo.Capture(ex).Throw();
                    }

                    throw new PluginException(error, ex);
                }

                yield return current;
            }
        }
        finally
        {
            await e.DisposeAsync();
        }
    }
}

/// <summary>Builds truncation reports.</summary>
internal static class EsentTruncation
{
    /// <summary>Archived logs of <paramref name="directory"/> by generation (path and size).</summary>
    public static SortedDictionary<long, (string Path, long Size)> ListArchivedLogs(string directory, string baseName)
    {
        var result = new SortedDictionary<long, (string, long)>();
        if (!Directory.Exists(directory))
        {
            return result;
        }

        foreach (var file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (LogFileName.ArchivedGeneration(file.Name, baseName) is { } generation)
            {
                result[generation] = (file.FullName, file.Length);
            }
        }

        return result;
    }

    /// <summary>
    /// The archived logs plus the current log under the archive name it gets when the log rolls: a
    /// backup rolls the log, and ESE may delete that generation before the call returns.
    /// </summary>
    public static SortedDictionary<long, (string Path, long Size)> ListLogsBefore(EsentInstanceInfo info)
    {
        var logs = ListArchivedLogs(info.LogDirectory, info.BaseName);
        var current = Path.Combine(info.LogDirectory, info.BaseName + info.LogExtension);
        if (EseHeaderFiles.TryReadLog(current) is { } header && !logs.ContainsKey(header.Generation))
        {
            logs[header.Generation] = (Path.Combine(info.LogDirectory, info.ArchivedLogName(header.Generation)), new FileInfo(current).Length);
        }

        return logs;
    }

    /// <summary>The inclusive range spanned by <paramref name="generations"/>, or <see langword="null"/>.</summary>
    public static Abstractions.Targets.GenerationRange? RangeOf(IEnumerable<long> generations)
    {
        var list = generations.ToList();
        return list.Count == 0 ? null : new Abstractions.Targets.GenerationRange(list.Min(), list.Max());
    }

    /// <summary>The logs of <paramref name="before"/> that are gone now.</summary>
    public static IReadOnlyList<TruncatedLog> Removed(SortedDictionary<long, (string Path, long Size)> before)
        => before.Where(kv => !File.Exists(kv.Value.Path)).Select(kv => new TruncatedLog(kv.Value.Path, kv.Key, kv.Value.Size)).ToList();
}
