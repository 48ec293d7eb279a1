using System.Text.Json.Serialization;

namespace EseBackupPlugin.Abstractions.Errors;

/// <summary>
/// A stable error code. <see cref="Name"/> never changes once published; where ESE defines the same
/// condition, <see cref="EseError"/> and <see cref="EseName"/> carry ESE's number and name so an
/// operator can search for them.
/// </summary>
/// <param name="Name">Stable, machine-readable name (PascalCase), e.g. <c>BackupInProgress</c>.</param>
/// <param name="EseError">ESE's error number (<c>JET_ERR</c>), when one applies.</param>
/// <param name="EseName">ESE's constant name, e.g. <c>JET_errBackupInProgress</c>.</param>
/// <param name="Category">Broad class of the error.</param>
/// <param name="IsTransient">True when the same request may succeed later without any change.</param>
public sealed record ErrorCode(
    string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] int? EseError,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? EseName,
    ErrorCategory Category,
    bool IsTransient)
{
    /// <inheritdoc />
    public override string ToString() => EseError is { } n ? $"{Name} ({EseName} {n})" : Name;
}
