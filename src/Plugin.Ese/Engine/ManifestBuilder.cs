using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>
/// A set's manifest while it is being staged: the staged files in the source's order with what the copier found in
/// each, the totals of the verification summary, and at the end the manifest itself. The engine's flow decides when;
/// this type alone decides what a manifest says (its chain links, log range, identity and summary).
/// </summary>
internal sealed class ManifestBuilder
{
    private readonly List<ManifestFile> _files = [];

    /// <summary>The staged files so far, in the source's order.</summary>
    public IReadOnlyList<ManifestFile> Files => _files;

    /// <summary>Bytes staged so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>Database pages checked.</summary>
    public long Pages { get; private set; }

    /// <summary>Database pages found uninitialised (allowed, counted).</summary>
    public long Uninitialized { get; private set; }

    /// <summary>Log segments checked.</summary>
    public long LogUnits { get; private set; }

    /// <summary>True once a database was staged (a full or copy without one restores nothing).</summary>
    public bool HasDatabase => _files.Exists(f => f.Role == FileRole.Database);

    /// <summary>Adds a verified file, taking its role from what the checks recognised when the source did not say.</summary>
    public ManifestFile Add(SourceFile file, CopiedFile copied)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(copied);
        var v = copied.Verification;
        var role = v.Role == FileRole.Other ? file.Role : v.Role;
        Bytes += copied.Length;
        if (v.Unit == "page")
        {
            Pages += v.UnitsChecked;
            Uninitialized += v.UnitsUninitialized;
        }
        else if (role == FileRole.Log)
        {
            LogUnits += v.UnitsChecked;
        }

        var entry = new ManifestFile(file.RelativePath, role, copied.Length, copied.Sha256)
        {
            SourcePath = file.SourcePath,
            Database = v.Database,
            Log = v.Log is { } log ? log with { WasCurrentLog = file.WasCurrentLog, ReplacesCopyInSetId = file.ReplacesCopyInSetId } : null,
            Checkpoint = v.Checkpoint,

            // Warnings (bytes beyond a checkpoint's or log's end, ...) did not fail the backup but belong to its record.
            Findings = [.. v.Findings],
        };
        _files.Add(entry);
        return entry;
    }

    /// <summary>The manifest of the staged set.</summary>
    /// <param name="run">The backup: set id, target, kind, chain at its start and when it started.</param>
    /// <param name="outcome">What the source added once every file was staged.</param>
    /// <param name="producer">Who made the set, and with which copy strategy.</param>
    /// <param name="finishedAt">When staging finished.</param>
    public BackupManifest Build(BackupRun run, StagedOutcome outcome, ProducerInfo producer, DateTimeOffset finishedAt)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(outcome);
        var generations = _files.Where(f => f.Log is not null).Select(f => f.Log!.Generation).ToList();
        return outcome.AddSourceFields(new BackupManifest
        {
            SetId = run.SetId,
            Target = IdentityOf(run.Target),
            Kind = run.Kind,
            StartedAt = run.StartedAt,
            FinishedAt = finishedAt,
            Chain = ChainOf(run.SetId, run.Kind, run.Chain),
            Producer = producer,
            Files = [.. _files],
            LogRange = generations.Count > 0 ? new GenerationRange(generations.Min(), generations.Max()) : null,
            Truncation = outcome.Truncation,
            Verification = new VerificationSummary(_files.Count, Pages, Uninitialized, LogUnits, _files.Sum(f => f.Findings.Count)),
        });
    }

    /// <summary>An incremental continues the chain's newest set; a full or copy starts a chain of its own.</summary>
    private static ChainInfo ChainOf(string setId, BackupKind kind, IReadOnlyList<CatalogEntry> chain) =>
        kind == BackupKind.Incremental
            ? new ChainInfo(chain[0].Manifest.SetId, chain[^1].Manifest.SetId, chain[^1].Manifest.Chain.Sequence + 1)
            : new ChainInfo(setId, null, 0);

    private static TargetIdentity IdentityOf(BackupTarget target) => new(target.Id, target.Kind, target.DisplayName)
    {
        Location = target.Location,
        InstanceName = target.InstanceName,
        Vss = target.Vss,
        LogSignature = target.Logs?.LogSignature,
        LogBaseName = target.Logs?.BaseName,
        DatabaseSignatures = [.. target.Databases.Select(d => d.DatabaseSignature).OfType<string>()],
    };
}
