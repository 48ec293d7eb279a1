using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// Reads only the first bytes of a file (at most 128 KiB: both database header copies at 32 KiB pages; no read-ahead) and
/// identifies it with the Format layer's sniffer; page and segment checks are left to the one-pass copy.
/// </summary>
internal static class FormatFileProbe
{
    public static ProbedFile Probe(string path)
    {
        byte[] head;
        long length;
        try
        {
            head = EseHeaderFiles.ReadHead(path, EseFileSniffer.HeadSize, out length);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ProbedFile(path, ProbedKind.Unreadable, 0) { Problem = ex.Message };
        }

        var identity = EseFileSniffer.Identify(Path.GetFileName(path), length, head);
        var name = identity.Name;
        switch (identity.Kind)
        {
            case EseFileKind.Database when DatabaseHeaderSelection.Select(head, length).Header is { } h:
                return new ProbedFile(path, ProbedKind.Database, length)
                {
                    // A database that never joined a log stream (ESE's temporary database) still groups by its own signature.
                    LogSignature = h.LogSignature.IsZero ? "db:" + h.DatabaseSignature : h.LogSignature.ToString(),
                    DatabaseSignature = h.DatabaseSignature.ToString(),
                    State = h.State.ToString(),
                    NeedsLogs = h.State.NeedsLogs(),
                    PageSize = h.PageSize,
                    RequiredRange = h.RequiredLogRange is { } r ? new GenerationRange(r.Low, r.High) : null,
                };
            case EseFileKind.Log when identity.HeaderValid && head.Length >= LogFileHeader.Size:
                var log = LogFileHeader.Read(head);
                return new ProbedFile(path, ProbedKind.Log, length)
                {
                    LogSignature = log.Signature.ToString(),
                    Generation = log.Generation,
                    BaseName = name?.BaseName,
                    IsCurrentLog = name?.Kind == LogFileNameKind.Current,
                    NameGeneration = name?.Generation,
                    CircularLogging = log.CircularLogging,
                    PageSize = log.DatabasePageSize,
                    AttachedDatabases = [.. log.AttachedDatabases.Entries.Select(a => a.Path)],
                };
            case EseFileKind.Checkpoint when CheckpointSelection.Select(head).Header is { } chk:
                return new ProbedFile(path, ProbedKind.Checkpoint, length)
                {
                    LogSignature = chk.Signature.ToString(),
                    Generation = chk.CheckpointGeneration,
                    BaseName = name?.BaseName ?? Path.GetFileNameWithoutExtension(path),
                    CircularLogging = chk.CircularLogging,
                    AttachedDatabases = [.. chk.AttachedDatabases.Entries.Select(a => a.Path)],
                };
            case EseFileKind.Log when name is { Kind: LogFileNameKind.Current or LogFileNameKind.Archived }:
                // A log whose header is damaged still belongs to its set by name: it is planned like any other
                // log, and the copy's verification then fails the backup naming this file.
                return new ProbedFile(path, ProbedKind.Log, length)
                {
                    Generation = name.Generation,
                    BaseName = name.BaseName,
                    IsCurrentLog = name.Kind == LogFileNameKind.Current,
                    NameGeneration = name.Generation,
                    HeaderDamaged = true,
                    Problem = identity.Reason,
                };
            case EseFileKind.Database or EseFileKind.Log or EseFileKind.Checkpoint or EseFileKind.Truncated:
                return new ProbedFile(path, ProbedKind.Unreadable, length)
                {
                    Problem = $"{identity.Kind} with a damaged header ({identity.Reason})",
                    DamagedDatabase = identity.Kind == EseFileKind.Database || identity.Reason.StartsWith("database", StringComparison.Ordinal),
                };
            case EseFileKind.NotEse or EseFileKind.Empty:
                // Kept with what the sniffer saw: a damaged database is "not ESE" by its own bytes, and only other files of
                // its set (attach lists, the flush map beside it, the chain) can say what it was.
                return new ProbedFile(path, ProbedKind.NotEse, length) { Problem = identity.Reason };
            default:
                return new ProbedFile(path, ProbedKind.Ignorable, length) { Problem = identity.Reason, FlushMap = identity.Kind == EseFileKind.FlushMap };
        }
    }
}
