using System.Text.Json.Serialization;

namespace EseBackupPlugin.Abstractions.Progress;

/// <summary>The operation a progress report belongs to (ESE's <c>JET_SNP</c>, widened).</summary>
public enum OperationKind
{
    /// <summary>Phase one of a backup.</summary>
    [JsonStringEnumMemberName("backup")]
    Backup,

    /// <summary>Phase two (log truncation).</summary>
    [JsonStringEnumMemberName("complete")]
    Complete,

    /// <summary>Verification of a set or of files.</summary>
    [JsonStringEnumMemberName("verify")]
    Verify,

    /// <summary>Restore of a chain.</summary>
    [JsonStringEnumMemberName("restore")]
    Restore,
}

/// <summary>ESE's notification types (<c>JET_SNT</c>): begin, progress, complete, fail.</summary>
public enum ProgressPhase
{
    /// <summary>The operation started (<c>JET_sntBegin</c>).</summary>
    [JsonStringEnumMemberName("begin")]
    Begin,

    /// <summary>Work advanced (<c>JET_sntProgress</c>).</summary>
    [JsonStringEnumMemberName("progress")]
    Progress,

    /// <summary>The operation finished successfully (<c>JET_sntComplete</c>).</summary>
    [JsonStringEnumMemberName("complete")]
    Complete,

    /// <summary>The operation failed (<c>JET_sntFail</c>).</summary>
    [JsonStringEnumMemberName("fail")]
    Fail,
}

/// <summary>A progress report: phase plus file and byte counters.</summary>
/// <param name="Operation">The operation.</param>
/// <param name="Phase">Begin, progress, complete or fail.</param>
/// <param name="FilesDone">Files finished.</param>
/// <param name="FilesTotal">Files in the operation (0 when not yet known).</param>
/// <param name="BytesDone">Bytes processed.</param>
/// <param name="BytesTotal">Bytes in the operation (0 when not yet known).</param>
public sealed record OperationProgress(OperationKind Operation, ProgressPhase Phase, int FilesDone, int FilesTotal, long BytesDone, long BytesTotal)
{
    /// <summary>The file being processed.</summary>
    public string? CurrentFile { get; init; }

    /// <summary>Throughput, in bytes per second, over the last few seconds (0 until it can be measured).</summary>
    public double BytesPerSecond { get; init; }

    /// <summary>Seconds since the operation began. Added in contract 1.1 (0 from older plugins).</summary>
    public double ElapsedSeconds { get; init; }

    /// <summary>
    /// Estimated seconds until the operation ends, from the bytes left and <see cref="BytesPerSecond"/>;
    /// <see langword="null"/> while the total or the rate is unknown. Added in contract 1.1.
    /// </summary>
    public double? EstimatedSecondsRemaining { get; init; }

    /// <summary>A short note (for example the failure message on <see cref="ProgressPhase.Fail"/>).</summary>
    public string? Message { get; init; }

    /// <summary>Percent done by bytes (0 to 100), or by files when bytes are unknown.</summary>
    public double Percent => BytesTotal > 0 ? 100.0 * BytesDone / BytesTotal : FilesTotal > 0 ? 100.0 * FilesDone / FilesTotal : 0;
}
