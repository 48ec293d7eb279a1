using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// Where bytes come from. One implementation per target kind (file set, in-process esent instance,
/// VSS writer). The engine drives every source the same way and never knows which one it has.
/// </summary>
internal interface IBackupSource
{
    /// <summary>The kind of target this source serves.</summary>
    TargetKind Kind { get; }

    /// <summary>What this source can do on the current machine.</summary>
    TargetKindCapabilities Capabilities { get; }

    /// <summary>
    /// False when <paramref name="targetId"/> cannot be one of this source's ids (ids carry their source's prefix), so
    /// finding a target skips discoveries that cannot match — walking file-set roots costs a header read per file.
    /// </summary>
    bool MayOwn(string targetId) => true;

    /// <summary>Finds this source's targets.</summary>
    IAsyncEnumerable<BackupTarget> DiscoverAsync(DiscoveryRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Finds one target by id for a backup, looking also under <paramref name="searchPaths"/>. Sources that remember
    /// where they found targets look there too. Neither a target nor an error: not found.
    /// </summary>
    async ValueTask<TargetLookup> FindAsync(string targetId, IReadOnlyList<string> searchPaths, CancellationToken cancellationToken)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in DiscoverAsync(new DiscoveryRequest { Paths = searchPaths, Kinds = [Kind] }, cancellationToken))
        {
            found.Add(t);
        }

        return TargetCopies.Match(targetId, found, PlaceOf);
    }

    /// <summary>
    /// Takes a target the host resolved by an earlier discovery (<see cref="Abstractions.Operations.BackupRequest.Target"/>)
    /// without searching for it: the source only checks that the target is its own and that its id still says which
    /// files are meant; <see cref="BeginAsync"/> then reads them. <see langword="null"/>: the source cannot tell without
    /// searching (the default), so the engine finds the target by id.
    /// </summary>
    ValueTask<TargetLookup?> AdoptAsync(BackupTarget target, CancellationToken cancellationToken) => ValueTask.FromResult<TargetLookup?>(null);

    /// <summary>Where a target's copy lives, which tells apart two copies of one ESE identity (its log directory).</summary>
    static string? PlaceOf(BackupTarget target) => target.Logs?.Directory ?? target.Location;

    /// <summary>
    /// Starts a backup of one target. The session yields the files to stage, in order, and later
    /// completes (phase two) or aborts. Failures that are known up front (incremental without a full,
    /// circular logging, a gap in generations) are returned as errors in <see cref="SourceSessionStart"/>.
    /// </summary>
    ValueTask<SourceSessionStart> BeginAsync(SourceBackupContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Recreates, from its manifest alone, a session able to complete a staged set whose live session is
    /// gone (another process staged it). Sources whose completion needs the live engine session (esent
    /// streaming, VSS) return <see langword="null"/>: the set then cannot truncate anything.
    /// </summary>
    ValueTask<ISourceSession?> ResumeForCompletionAsync(Abstractions.Manifest.BackupManifest manifest, CancellationToken cancellationToken)
        => ValueTask.FromResult<ISourceSession?>(null);
}

/// <summary>The outcome of looking a target up by id.</summary>
/// <param name="Target">The target, when found.</param>
/// <param name="Error">Why the id cannot be used (for example, it names several copies).</param>
internal sealed record TargetLookup(BackupTarget? Target, PluginError? Error);

/// <summary>Everything a source needs to plan one backup.</summary>
/// <param name="Target">The target, as discovered.</param>
/// <param name="Kind">Full, incremental or copy.</param>
/// <param name="Strategy">The requested strategy name, or <see langword="null"/> for the source's default.</param>
/// <param name="Chain">The target's current chain from the host's catalog (completed full first, then incrementals).</param>
/// <param name="SetId">Id of the set being made.</param>
/// <param name="WorkDirectory">
/// The set's private temporary directory inside staging. Sources whose engine writes files itself
/// (JetBackupInstance) write there and report those files with <see cref="SourceFile.StagedPath"/>.
/// </param>
internal sealed record SourceBackupContext(
    BackupTarget Target,
    BackupKind Kind,
    string? Strategy,
    IReadOnlyList<CatalogEntry> Chain,
    string SetId,
    string WorkDirectory)
{
    /// <summary>The host's progress sink, for sources whose engine reports its own phases (ESE's status callback).</summary>
    public IProgress<Abstractions.Progress.OperationProgress>? Progress { get; init; }
}

/// <summary>Result of <see cref="IBackupSource.BeginAsync"/>: a session, or the reason there is none.</summary>
internal sealed record SourceSessionStart(ISourceSession? Session, Abstractions.Errors.PluginError? Error)
{
    /// <summary>
    /// The target as the source found it when it began (same id): what the manifest records. <see langword="null"/>:
    /// the target the session was started with.
    /// </summary>
    public BackupTarget? Target { get; init; }

    public static SourceSessionStart Started(ISourceSession session) => new(session, null);

    public static SourceSessionStart Failed(Abstractions.Errors.PluginError error) => new(null, error);
}
