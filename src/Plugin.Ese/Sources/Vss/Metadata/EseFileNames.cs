using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>What a file found through an ESE writer's file specification is, judged by its name.</summary>
internal enum LogSideFileKind
{
    /// <summary>An archived log generation (<c>edb0001A.log</c>).</summary>
    ArchivedLog,

    /// <summary>The current log (<c>edb.log</c>).</summary>
    CurrentLog,

    /// <summary>The checkpoint (<c>edb.chk</c>).</summary>
    Checkpoint,

    /// <summary>A reserve or pre-formatted log (<c>*.jrs</c>, <c>edbtmp.log</c>, <c>res1.log</c>): never backed up.</summary>
    ReserveOrTemporary,

    /// <summary>Anything else.</summary>
    Other,
}

/// <summary>
/// What the names in an ESE writer's file specifications say (reference ese-on-disk.md §5.1). The names of the files
/// themselves are parsed by the Format library's <see cref="LogFileName"/>.
/// </summary>
internal static class EseFileNames
{
    /// <summary>Classifies a file name found through a <c>DATABASE_LOGFILES</c> or file-group specification.</summary>
    public static LogSideFileKind ClassifyLogSideFile(string fileName) => LogFileName.TryParse(fileName) switch
    {
        { Kind: LogFileNameKind.Reserve or LogFileNameKind.LegacyReserve or LogFileNameKind.Temporary } => LogSideFileKind.ReserveOrTemporary,
        { Kind: LogFileNameKind.Checkpoint } => LogSideFileKind.Checkpoint,
        { IsArchivedLog: true } => LogSideFileKind.ArchivedLog,
        { Kind: LogFileNameKind.Current, IsShadowLog: false } => LogSideFileKind.CurrentLog,
        _ => LogSideFileKind.Other,
    };

    /// <summary>Whether a file specification names logs (<c>edb*.log</c>, <c>E00*.log</c>, <c>*.jtx</c>).</summary>
    public static bool IsLogSpec(string fileSpec) =>
        fileSpec.EndsWith(".log", StringComparison.OrdinalIgnoreCase) || fileSpec.EndsWith(".jtx", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a file specification names a checkpoint.</summary>
    public static bool IsCheckpointSpec(string fileSpec) =>
        fileSpec.EndsWith(".chk", StringComparison.OrdinalIgnoreCase) || fileSpec.EndsWith(".jcp", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a file specification names a database by its usual extension (<c>.edb</c>, <c>.dit</c>).</summary>
    public static bool IsDatabaseSpec(string fileSpec) =>
        fileSpec.EndsWith(".edb", StringComparison.OrdinalIgnoreCase) || fileSpec.EndsWith(".dit", StringComparison.OrdinalIgnoreCase);

    /// <summary>The log base name of a log file specification (<c>edb*.log</c> gives <c>edb</c>), when it has one.</summary>
    public static string? LogBaseNameOf(string fileSpec)
    {
        var star = fileSpec.IndexOfAny(['*', '?']);
        var stem = star >= 0 ? fileSpec[..star] : Path.GetFileNameWithoutExtension(fileSpec);
        return stem.Length == 3 ? stem : null;
    }

    /// <summary>Whether a specification uses wildcards.</summary>
    public static bool HasWildcards(string fileSpec) => fileSpec.IndexOfAny(['*', '?']) >= 0;
}
