using System.Text.Json.Serialization;

namespace EseBackupPlugin.Abstractions.Errors;

/// <summary>Broad class of an error, for a host's retry and alerting policy.</summary>
public enum ErrorCategory
{
    /// <summary>The request or its arguments were wrong (bad path, bad kind, unknown target).</summary>
    [JsonStringEnumMemberName("usage")]
    Usage,

    /// <summary>Another operation holds what this one needs; retrying later may succeed.</summary>
    [JsonStringEnumMemberName("busy")]
    Busy,

    /// <summary>The engine or service is not in a state that allows the operation.</summary>
    [JsonStringEnumMemberName("state")]
    State,

    /// <summary>Data failed verification: a checksum, signature, hash or sequence is wrong.</summary>
    [JsonStringEnumMemberName("corruption")]
    Corruption,

    /// <summary>Files or log generations needed for the operation are missing.</summary>
    [JsonStringEnumMemberName("missing")]
    Missing,

    /// <summary>Reading or writing storage failed (including a full disk).</summary>
    [JsonStringEnumMemberName("io")]
    Io,

    /// <summary>The platform cannot do this (for example, a Windows-only source on Linux).</summary>
    [JsonStringEnumMemberName("platform")]
    Platform,

    /// <summary>A plugin or engine fault.</summary>
    [JsonStringEnumMemberName("internal")]
    Internal,

    /// <summary>The operation was cancelled.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}
