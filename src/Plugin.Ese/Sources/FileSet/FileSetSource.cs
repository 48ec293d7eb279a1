using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// File-set targets: databases, logs and checkpoint that no process has open (offline, dismounted, a
/// mounted snapshot), read directly. The plugin does here what JetBackupInstance promises: full =
/// databases + every log still needed, incremental = logs only, truncation only after the host's success.
/// </summary>
/// <remarks>
/// Target ids are handles. Every discovered location is remembered (<see cref="FileSetLocationMemory"/>, in the
/// plugin's state directory), so a backup by id needs no search paths. One log stream found at two or more places
/// (a test restore beside production) is two targets: each gets its id qualified by its location
/// (<see cref="TargetCopies"/>), and the bare id, which no longer says which copy is meant, is refused naming every
/// place. A stream found at one place keeps its bare id, so existing catalogs and chains still match.
/// </remarks>
internal sealed class FileSetSource(FileSetOptions options, IBackupCatalog catalog, TimeProvider time, ILogger<FileSetSource> logger, FileSetLocationMemory? memory = null) : IBackupSource
{
    public const string StrategyName = "file-set";

    private readonly FileSetScanner _scanner = new(options, logger);

    public TargetKind Kind => TargetKind.FileSet;

    public TargetKindCapabilities Capabilities { get; } = new(
        TargetKind.FileSet,
        Available: true,
        UnavailableReason: null,
        BackupKinds: [BackupKind.Full, BackupKind.Incremental, BackupKind.Copy],
        Truncation: TruncationPerformer.Plugin,
        TruncatesDuringBackup: false,
        Strategies: [StrategyName]);

    private const string TargetIdPrefix = "fs-";

