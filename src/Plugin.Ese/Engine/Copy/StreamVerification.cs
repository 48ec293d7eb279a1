using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Copy;

/// <summary>What verifying one file found, in the manifest's terms.</summary>
/// <param name="Kind">What the file is (<c>database</c>, <c>log</c>, <c>checkpoint</c>, ...).</param>
/// <param name="Role">The manifest role that kind implies.</param>
/// <param name="Unit">What a unit is: <c>page</c>, <c>segment</c>, <c>record</c> or <c>none</c>.</param>
/// <param name="UnitsChecked">Units verified.</param>
/// <param name="UnitsUninitialized">Never-written units (all zero), not checksummed.</param>
/// <param name="Findings">What is wrong.</param>
internal sealed record StreamVerification(string Kind, FileRole Role, string Unit, long UnitsChecked, long UnitsUninitialized, IReadOnlyList<Finding> Findings)
{
    /// <summary>Database facts, for databases.</summary>
    public DatabaseFacts? Database { get; init; }

    /// <summary>Log facts, for logs.</summary>
    public LogFacts? Log { get; init; }

    /// <summary>Checkpoint facts, for checkpoints.</summary>
    public CheckpointFacts? Checkpoint { get; init; }

    /// <summary>
    /// Everything the Format layer read (headers, units, findings): <c>verify</c> and <c>inspect</c> report it, and the
    /// cross-file checks need the headers, which the facts above only summarise.
    /// </summary>
    public EseVerificationResult? Detail { get; init; }

    /// <summary>True when any finding is corruption.</summary>
    public bool HasCorruption => Findings.Any(f => f.Severity == FindingSeverity.Corruption);

    /// <summary>
    /// The Format layer's result for one file, with the facts the manifest records read from its header. This is the
    /// one place where what the format checks read becomes manifest facts.
    /// </summary>
    public static StreamVerification From(EseVerificationResult r)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new StreamVerification(r.Kind.ToName(), RoleOf(r.Kind), r.Unit.ToName(), r.UnitsChecked - r.UnitsCorrupt, r.UnitsUninitialized, r.Findings)
        {
            Database = r.Kind == EseFileKind.Database && r.Database is { } db ? DatabaseFactsOf(db, r) : null,
            Log = r.Kind == EseFileKind.Log && r.Log is { } log ? LogFactsOf(log, r) : null,
            Checkpoint = r.Kind == EseFileKind.Checkpoint && r.Checkpoint is { } chk ? new CheckpointFacts(chk.CheckpointGeneration) { LogSignature = chk.Signature.ToString() } : null,
            Detail = r,
        };
    }

    private static FileRole RoleOf(EseFileKind kind) => kind switch
    {
        EseFileKind.Database => FileRole.Database,
        EseFileKind.Log => FileRole.Log,
        EseFileKind.Checkpoint => FileRole.Checkpoint,
        EseFileKind.Patch => FileRole.Patch,
        _ => FileRole.Other,
    };

    private static DatabaseFacts DatabaseFactsOf(DatabaseHeader h, EseVerificationResult r)
    {
        // The range the whole file needs, as the checks worked it out (a streaming-backup image's trailer decides it).
        var range = r.RequiredLogRange is { } required ? new GenerationRange(required.Low, required.High) : null;
        return new DatabaseFacts(h.PageSize, (int)h.FormatVersion, (int)h.FormatRevision, h.State.ToString())
        {
            DatabaseSignature = h.DatabaseSignature.ToString(),
            LogSignature = h.LogSignature.IsZero ? null : h.LogSignature.ToString(),
            RequiredLogRange = range,
            CommittedGeneration = h.GenMaxCommitted > 0 ? h.GenMaxCommitted : null,
            PagesVerified = r.UnitsChecked - r.UnitsCorrupt,
            HasBackupTrailer = r.Trailer is not null,
        };
    }

    private static LogFacts LogFactsOf(LogFileHeader h, EseVerificationResult r) => new(h.Generation)
    {
        LogSignature = h.Signature.ToString(),
        Created = h.Created.ToDateTimeOffset(),
        PreviousGenerationCreated = h.PreviousGenerationCreated.ToDateTimeOffset(),
        FormatVersion = h.Version.ToString(),
        UnitsVerified = r.UnitsChecked - r.UnitsCorrupt,
    };
}
