using System.Globalization;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>
/// Checks across verified files: every log sequence (one per directory and base name), databases against the log
/// streams they need, checkpoints against their logs.
/// </summary>
/// <remarks>
/// Databases are matched to logs by signature across every verified file, so a database in a sub-directory (the
/// Windows catalog store keeps each <c>catdb</c> in its own folder) still finds its logs. A dirty database whose
/// stream has no log among the verified files gets a warning, not a corruption finding: logs often live in another
/// directory than the databases.
/// </remarks>
internal static class CrossFileChecker
{
    /// <summary>Runs every cross-file check.</summary>
    public static IReadOnlyList<Finding> Check(IReadOnlyList<EseVerificationResult> files)
    {
        var findings = new List<Finding>();
        var sequences = new List<Sequence>();
        foreach (var group in files
            .Where(f => f.Kind == EseFileKind.Log && f.Log is not null && f.LogHeaderValid)
            .GroupBy(f => (Directory: DirectoryOf(f), Base: f.LogName?.BaseName.ToUpperInvariant() ?? string.Empty))
            .OrderBy(g => g.Key.Directory, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Base, StringComparer.Ordinal))
        {
            var (seqFindings, chain) = LogSequenceChecker.Check([.. group], group.Key.Directory);
            findings.AddRange(seqFindings);
            if (chain.Count > 0)
            {
                sequences.Add(new Sequence(group.Key.Directory, group.Key.Base, chain[^1].Log!.Signature, [.. chain]));
            }
        }

        foreach (var db in files.Where(f => f.Kind == EseFileKind.Database && f.Database is not null && f.HeaderCopyUsed != HeaderCopy.None))
        {
            CheckDatabase(db, sequences, findings);
        }

        foreach (var chk in files.Where(f => f.Kind == EseFileKind.Checkpoint && f.Checkpoint is not null))
        {
            CheckCheckpoint(chk, sequences, findings);
        }

        return findings;
    }

    /// <summary>A dirty database whose log stream is not among the verified files: the wrong logs beside it, or none.</summary>
    private static void ReportStreamNotVerified(EseVerificationResult db, (int Low, int High) range, List<Sequence> sequences, List<Finding> findings)
    {
        var h = db.Database!;
        var dir = DirectoryOf(db);
        var parent = Path.GetDirectoryName(dir) ?? dir;
        var beside = sequences.Where(s => s.Directory == dir || s.Directory == parent).ToList();
        if (beside.Count > 0)
        {
            findings.Add(new Finding(
                FindingCodes.DatabaseLogSignatureMismatch,
                FindingSeverity.Corruption,
                $"The database is {h.State} and needs generations {range.Low} to {range.High} of log stream {h.LogSignature}, but the logs beside it belong to {beside[0].Signature}.")
            {
                File = db.DisplayPath,
                Expected = h.LogSignature.ToString(),
                Actual = beside[0].Signature.ToString(),
                EseError = (int)JetErr.JET_errDatabaseLogSetMismatch,
            });
        }
        else
        {
            findings.Add(new Finding(
                FindingCodes.RequiredLogsNotVerified,
                FindingSeverity.Warning,
                $"The database is {h.State} and needs generations {range.Low} to {range.High} of log stream {h.LogSignature}; no log of that stream was among the verified files.")
            {
                File = db.DisplayPath,
                Generation = range.Low,
            });
        }
    }