    /// <summary>A target's id: its log stream signature, hashed. The same stream is the same target wherever it is.</summary>
    public static string TargetIdFor(string logSignature) =>
        TargetIdPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(logSignature)))[..24];

    /// <summary>
    /// The id of one copy of a log stream found at several places: the stream's id, then a hash of the directory, so
    /// the same copy keeps its id wherever it is found from.
    /// </summary>
    public static string QualifiedIdFor(string targetId, string location) => TargetCopies.QualifiedId(targetId, Path.GetFullPath(location));

    public bool MayOwn(string targetId) => targetId.StartsWith(TargetIdPrefix, StringComparison.Ordinal);

    public async IAsyncEnumerable<BackupTarget> DiscoverAsync(DiscoveryRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var found = await DiscoverAllAsync(request.Paths, request.MaxDepth, cancellationToken);
        foreach (var target in found)
        {
            yield return target;
        }
    }

    /// <summary>
    /// Finds a target by id: under <paramref name="searchPaths"/>, the configured roots and every place the id was
    /// remembered at. A bare id whose stream is at several places is refused, naming them (<see cref="TargetCopies"/>).
    /// </summary>
    public async ValueTask<TargetLookup> FindAsync(string targetId, IReadOnlyList<string> searchPaths, CancellationToken cancellationToken)
    {
        var remembered = memory?.LocationsOf(TargetCopies.IdentityOf(targetId)) ?? [];
        var paths = searchPaths.Concat(remembered).Where(Directory.Exists).ToList();
        var found = await DiscoverAllAsync(paths, maxDepth: null, cancellationToken);
        return TargetCopies.Match(targetId, found, t => t.Location, memory?.LocationsOf(TargetCopies.IdentityOf(targetId)));
    }

    /// <summary>
    /// A target the host resolved: taken as it is when its id is this copy's qualified id, or its bare id and no other
    /// place is remembered for the stream (then the bare id cannot be ambiguous). Nothing is scanned here;
    /// <see cref="BeginAsync"/> re-reads the location and refuses it when the stream is no longer there. Otherwise the
    /// id must be resolved the long way (every remembered place re-scanned), so the engine searches.
    /// </summary>
    public ValueTask<TargetLookup?> AdoptAsync(BackupTarget target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Kind != TargetKind.FileSet || target.Location is not { } location || !Path.IsPathFullyQualified(location) || target.Logs?.LogSignature is not { } signature)
        {
            return ValueTask.FromResult<TargetLookup?>(null);
        }

        var place = Path.GetFullPath(location);
        var bare = TargetIdFor(signature);
        var adopt = target.Id == QualifiedIdFor(bare, place)
            || (target.Id == bare && (memory?.LocationsOf(bare) ?? []).All(other => string.Equals(other, place, StringComparison.Ordinal)));
        return ValueTask.FromResult(adopt ? new TargetLookup(target, null) : null);
    }

    /// <summary>
    /// Every target under the configured roots and <paramref name="paths"/>. Each is remembered where it was found;
    /// a stream that is (still) at another remembered place too gets location-qualified ids.
    /// </summary>
    private async Task<List<BackupTarget>> DiscoverAllAsync(IReadOnlyList<string> paths, int? maxDepth, CancellationToken ct)
    {
        var roots = options.Roots.Concat(paths).Select(Path.GetFullPath).Distinct(StringComparer.Ordinal).ToList();
        var groups = new List<FileSetGroup>();
        foreach (var root in roots)
        {
            foreach (var group in await Task.Run(() => _scanner.Scan(root, maxDepth, ct), ct))
            {
                // The same set under two overlapping roots is one set.
                if (!groups.Any(g => g.LogSignature == group.LogSignature && g.Location == group.Location))
                {
                    groups.Add(group);
                }
            }
        }

        var targets = groups.Select(ToTarget).ToList();
        memory?.Remember([.. targets.Select(t => (t.Id, t.Location!))]);
        var places = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var byStream in groups.GroupBy(g => g.LogSignature))
        {
            var id = TargetIdFor(byStream.Key);
            var here = byStream.Select(g => g.Location).ToList();
            foreach (var other in (memory?.LocationsOf(id) ?? []).Except(here, StringComparer.Ordinal).ToList())
            {
                // Remembered elsewhere: still there? A place whose parent is unreachable (an unmounted volume, a share
                // that is offline) may come back, so it still counts: the copy in sight must not take the bare id
                // meanwhile. A reachable place that no longer holds the stream (a deleted test restore) is forgotten.
                if (!ParentReachable(other) || await Task.Run(() => Rescan(other, byStream.Key, [], ct), ct) is not null)
                {
                    here.Add(other);
                }
                else
                {
                    memory!.Forget(id, other);
                }
            }

            places[id] = here;
        }

        return [.. targets.Select(t => places[t.Id] is { Count: > 1 } all ? TargetCopies.Qualify(t, t.Location!, all) : t)];
    }

    private static bool ParentReachable(string location) => Path.GetDirectoryName(location) is not { } parent || Directory.Exists(parent);

    internal BackupTarget ToTarget(FileSetGroup group)
    {
        var id = TargetIdFor(group.LogSignature);
        var warnings = new List<PluginError>();
        foreach (var missing in group.MissingRanges)
        {
            warnings.Add(new PluginError(ErrorCodes.MissingFileToBackup, $"Log generations {missing} are missing in '{group.Location}'.") { TargetId = id });
        }

        foreach (var db in group.Databases.Where(d => d.NeedsLogs && d.RequiredRange is not null))
        {
            var need = db.RequiredRange!;
            if (group.Logs.Count == 0 || need.Low < group.OldestGeneration || need.High > group.NewestGeneration)
            {
                warnings.Add(new PluginError(ErrorCodes.RequiredLogFilesMissing, $"Database '{db.Path}' is {db.State} and needs log generations {need}, which are not all present; a full backup would not be restorable.") { TargetId = id, File = db.Path });
            }
        }

        foreach (var problem in group.Problems.Concat(group.Logs.Where(l => l.HeaderDamaged)))
        {
            warnings.Add(new PluginError(ErrorCodes.ReadVerifyFailure, $"'{problem.Path}' looks like part of this set but its header cannot be trusted: {problem.Problem}.") { TargetId = id, File = problem.Path });
        }

        foreach (var log in group.Logs.Where(l => l.NameGeneration is { } n && n != l.Generation))
        {
            warnings.Add(new PluginError(ErrorCodes.LogGenerationMismatch, $"Log '{log.Path}' is named for generation {log.NameGeneration} but its header says {log.Generation}.") { TargetId = id, File = log.Path });
        }

        var kinds = new List<BackupKind> { BackupKind.Full, BackupKind.Copy };
        if (group.Logs.Count > 0 && !group.CircularLogging)
        {
            kinds.Insert(1, BackupKind.Incremental);
        }

        var baseName = group.BaseName;
        var name = $"{Path.GetFileName(group.Location)}{(baseName is null ? string.Empty : $" ({baseName})")}: {string.Join(", ", group.Databases.Select(d => Path.GetFileName(d.Path)))}";
        return new BackupTarget
        {
            Id = id,
            Kind = TargetKind.FileSet,
            DisplayName = name,
            Location = group.Location,
            Databases = [.. group.Databases.Select(d => new TargetDatabase(d.Path)
            {
                PageSize = d.PageSize,
                State = d.State,
                DatabaseSignature = d.DatabaseSignature,
                RequiredLogRange = d.NeedsLogs ? d.RequiredRange : null,
                Size = d.Length,
            })],
            Logs = new TargetLogSet(group.Location, baseName ?? "edb")
            {
                LogSignature = group.LogSignature,
                Present = group.PresentRanges,
                Missing = group.MissingRanges,
                CurrentGeneration = group.CurrentLog?.Generation,
                CircularLogging = group.CircularLogging,
                CheckpointGeneration = group.Checkpoint?.Generation,
            },
            CheckpointPath = group.Checkpoint?.Path,
            SupportedBackupKinds = kinds,
            Warnings = warnings,
        };
    }

    /// <summary>
    /// The target's group as it is on disk now (headers re-read), or null when it is gone. <paramref name="databases"/>
    /// are the databases known to belong to it, which may live outside the log directory.
    /// </summary>
    internal FileSetGroup? Rescan(string location, string logSignature, IEnumerable<string> databases, CancellationToken ct) =>
        _scanner.Scan(location, maxDepth: null, ct, databases).FirstOrDefault(g => g.LogSignature == logSignature && g.Location == Path.GetFullPath(location));

    public ValueTask<SourceSessionStart> BeginAsync(SourceBackupContext context, CancellationToken cancellationToken)
    {
        var target = context.Target;
        var group = target.Location is { } location && target.Logs?.LogSignature is { } signature
            ? Rescan(location, signature, KnownDatabases(target, context.Chain), cancellationToken)
            : null;
        if (group is null)
        {
            return ValueTask.FromResult(SourceSessionStart.Failed(new PluginError(ErrorCodes.TargetNotFound, $"The files of '{target.DisplayName}' are no longer at '{target.Location}'.") { TargetId = target.Id }));
        }

        if (group.ScanTruncated)
        {
            return ValueTask.FromResult(SourceSessionStart.Failed(new PluginError(
                ErrorCodes.InvalidParameter,
                $"'{target.Location}' holds more than {options.MaxFilesPerRoot:N0} files (EsePlugin:FileSet:MaxFilesPerRoot): the set cannot be planned completely. Raise the limit or move unrelated files away.") { TargetId = target.Id }));
        }

        // The plan also checks the listed databases: damaged (still there, header unreadable) or gone, each named.
        var plan = FileSetPlanner.Plan(group, context.Kind, context.Chain, target.Id, target.Databases.Select(d => d.Path));
        if (plan.Error is { } error)
        {
            return ValueTask.FromResult(SourceSessionStart.Failed(error));
        }

        logger.LogInformation("File-set {Kind} of {Target}: {Files} files, logs {Range}.", context.Kind, target.Id, plan.Files.Count, plan.LogRange);
        // The target as it is now (the one scan of this backup), under the id it was asked for (qualified or bare).
        var now = ToTarget(group) with { Id = target.Id, DisplayName = target.DisplayName };
        return ValueTask.FromResult(SourceSessionStart.Started(new FileSetSession(this, group, context.Kind, plan, target.Id, context.Chain, options.TruncationPolicy, catalog, time, logger)) with { Target = now });
    }

    /// <summary>
    /// Databases that belong to the target even when they live outside its log folder: those discovery listed, and
    /// those the chain's earlier sets copied (a host that searches only the log folder still gets them).
    /// </summary>
    private static IEnumerable<string> KnownDatabases(BackupTarget target, IReadOnlyList<CatalogEntry> chain) =>
        target.Databases.Select(d => d.Path)
            .Concat(chain.SelectMany(e => e.Manifest.Files).Where(f => f.Role == FileRole.Database && f.SourcePath is not null).Select(f => f.SourcePath!));

    public ValueTask<ISourceSession?> ResumeForCompletionAsync(BackupManifest manifest, CancellationToken cancellationToken)
    {
        if (manifest.Target.Location is not { } location || manifest.Target.LogSignature is not { } signature)
        {
            return ValueTask.FromResult<ISourceSession?>(null);
        }

        var databases = manifest.Files.Where(f => f.Role == FileRole.Database && f.SourcePath is not null).Select(f => f.SourcePath!);
        var group = Rescan(location, signature, databases, cancellationToken);
        return ValueTask.FromResult<ISourceSession?>(group is null
            ? null
            : new FileSetSession(this, group, manifest.Kind, FileSetPlan.Empty, manifest.Target.Id, [], options.TruncationPolicy, catalog, time, logger));
    }
}
