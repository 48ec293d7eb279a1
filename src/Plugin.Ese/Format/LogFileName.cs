using System.Globalization;

namespace EseBackupPlugin.Ese.Format;

/// <summary>What a file name says about a log-stream file.</summary>
internal enum LogFileNameKind
{
    /// <summary><c>&lt;base&gt;.log</c> / <c>.jtx</c>: the generation in progress.</summary>
    Current,

    /// <summary><c>&lt;base&gt;</c> + 5 or 8 hex digits: an archived generation.</summary>
    Archived,

    /// <summary><c>&lt;base&gt;tmp.log</c>: the next log being pre-formatted.</summary>
    Temporary,

    /// <summary><c>&lt;base&gt;resNNNNN.jrs</c>: a reserve log (disk-full cushion).</summary>
    Reserve,

    /// <summary><c>res1.log</c> / <c>res2.log</c>: reserve logs of old engines.</summary>
    LegacyReserve,

    /// <summary><c>&lt;base&gt;.chk</c> / <c>.jcp</c>: the checkpoint.</summary>
    Checkpoint,
}

/// <summary>
/// A parsed log-stream file name. Base names are three characters (<c>JET_paramBaseName</c>); generations are hex,
/// upper case when written, either case when read; extensions are compared without regard to case, like Windows.
/// </summary>
/// <param name="Kind">What the name is.</param>
/// <param name="BaseName">The three-character base name (<c>edb</c>, <c>SRU</c>, <c>E00</c>), or empty for legacy reserve logs.</param>
/// <param name="Generation">Generation in the name (archived logs only).</param>
/// <param name="Extension">Extension with its dot, as written (<c>.log</c>, <c>.jtx</c>, <c>.jsl</c>, ...).</param>
internal sealed record LogFileName(LogFileNameKind Kind, string BaseName, long? Generation, string Extension)
{
    /// <summary>Length of a base name.</summary>
    public const int BaseNameLength = 3;

    /// <summary>True when the name marks a shadow log of log shipping (<c>.jsl</c>).</summary>
    public bool IsShadowLog => Extension.Equals(".jsl", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a file name (no directory). Returns <see langword="null"/> for names that are not log-stream names.</summary>
    public static LogFileName? TryParse(string fileName)
    {
        var ext = Path.GetExtension(fileName);
        var stem = Path.GetFileNameWithoutExtension(fileName);
        if (ext.Length == 0 || stem.Length < BaseNameLength)
        {
            return null;
        }

        if (Is(ext, ".chk") || Is(ext, ".jcp"))
        {
            return stem.Length == BaseNameLength ? new LogFileName(LogFileNameKind.Checkpoint, stem, null, ext) : null;
        }

        if (Is(ext, ".jrs"))
        {
            // <base>res + exactly 5 decimal digits.
            return stem.Length == BaseNameLength + 3 + 5
                && stem.AsSpan(BaseNameLength, 3).Equals("res", StringComparison.OrdinalIgnoreCase)
                && IsDigits(stem.AsSpan(BaseNameLength + 3))
                ? new LogFileName(LogFileNameKind.Reserve, stem[..BaseNameLength], null, ext)
                : null;
        }

        if (!Is(ext, ".log") && !Is(ext, ".jtx") && !Is(ext, ".jsl"))
        {
            return null;
        }

        if (Is(ext, ".log") && (Is(stem, "res1") || Is(stem, "res2")))
        {
            return new LogFileName(LogFileNameKind.LegacyReserve, string.Empty, null, ext);
        }

        if (stem.Length == BaseNameLength)
        {
            return new LogFileName(LogFileNameKind.Current, stem, null, ext);
        }

        if (stem.Length == BaseNameLength + 3 && stem.AsSpan(BaseNameLength).Equals("tmp", StringComparison.OrdinalIgnoreCase))
        {
            return new LogFileName(LogFileNameKind.Temporary, stem[..BaseNameLength], null, ext);
        }

        var digits = stem.AsSpan(BaseNameLength);
        if ((digits.Length == 5 || digits.Length == 8)
            && long.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var generation))
        {
            return new LogFileName(LogFileNameKind.Archived, stem[..BaseNameLength], generation, ext) { GenerationDigits = digits.Length };
        }

        return null;
    }

    /// <summary>Digits of the generation in an archived name (5 or 8); 0 for other kinds.</summary>
    public int GenerationDigits { get; init; }

    /// <summary>True for an archived generation of the log stream itself (<c>.log</c> / <c>.jtx</c>, not a shadow log).</summary>
    public bool IsArchivedLog => Kind == LogFileNameKind.Archived && !IsShadowLog && Generation > 0;

    /// <summary>
    /// The generation of an archived log name (<c>&lt;base&gt;</c> + 5 or 8 hex digits + <c>.log</c>/<c>.jtx</c>); with
    /// <paramref name="baseName"/>, only of that base (compared without regard to case). <see langword="null"/> otherwise.
    /// </summary>
    public static long? ArchivedGeneration(string fileName, string? baseName = null) =>
        TryParse(fileName) is { IsArchivedLog: true } name && (baseName is null || name.BaseName.Equals(baseName, StringComparison.OrdinalIgnoreCase))
            ? name.Generation
            : null;

    /// <summary>
    /// The archived name ESENT writes for a generation: 5 upper-case hex digits while the generation fits, 8 above;
    /// always 8 with <paramref name="eightDigits"/> (engines without the 8.3 name compatibility of
    /// <c>JET_paramLegacyFileNames</c>).
    /// </summary>
    public static string ArchivedName(string baseName, long generation, string extension = ".log", bool eightDigits = false) =>
        baseName + generation.ToString(!eightDigits && generation <= 0xFFFFF ? "X5" : "X8", CultureInfo.InvariantCulture) + extension;

    private static bool Is(string value, string expected) => value.Equals(expected, StringComparison.OrdinalIgnoreCase);

    private static bool IsDigits(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return s.Length > 0;
    }
}
