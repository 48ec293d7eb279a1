using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Errors;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The checks restore makes across consecutive log generations (same signature, no gaps, <c>tmPrevGen</c> of N+1
/// equal to <c>tmCreate</c> of N, and the accumulated segment checksum), over one sequence of verified logs.
/// </summary>
internal static class LogSequenceChecker
{
    /// <summary>Checks one sequence: logs of one stream (same directory and base name), any order.</summary>
    /// <param name="logs">Verified logs with a valid header.</param>
    /// <param name="location">How findings about the whole sequence name it (its directory).</param>
    /// <returns>The findings, and the logs kept in the chain (sorted, one per generation, signature as the newest's).</returns>
    public static (IReadOnlyList<Finding> Findings, IReadOnlyList<EseVerificationResult> Chain) Check(IReadOnlyList<EseVerificationResult> logs, string location)
    {
        var findings = new List<Finding>();
        var sorted = logs
            .Where(l => l.Log is not null && l.LogHeaderValid)
            .OrderBy(l => l.Log!.Generation)
            .ThenBy(l => l.LogName?.Kind == LogFileNameKind.Current ? 1 : 0)
            .ToList();
        if (sorted.Count == 0)
        {
            return (findings, []);
        }

        // The current log defines the stream; without one, the signature most logs carry (the newest on a tie).
        var current = sorted.Where(l => l.LogName?.Kind == LogFileNameKind.Current).ToList();
        var reference = current.Count == 1
            ? current[0].Log!.Signature
            : sorted.GroupBy(l => l.Log!.Signature)
                .OrderByDescending(g => g.Count())
                .ThenByDescending(g => g.Max(l => l.Log!.Generation))
                .First().Key;
        var chain = new List<EseVerificationResult>();
        foreach (var log in sorted)
        {
            var h = log.Log!;
            if (h.Signature != reference)
            {
                findings.Add(new Finding(
                    FindingCodes.LogSignatureMismatch,
                    FindingSeverity.Corruption,
                    $"Log generation {h.Generation} belongs to log stream {h.Signature}, not {reference} like the rest of its sequence.")
                {
                    File = log.DisplayPath,
                    Generation = h.Generation,
                    Expected = reference.ToString(),
                    Actual = h.Signature.ToString(),
                    EseError = (int)JetErr.JET_errGivenLogFileHasBadSignature,
                });
                continue;
            }

            if (chain.Count > 0 && chain[^1].Log!.Generation == h.Generation)
            {
                findings.Add(new Finding(
                    FindingCodes.DuplicateLogGeneration,
                    FindingSeverity.Warning,
                    $"Generation {h.Generation} is held by two files: {chain[^1].DisplayPath} and {log.DisplayPath}.")
                {
                    File = log.DisplayPath,
                    Generation = h.Generation,
                });
                continue;
            }

            chain.Add(log);
        }

        for (var i = 1; i < chain.Count; i++)
        {
            CheckLink(chain[i - 1], chain[i], location, findings);
        }

        return (findings, chain);
    }

    /// <summary>Two neighbours of the chain: no generation between them, created one after the other, checksums that add up.</summary>
    private static void CheckLink(EseVerificationResult prev, EseVerificationResult next, string location, List<Finding> findings)
    {
        var p = prev.Log!;
        var n = next.Log!;
        if (n.Generation != p.Generation + 1)
        {
            var missing = n.Generation - p.Generation - 1;
            findings.Add(new Finding(
                FindingCodes.LogGenerationGap,
                FindingSeverity.Corruption,
                missing == 1
                    ? $"Log generation {p.Generation + 1} is missing between {p.Generation} and {n.Generation}."
                    : $"Log generations {p.Generation + 1} to {n.Generation - 1} ({missing}) are missing between {p.Generation} and {n.Generation}.")
            {
                File = location,
                Generation = p.Generation + 1,
                Expected = FindingCollector.Dec(p.Generation + 1),
                Actual = FindingCollector.Dec(n.Generation),
                EseError = (int)JetErr.JET_errMissingRestoreLogFiles,
            });
            return;
        }

        if (n.PreviousGenerationCreated.Raw != p.Created.Raw)
        {
            findings.Add(new Finding(
                FindingCodes.LogNotContiguous,
                FindingSeverity.Corruption,
                $"Log generation {n.Generation} says its predecessor was created at {n.PreviousGenerationCreated}, but generation {p.Generation} was created at {p.Created}.")
            {
                File = next.DisplayPath,
                Generation = n.Generation,
                Expected = p.Created.ToString(),
                Actual = n.PreviousGenerationCreated.ToString(),
                EseError = (int)JetErr.JET_errGivenLogFileIsNotContiguous,
            });
        }

        if (n.Version.HasPreviousLogChecksum && prev.AccumulatedSegmentChecksum is { } acc && acc != n.PreviousLogAccumulatedChecksum)
        {
            findings.Add(new Finding(
                FindingCodes.LogSequenceChecksumMismatch,
                FindingSeverity.Corruption,
                $"The segments of generation {p.Generation} do not add up to the checksum generation {n.Generation} recorded for them.")
            {
                File = next.DisplayPath,
                Generation = n.Generation,
                Expected = FindingCollector.Hex(n.PreviousLogAccumulatedChecksum),
                Actual = FindingCollector.Hex(acc),
                EseError = (int)JetErr.JET_errLogSequenceChecksumMismatch,
            });
        }
    }
}
