using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.Abstractions.Files;

/// <summary>Everything the plugin can say about one file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Kind">What it is: <c>database</c>, <c>log</c>, <c>checkpoint</c>, <c>flushMap</c>, <c>reserveLog</c>, <c>patch</c>, <c>notEse</c>, ...</param>
/// <param name="Details">Facts read from the file, with stable camelCase property names.</param>
public sealed record FileInspection(string Path, string Kind, JsonObject Details)
{
    /// <summary>Problems found while reading the headers.</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>A failure that prevented inspection (not found, unreadable).</summary>
    public PluginError? Error { get; init; }
}

/// <summary>Verify files or directories.</summary>
/// <param name="Paths">Files or directories; directories are walked recursively.</param>
public sealed record VerifyFilesRequest(IReadOnlyList<string> Paths)
{
    /// <summary>Run the checks across the files of a directory (log sequence, signatures, required logs).</summary>
    public bool CrossFileChecks { get; init; } = true;
}

/// <summary>Verification of one file.</summary>
/// <param name="Path">The file.</param>
/// <param name="Kind">What it is (see <see cref="FileInspection.Kind"/>).</param>
public sealed record FileVerification(string Path, string Kind)
{
    /// <summary>What a checked unit is: <c>page</c>, <c>segment</c>, <c>record</c> or <c>none</c>.</summary>
    public string Unit { get; init; } = "none";

    /// <summary>Units checked.</summary>
    public long UnitsChecked { get; init; }

    /// <summary>Units skipped because they were never written (all-zero pages or segments).</summary>
    public long UnitsUninitialized { get; init; }

    /// <summary>Bytes read.</summary>
    public long Bytes { get; init; }

    /// <summary>What is wrong.</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];

    /// <summary>A failure that prevented verification (unreadable, vanished).</summary>
    public PluginError? Error { get; init; }
}

/// <summary>Verification of several files.</summary>
public sealed record FileVerificationReport
{
    /// <summary>Per-file results.</summary>
    public IReadOnlyList<FileVerification> Files { get; init; } = [];

    /// <summary>Findings across files (log gaps, signature mismatches, required logs missing).</summary>
    public IReadOnlyList<Finding> CrossFileFindings { get; init; } = [];

    /// <summary>Failures not tied to one verified file (a path that does not exist).</summary>
    public IReadOnlyList<PluginError> Errors { get; init; } = [];

    /// <summary>True when any file or cross-file check found corruption.</summary>
    public bool HasCorruption =>
        CrossFileFindings.Any(f => f.Severity == FindingSeverity.Corruption)
        || Files.Any(f => f.Findings.Any(x => x.Severity == FindingSeverity.Corruption));

    /// <summary>True when anything could not be read.</summary>
    public bool HasErrors => Errors.Count > 0 || Files.Any(f => f.Error is not null);
}