    private static void CheckDatabase(EseVerificationResult db, List<Sequence> sequences, List<Finding> findings)
    {
        var h = db.Database!;
        if (h.LogSignature.IsZero || db.RequiredLogRange is not { } range)
        {
            // Clean, or never logged: the database needs no log.
            return;
        }

        var stream = sequences.Where(s => s.Signature == h.LogSignature).ToList();
        if (stream.Count == 0)
        {
            ReportStreamNotVerified(db, range, sequences, findings);
            return;
        }

        // The same stream's logs may sit in several folders (a full and an incremental set side by side): one per generation is enough.
        var present = stream.SelectMany(s => s.Logs).DistinctBy(l => l.Log!.Generation).ToDictionary(l => l.Log!.Generation, l => l);
        var missing = Missing(range.Low, range.High, present);
        if (missing.Count > 0)
        {
            findings.Add(new Finding(
                FindingCodes.RequiredLogMissing,
                FindingSeverity.Corruption,
                $"The database is {h.State} and needs log generations {range.Low} to {range.High}; missing: {Ranges(missing)}.")
            {
                File = db.DisplayPath,
                Generation = missing[0].Low,
                Expected = $"{range.Low}-{range.High}",
                Actual = Ranges(missing),
                EseError = (int)JetErr.JET_errRequiredLogFilesMissing,
            });
        }

        if (h.GenMaxCommitted > range.High)
        {
            var committedMissing = Missing(range.High + 1L, h.GenMaxCommitted, present);
            if (committedMissing.Count > 0)
            {
                findings.Add(new Finding(
                    FindingCodes.CommittedLogMissing,
                    FindingSeverity.Warning,
                    $"Generations {Ranges(committedMissing)} hold committed changes of the database but are missing: recovery would lose those transactions.")
                {
                    File = db.DisplayPath,
                    Generation = committedMissing[0].Low,
                    EseError = (int)JetErr.JET_errCommittedLogFilesMissing,
                });
            }
        }

        if (!h.GenMaxRequiredCreated.IsZero && present.TryGetValue(range.High, out var last) && last.Log!.Created.Raw != h.GenMaxRequiredCreated.Raw)
        {
            findings.Add(new Finding(
                FindingCodes.RequiredLogCreationTimeMismatch,
                FindingSeverity.Warning,
                $"Generation {range.High} was created at {last.Log.Created}, but the database recorded {h.GenMaxRequiredCreated} for it: it may be another log with the same number.")
            {
                File = db.DisplayPath,
                Generation = range.High,
                Expected = h.GenMaxRequiredCreated.ToString(),
                Actual = last.Log.Created.ToString(),
            });
        }
    }

    private static void CheckCheckpoint(EseVerificationResult chk, List<Sequence> sequences, List<Finding> findings)
    {
        var c = chk.Checkpoint!;
        var dir = DirectoryOf(chk);
        var baseName = chk.LogName?.BaseName.ToUpperInvariant() ?? string.Empty;
        var sequence = sequences.FirstOrDefault(s => s.Directory == dir && s.BaseName == baseName);
        if (sequence is null)
        {
            // No logs of that base beside the checkpoint (logs may live elsewhere): nothing to compare.
            return;
        }

        if (c.Signature != sequence.Signature)
        {
            findings.Add(new Finding(
                FindingCodes.CheckpointSignatureMismatch,
                FindingSeverity.Corruption,
                $"The checkpoint belongs to log stream {c.Signature}, the logs beside it to {sequence.Signature}.")
            {
                File = chk.DisplayPath,
                Expected = sequence.Signature.ToString(),
                Actual = c.Signature.ToString(),
                EseError = (int)JetErr.JET_errBadCheckpointSignature,
            });
            return;
        }

        var gen = c.CheckpointGeneration;
        if (!sequence.Logs.Any(l => l.Log!.Generation == gen))
        {
            findings.Add(new Finding(
                FindingCodes.CheckpointLogMissing,
                FindingSeverity.Corruption,
                $"Recovery starts at the checkpoint in generation {gen}, which is not among the logs ({sequence.Logs[0].Log!.Generation} to {sequence.Logs[^1].Log!.Generation}).")
            {
                File = chk.DisplayPath,
                Generation = gen,
                EseError = (int)JetErr.JET_errMissingPreviousLogFile,
            });
        }
    }

    /// <summary>
    /// The generations of <paramref name="low"/>..<paramref name="high"/> that have no log, as ranges between the logs present:
    /// walks the logs, never the width of the range (a header can claim a range two billion generations wide).
    /// </summary>
    private static List<(long Low, long High)> Missing(long low, long high, Dictionary<int, EseVerificationResult> present)
    {
        var gaps = new List<(long Low, long High)>();
        var next = low;
        foreach (var g in present.Keys.Where(k => k >= low && k <= high).Order())
        {
            if (g > next)
            {
                gaps.Add((next, g - 1L));
            }

            next = g + 1L;
        }

        if (next <= high)
        {
            gaps.Add((next, high));
        }

        return gaps;
    }

    /// <summary>Ascending generation ranges as text: <c>1-3, 5, 7-8</c>.</summary>
    internal static string Ranges(IEnumerable<(long Low, long High)> gaps) =>
        string.Join(", ", gaps.Select(r => r.Low == r.High
            ? r.Low.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{r.Low}-{r.High}")));

    private static string DirectoryOf(EseVerificationResult f) => Path.GetDirectoryName(Path.GetFullPath(f.DisplayPath)) ?? string.Empty;

    private sealed record Sequence(string Directory, string BaseName, EseSignature Signature, IReadOnlyList<EseVerificationResult> Logs);
}
