using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Abstractions.Operations;

/// <summary>Outcome of phase one.</summary>
public sealed record BackupResult
{
    /// <summary>The failure; <see langword="null"/> on success.</summary>
    public PluginError? Error { get; init; }

    /// <summary>True when the set was staged.</summary>
    public bool Succeeded => Error is null && Manifest is not null;

    /// <summary>The staged set's manifest.</summary>
    public BackupManifest? Manifest { get; init; }

    /// <summary>Full path of the staged set directory (inside the staging directory).</summary>
    public string? SetDirectory { get; init; }

    /// <summary>For engines that truncate on their own during phase one: what they removed.</summary>
    public TruncationReport? EngineTruncation { get; init; }

    /// <summary>A failed result.</summary>
    /// <param name="error">Why.</param>
    public static BackupResult Failure(PluginError error) => new() { Error = error };
}

/// <summary>Phase two: the host's verdict on a staged set.</summary>
/// <param name="Manifest">The set's manifest, as returned by phase one (the host keeps it in its catalog).</param>
/// <param name="Succeeded">True when the host stored the set safely; only then may logs be truncated.</param>
public sealed record CompletionRequest(BackupManifest Manifest, bool Succeeded);

/// <summary>Outcome of phase two.</summary>
public sealed record CompletionResult
{
    /// <summary>The failure; <see langword="null"/> when completion ran (even if nothing was truncated).</summary>
    public PluginError? Error { get; init; }

    /// <summary>What happened to the logs, and who did it.</summary>
    public TruncationReport? Truncation { get; init; }
}

/// <summary>Verify one set directory (staged or stored).</summary>
/// <param name="SetDirectory">Directory holding <c>manifest.json</c> and the set's files.</param>
public sealed record VerifySetRequest(string SetDirectory);

/// <summary>Outcome of set verification.</summary>
public sealed record VerifySetResult
{
    /// <summary>A failure that stopped verification (unreadable manifest, missing directory).</summary>
    public PluginError? Error { get; init; }

    /// <summary>The manifest that was verified against.</summary>
    public BackupManifest? Manifest { get; init; }

    /// <summary>Per-file results (hash and ESE checks).</summary>
    public IReadOnlyList<FileVerification> Files { get; init; } = [];

    /// <summary>Set-level findings (missing files, extra files, generation gaps).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>True when nothing is damaged or missing (warnings, such as an unlisted extra file, do not count).</summary>
    public bool IsClean => Error is null
        && Findings.All(f => f.Severity != FindingSeverity.Corruption)
        && Files.All(f => f.Error is null && f.Findings.All(x => x.Severity != FindingSeverity.Corruption));
}

/// <summary>How far a restore goes.</summary>
public enum RestoreMode
{
    /// <summary>Lay out the files ESE recovery expects; recovery is run later by the application.</summary>
    [JsonStringEnumMemberName("filesOnly")]
    FilesOnly,

    /// <summary>Lay out the files, then let ESE restore them (<c>JetRestoreInstance</c>; Windows, in-process targets).</summary>
    [JsonStringEnumMemberName("eseRestore")]
    EseRestore,
}

/// <summary>Restore a chain of sets into a directory.</summary>
/// <param name="SetDirectories">The chain in order: the full, then each incremental up to the chosen point.</param>
/// <param name="Destination">Directory to restore into; must be empty unless <see cref="Overwrite"/> is set.</param>
public sealed record RestoreRequest(IReadOnlyList<string> SetDirectories, string Destination)
{
    /// <summary>Allow writing into a non-empty destination, replacing files of the same name.</summary>
    public bool Overwrite { get; init; }

    /// <summary>Restore the checkpoint file too (ESE's restore normally omits it).</summary>
    public bool IncludeCheckpoint { get; init; }

    /// <summary>How far to go.</summary>
    public RestoreMode Mode { get; init; } = RestoreMode.FilesOnly;
}

/// <summary>Outcome of a restore.</summary>
public sealed record RestoreResult
{
    /// <summary>The failure; <see langword="null"/> on success.</summary>
    public PluginError? Error { get; init; }

    /// <summary>True when every file was restored and matched its hash.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Files written, relative to the destination.</summary>
    public IReadOnlyList<RestoredFile> Files { get; init; } = [];

    /// <summary>Log generations restored.</summary>
    public Targets.GenerationRange? LogRange { get; init; }
}

/// <summary>One restored file.</summary>
/// <param name="Path">Path relative to the restore destination.</param>
/// <param name="Role">What it is.</param>
/// <param name="Size">Bytes written.</param>
/// <param name="Sha256">Hash checked while writing.</param>
/// <param name="FromSetId">The set it was taken from.</param>
public sealed record RestoredFile(string Path, FileRole Role, long Size, string Sha256, string FromSetId);
