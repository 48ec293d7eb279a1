namespace EseBackupPlugin.Abstractions.Errors;

/// <summary>
/// An error as data: what went wrong, where, and whether retrying may help. It travels inside every
/// result so that it can cross a process boundary.
/// </summary>
/// <param name="Code">The stable code (with ESE's name and number where one applies).</param>
/// <param name="Message">A sentence for an operator that names the target and file involved.</param>
public sealed record PluginError(ErrorCode Code, string Message)
{
    /// <summary>The target the error concerns, when known.</summary>
    public string? TargetId { get; init; }

    /// <summary>The file the error concerns, when known.</summary>
    public string? File { get; init; }

    /// <summary>The database page number, for page-level errors.</summary>
    public long? Page { get; init; }

    /// <summary>The byte offset in <see cref="File"/>, for errors at a position.</summary>
    public long? Offset { get; init; }

    /// <summary>The log generation, for log-level errors.</summary>
    public long? Generation { get; init; }

    /// <summary>A native status (HRESULT or other) when the error came from a native API.</summary>
    public int? NativeStatus { get; init; }

    /// <summary>Further machine-readable facts (for example <c>writer</c>, <c>phase</c>, <c>hresultName</c>).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    /// <summary>Shorthand for <see cref="ErrorCode.IsTransient"/>.</summary>
    public bool IsTransient => Code.IsTransient;

    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Message}";
}
