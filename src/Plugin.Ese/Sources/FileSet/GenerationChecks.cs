using System.Globalization;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// Checks the generations the headers of a file set claim against each other and against the files' names before
/// anything is planned. A header's checksum only proves that the header is the one ESE (or someone) sealed, not that
/// its generation is sane: one absurd value must fail the plan naming the file, never drop a log or size a structure.
/// Nothing here allocates by the distance between two generations.
/// </summary>
internal static class GenerationChecks
{
    /// <summary>
    /// How far a current log or checkpoint may lie beyond its neighbours before its generation is called implausible
    /// rather than "logs missing in between". ESE's current log is always the generation after the newest archived one
    /// and its checkpoint never lies beyond the current log; a handful of deleted logs explains a small gap, nothing
    /// explains a thousand.
    /// </summary>
    public const long PlausibleWindow = 1024;

    private static readonly ErrorCode LogFileCorrupt = JetErrTable.Get(JetErr.JET_errLogFileCorrupt).ToErrorCode();

    private static readonly ErrorCode DatabaseCorrupted = JetErrTable.Get(JetErr.JET_errDatabaseCorrupted).ToErrorCode();

    /// <summary>The first problem with the group's generations, or <see langword="null"/> when they are consistent.</summary>
    public static PluginError? Validate(FileSetGroup group, string targetId)
    {
        // Headers that failed their checksum carry no trusted generation: the copy's verification names them.
        var trusted = group.Logs.Where(l => !l.HeaderDamaged && l.Generation is not null).ToList();
        foreach (var log in trusted)
        {
            var g = log.Generation!.Value;
            if (log.NameGeneration is { } named && named != g)
            {
                return Error(ErrorCodes.LogGenerationMismatch, $"Log '{log.Path}' is named for generation {named} but its header (checksum valid) claims generation {g}: the file was renamed or its header rewritten.", log, g, targetId);
            }
        }

        if (trusted.GroupBy(l => l.Generation!.Value).FirstOrDefault(s => s.Count() > 1) is { } same)
        {
            var files = same.OrderBy(l => l.IsCurrentLog ? 1 : 0).ThenBy(l => l.Path, StringComparer.Ordinal).ToList();
            return Error(ErrorCodes.LogGenerationMismatch, $"Generation {same.Key} is claimed by both '{files[0].Path}' and '{files[1].Path}': one of them has a wrong header, and a backup cannot tell which copy ESE would replay.", files[^1], same.Key, targetId);
        }

        var archived = trusted.Where(l => !l.IsCurrentLog).OrderBy(l => l.Generation).ToList();
        var current = trusted.FirstOrDefault(l => l.IsCurrentLog);
        if (current is not null && archived.Count > 0)
        {
            var newest = archived[^1];
            var c = current.Generation!.Value;
            var n = newest.Generation!.Value;
            if (c < n)
            {
                return Error(ErrorCodes.LogGenerationMismatch, $"The current log '{current.Path}' claims generation {c}, older than the archived log '{newest.Path}' ({n}); ESE's current log is always the newest generation.", current, c, targetId);
            }

            if (c - n > PlausibleWindow)
            {
                return Error(ErrorCodes.LogGenerationMismatch, $"The current log '{current.Path}' claims generation {c}, but the newest archived log '{newest.Path}' is generation {n}: ESE's current log follows the newest archived one, so the header is wrong.", current, c, targetId);
            }
        }

        // After the comparison with the archived logs, so that a current log claiming 0 or -1 beside them is named with them.
        if (trusted.FirstOrDefault(l => l.Generation < 1) is { } impossible)
        {
            return Error(LogFileCorrupt, $"Log '{impossible.Path}' claims generation {impossible.Generation} in a header whose checksum is valid; ESE numbers generations from 1.", impossible, impossible.Generation!.Value, targetId);
        }

        if (group.Checkpoint is { Generation: { } chk } checkpoint)
        {
            if (chk < 1)
            {
                return Error(LogFileCorrupt, $"The checkpoint '{checkpoint.Path}' claims generation {chk}; ESE numbers generations from 1.", checkpoint, chk, targetId);
            }

            var newestLog = trusted.OrderBy(l => l.Generation).LastOrDefault();
            if (newestLog is not null && chk - newestLog.Generation!.Value > PlausibleWindow)
            {
                return Error(LogFileCorrupt, $"The checkpoint '{checkpoint.Path}' claims generation {chk}, far beyond the newest log '{newestLog.Path}' ({newestLog.Generation}): ESE never checkpoints past its current log.", checkpoint, chk, targetId);
            }
        }

        foreach (var db in group.Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null))
        {
            var need = db.RequiredRange!;
            if (need.Low < 1 || need.High < need.Low)
            {
                return Error(DatabaseCorrupted, $"Database '{db.Path}' is {db.State} and its header (checksum valid) claims it needs generations {need.Low} to {need.High}, which is impossible.", db, need.Low, targetId);
            }
        }

        return null;
    }

    /// <summary>
    /// The message for a generation missing inside a needed range: the neighbours present on either side are named, so
    /// that an absurd header is found by the operator even when its value stayed inside the plausible window.
    /// </summary>
    public static string DescribeGap(FileSetGroup group, long missing)
    {
        var byGen = group.ByGeneration;
        var below = byGen.Where(kv => kv.Key < missing).OrderByDescending(kv => kv.Key).Select(kv => kv.Value).FirstOrDefault();
        var above = byGen.Where(kv => kv.Key > missing).OrderBy(kv => kv.Key).Select(kv => kv.Value).FirstOrDefault();
        var parts = new List<string>();
        if (below is not null)
        {
            parts.Add($"'{Path.GetFileName(below.Path)}' holds {below.Generation!.Value.ToString(CultureInfo.InvariantCulture)}");
        }

        if (above is not null)
        {
            parts.Add($"the next present, '{Path.GetFileName(above.Path)}', claims {above.Generation!.Value.ToString(CultureInfo.InvariantCulture)}");
        }

        return parts.Count == 0 ? string.Empty : $" ({string.Join("; ", parts)})";
    }

    private static PluginError Error(ErrorCode code, string message, ProbedFile file, long generation, string targetId) =>
        new(code, message) { TargetId = targetId, File = file.Path, Generation = generation };
}
