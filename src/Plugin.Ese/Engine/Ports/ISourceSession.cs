using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// One running backup of one target, from the source's side. The engine:
/// <list type="number">
/// <item>enumerates <see cref="GetFilesAsync"/> and copies each file through its one-pass pipeline
/// (verify + hash + write), reading each file to its end before asking for the next, unless the session allows
/// parallel reads (<see cref="FilesMayBeReadInParallel"/>);</item>
/// <item>calls <see cref="OnStagedAsync"/> once every file is staged and verified;</item>
/// <item>later calls <see cref="CompleteAsync"/> with the host's verdict (phase two), or
/// <see cref="AbortAsync"/> on any failure or cancellation (always safe to call, idempotent).</item>
/// </list>
/// Disposing a session that was neither completed nor aborted aborts it.
/// </summary>
internal interface ISourceSession : IAsyncDisposable
{
    /// <summary>The copy strategy actually used (recorded in the manifest), e.g. <c>file-set</c>.</summary>
    string Strategy { get; }

    /// <summary>
    /// True when the source's engine already finished the backup, truncation included, although the backup was
    /// cancelled (the cancel reached it too late): the set then holds the only copy of the truncated logs, so the engine
    /// stages it to its end instead of honouring the cancel.
    /// </summary>
    bool MustFinishStaging => false;

    /// <summary>
    /// True when the files this session offers are independent of each other and of the session (plain files, a
    /// mounted snapshot): the engine may then ask for the next file and copy several at once. A session that reads
    /// through an engine one file at a time (ESE's backup API) keeps the default, one file after the other.
    /// </summary>
    bool FilesMayBeReadInParallel => false;

    /// <summary>Expected file count and bytes, when the source knows them up front (for progress).</summary>
    SessionEstimate? Estimate => null;

    /// <summary>The files to stage, in the order the source requires.</summary>
    IAsyncEnumerable<SourceFile> GetFilesAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Every file is staged and verified. Returns the truncation plan for the manifest, and for engines
    /// that truncate during phase one (JetBackupInstance), the report of what they removed.
    /// </summary>
    ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken);

    /// <summary>
    /// Phase two's source step. Truncates (or lets the engine/writer truncate) only when <paramref name="hostSucceeded"/>
    /// is true. Before its first irreversible step (deleting a log, a native call that ends or truncates) the session
    /// awaits <paramref name="intent"/> with what it is about to remove; from then on it must not honour
    /// <paramref name="cancellationToken"/>. Idempotency, verdict conflicts and the report's delivery belong to the engine's
    /// state machine (<see cref="TwoPhase.StagedSets"/>), which calls this at most once per verdict.
    /// </summary>
    ValueTask<TruncationReport> CompleteAsync(BackupManifest manifest, bool hostSucceeded, TruncationIntent intent, CancellationToken cancellationToken);

    /// <summary>Ends the session without success: nothing is truncated. Idempotent.</summary>
    ValueTask AbortAsync(PluginError? reason);
}

/// <summary>
/// Called by a session right before phase two's first irreversible step, with the logs it is about to remove (empty
/// when an engine or writer removes them itself); the state machine journals it first.
/// </summary>
/// <param name="planned">The logs about to be removed, with their reasons.</param>
internal delegate ValueTask TruncationIntent(IReadOnlyList<TruncatedLog> planned);

/// <summary>How much a session expects to copy.</summary>
/// <param name="Files">Number of files.</param>
/// <param name="Bytes">Total bytes.</param>
internal sealed record SessionEstimate(int Files, long Bytes);

/// <summary>What the engine tells the source once the set is staged.</summary>
/// <param name="SetDirectory">The (still temporary) set directory.</param>
/// <param name="Files">The manifest's file entries.</param>
/// <param name="Findings">Verification findings (a staged set has none; a source may still want to know the counts).</param>
internal sealed record StagedSetInfo(string SetDirectory, IReadOnlyList<ManifestFile> Files, int Findings);

/// <summary>What the source adds to the manifest once files are staged.</summary>
/// <param name="Truncation">The truncation plan recorded in the manifest.</param>
/// <param name="EngineTruncation">What an engine already truncated during phase one, if it does that.</param>
/// <param name="SourceFields">
/// Fills the manifest fields only this kind of source knows (the engine builds the rest and never looks at them);
/// null when the source has none.
/// </param>
internal sealed record StagedOutcome(TruncationPlan Truncation, TruncationReport? EngineTruncation = null, Func<BackupManifest, BackupManifest>? SourceFields = null)
{
    /// <summary>The manifest the engine built, with the source's own fields added.</summary>
    public BackupManifest AddSourceFields(BackupManifest manifest) => SourceFields?.Invoke(manifest) ?? manifest;
}
