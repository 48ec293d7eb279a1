using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.HostSample.Hosting;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// Backup kinds as scripts name them: ours (<c>full</c>, <c>incremental</c>, <c>copy</c>, <c>auto</c>), the usual job levels
/// (<c>differential</c>) and the backup products' own words (Bacula's <c>%l</c>: Full, Incremental, Differential, Base;
/// NetBackup's schedule types: FULL, INCR, CINC, UBAK, UARC).
/// </summary>
internal static class JobLevels
{
    /// <summary>The words <see cref="Parse"/> accepts, for help texts.</summary>
    public const string Words = "full, incremental, copy, auto; differential; Bacula %l (Full, Incremental, Differential, Base); NetBackup FULL, INCR, CINC, UBAK, UARC";

    /// <summary>A requested kind; <see langword="null"/> Kind means "auto".</summary>
    /// <param name="Kind">The kind, or null for auto.</param>
    /// <param name="Note">Why a word was mapped to something else (for standard error).</param>
    public sealed record Choice(BackupKind? Kind, string? Note);

    /// <summary>Maps a word (any case) to a kind; null when the word is unknown.</summary>
    public static Choice? Parse(string word)
    {
        ArgumentNullException.ThrowIfNull(word);
        return word.Trim().ToLowerInvariant() switch
        {
            "full" or "f" or "base" => new Choice(BackupKind.Full, null),
            "incremental" or "incr" or "i" => new Choice(BackupKind.Incremental, null),
            "copy" or "ubak" or "uarc" => new Choice(BackupKind.Copy, null),
            "auto" => new Choice(null, null),
            // ESE's chain is linear (each incremental holds the logs since the previous set): there is no cumulative
            // incremental. A product that keeps only the last differential after a full would lose the logs of the
            // earlier ones, so a differential job gets a full, which is always restorable on its own.
            "differential" or "diff" or "d" or "cinc" => new Choice(BackupKind.Full, $"'{word}' (a cumulative level) runs as a full backup: ESE incrementals are not cumulative."),
            _ => null,
        };
    }

    /// <summary>
    /// The kind <c>auto</c> (or a requested incremental under <c>--kind auto</c>) becomes for this target: copy under circular
    /// logging (no incremental is possible and nothing may truncate), full when the chain has no completed full, else
    /// the requested kind (incremental for plain auto).
    /// </summary>
    public static async Task<(BackupKind Kind, string Why)> ResolveAutoAsync(CliSession session, ResolvedTarget resolved, BackupKind? requested, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(resolved);
        var target = resolved.Target; // null for an id only the plugin knows: a file set, whose logging mode we then learn from its chain
        if (target?.Logs?.CircularLogging == true || (target?.Kind == TargetKind.VssWriter && requested is null))
        {
            return (BackupKind.Copy, target.Logs?.CircularLogging == true ? "circular logging is on: copy" : "VSS writer target: copy unless a level asks for more");
        }

        if (requested is BackupKind.Copy or BackupKind.Full)
        {
            return (requested.Value, "as requested");
        }

        var chain = await session.Catalog.GetChainAsync(resolved.Id, ct);
        return chain.Count == 0
            ? (BackupKind.Full, "the chain has no completed full: full")
            : (BackupKind.Incremental, "the chain has a completed full: incremental");
    }
}
