using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.FormatBinding;

/// <summary>Turns what the Format layer read from headers into the manifest's facts.</summary>
internal static class EseFacts
{
    public static FileRole RoleOf(EseFileKind kind) => kind switch
    {
        EseFileKind.Database => FileRole.Database,
        EseFileKind.Log => FileRole.Log,
        EseFileKind.Checkpoint => FileRole.Checkpoint,
        EseFileKind.Patch => FileRole.Patch,
        _ => FileRole.Other,
    };

    public static DatabaseFacts Database(DatabaseHeader h, EseVerificationResult? result = null)
    {
        var required = result?.Database is not null ? result.RequiredLogRange : h.RequiredLogRange;
        var range = required is { } r ? new GenerationRange(r.Low, r.High) : null;

        return new DatabaseFacts(h.PageSize, (int)h.FormatVersion, (int)h.FormatRevision, h.State.ToString())
        {
            DatabaseSignature = h.DatabaseSignature.ToString(),
            LogSignature = h.LogSignature.IsZero ? null : h.LogSignature.ToString(),
            RequiredLogRange = range,
            CommittedGeneration = h.GenMaxCommitted > 0 ? h.GenMaxCommitted : null,
            PagesVerified = result is null ? 0 : result.UnitsChecked - result.UnitsCorrupt,
            HasBackupTrailer = result?.Trailer is not null,
        };
    }

    public static LogFacts Log(LogFileHeader h, EseVerificationResult? result = null) => new(h.Generation)
    {
        LogSignature = h.Signature.ToString(),
        Created = h.Created.ToDateTimeOffset(),
        PreviousGenerationCreated = h.PreviousGenerationCreated.ToDateTimeOffset(),
        FormatVersion = h.Version.ToString(),
        UnitsVerified = result is null ? 0 : result.UnitsChecked - result.UnitsCorrupt,
    };

    public static CheckpointFacts Checkpoint(CheckpointHeader h) => new(h.CheckpointGeneration)
    {
        LogSignature = h.Signature.ToString(),
    };
}
