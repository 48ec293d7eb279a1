using System.Globalization;
using System.Text.RegularExpressions;

namespace EseBackupPlugin.Ese.Vss;

/// <summary>What a file found through an ESE writer's file specification is, judged by its name.</summary>
internal enum EseFileKind
{
    /// <summary>A database.</summary>
    Database,

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
/// ESE's file naming rules (reference ese-on-disk.md §5.1): a three-character base name, archived generations
/// in upper-case hexadecimal with exactly 5 or 8 digits, <c>.log</c>/<c>.jtx</c> logs, <c>.chk</c>/<c>.jcp</c> checkpoints.
/// </summary>
internal static partial class EseFileNames
{
    /// <summary>Whether <paramref name="fileName"/> is an archived log; returns its base, generation and digit count.</summary>
    public static bool TryParseArchivedLog(string fileName, out string baseName, out long generation, out int digits)
    {
        var m = ArchivedLogRegex().Match(fileName);
        if (!m.Success)
        {
            baseName = "";
            generation = 0;
            digits = 0;
            return false;
        }

        baseName = m.Groups["base"].Value;
        var hex = m.Groups["gen"].Value;
        digits = hex.Length;
        generation = long.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>The name of archived generation <paramref name="generation"/> (<c>edb0001A.log</c>).</summary>
    public static string ArchivedLogName(string baseName, long generation, int digits, string extension)
    {
        if (digits != 8 && generation > 0xFFFFF)
        {
            digits = 8;
        }

        return baseName + generation.ToString(digits == 8 ? "X8" : "X5", CultureInfo.InvariantCulture) + extension;
    }

    /// <summary>Classifies a file name found through a <c>DATABASE_LOGFILES</c> or file-group specification.</summary>
    public static EseFileKind ClassifyLogSideFile(string fileName)
    {
        var ext = Path.GetExtension(fileName);
        if (ext.Equals(".jrs", StringComparison.OrdinalIgnoreCase) || TempOrLegacyReserveRegex().IsMatch(fileName))
        {
            return EseFileKind.ReserveOrTemporary;
        }

        if (ext.Equals(".chk", StringComparison.OrdinalIgnoreCase) || ext.Equals(".jcp", StringComparison.OrdinalIgnoreCase))
        {
            return EseFileKind.Checkpoint;
        }

        if (ArchivedLogRegex().IsMatch(fileName))
        {
            return EseFileKind.ArchivedLog;
        }

        return CurrentLogRegex().IsMatch(fileName) ? EseFileKind.CurrentLog : EseFileKind.Other;
    }

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

    [GeneratedRegex(@"^(?<base>[A-Za-z0-9_]{3})(?<gen>[0-9A-Fa-f]{8}|[0-9A-Fa-f]{5})\.(log|jtx)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ArchivedLogRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_]{3}\.(log|jtx)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CurrentLogRegex();

    [GeneratedRegex(@"^([A-Za-z0-9_]{3}tmp\.(log|jtx)|res[12]\.log)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TempOrLegacyReserveRegex();
}
