using System.Security.Cryptography;
using System.Text;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// One ESE identity at several places (a test restore beside production, a copy opened in a second instance) is
/// several targets. Ids come from ESE identities so that a target keeps its id wherever it is; when one identity is
/// at more than one place, each copy's id is that id qualified by its place, and the bare id, which no longer says
/// which copy is meant, is refused naming every place. An identity at one place keeps its bare id, so catalogs and
/// chains made before stay valid.
/// </summary>
internal static class TargetCopies
{
    /// <summary>Separates the place part of a qualified id from the identity's id.</summary>
    public const char Separator = '@';

    /// <summary>The id of the copy at <paramref name="place"/>: the identity's id and a short hash of the place.</summary>
    public static string QualifiedId(string targetId, string place) =>
        targetId + Separator + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(place)))[..8];

    /// <summary>The identity's id of a (possibly qualified) id.</summary>
    public static string IdentityOf(string targetId) =>
        targetId.IndexOf(Separator, StringComparison.Ordinal) is var at and >= 0 ? targetId[..at] : targetId;

    /// <summary>The copy at its place, with a warning naming the other places and their ids.</summary>
    public static BackupTarget Qualify(BackupTarget target, string place, IEnumerable<string> otherPlaces)
    {
        var id = QualifiedId(target.Id, place);
        var others = otherPlaces.Where(p => p != place).Select(p => $"'{p}' (id {QualifiedId(target.Id, p)})").ToList();
        var warning = new PluginError(
            ErrorCodes.InvalidParameter,
            $"The same ESE identity (target {target.Id}) is also at {string.Join(", ", others)}; this copy's id names its place: {id}.")
        {
            TargetId = id,
            File = place,
        };
        return target with
        {
            Id = id,
            Warnings = [.. target.Warnings.Select(w => w with { TargetId = id }), warning],
        };
    }

    /// <summary>Qualifies the targets of one discovery whose identity was found at more than one place.</summary>
    public static List<BackupTarget> QualifyDuplicates(IReadOnlyList<BackupTarget> targets, Func<BackupTarget, string?> placeOf)
    {
        var places = targets.GroupBy(t => t.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(placeOf).OfType<string>().Distinct(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);
        return [.. targets.Select(t => places[t.Id] is { Count: > 1 } all && placeOf(t) is { } place ? Qualify(t, place, all) : t)];
    }

    /// <summary>
    /// Picks <paramref name="targetId"/> among <paramref name="found"/>: the exact id; a qualified id whose other copies
    /// are gone (it keeps the id its chain was recorded under); or, for a bare id found at several places, an error
    /// naming every place.
    /// </summary>
    /// <param name="targetId">The id asked for.</param>
    /// <param name="found">What discovery found.</param>
    /// <param name="placeOf">A target's place.</param>
    /// <param name="otherPlaces">Places the identity is known at beyond those found (out of sight for now).</param>
    public static TargetLookup Match(string targetId, IReadOnlyList<BackupTarget> found, Func<BackupTarget, string?> placeOf, IEnumerable<string>? otherPlaces = null)
    {
        if (found.FirstOrDefault(t => string.Equals(t.Id, targetId, StringComparison.Ordinal)) is { } exact)
        {
            return new TargetLookup(exact, null);
        }

        var identity = IdentityOf(targetId);
        if (targetId != identity && found.FirstOrDefault(t => t.Id == identity && placeOf(t) is { } p && QualifiedId(identity, p) == targetId) is { } sole)
        {
            return new TargetLookup(sole with { Id = targetId }, null);
        }

        // Copies carry qualified ids only when the identity is at more than one place, so one qualified copy in sight
        // already means the bare id is ambiguous (the others may be out of sight, on a volume that is offline).
        var copies = found.Where(t => t.Id != targetId && IdentityOf(t.Id) == targetId).ToList();
        if (copies.Count == 0)
        {
            return new TargetLookup(null, null);
        }

        var places = copies.Select(c => (Place: placeOf(c) ?? c.Id, c.Id))
            .Concat((otherPlaces ?? []).Select(p => (Place: p, Id: QualifiedId(targetId, p))))
            .DistinctBy(p => p.Place, StringComparer.Ordinal)
            .ToList();
        var list = string.Join("; ", places.Select(p => $"'{p.Place}' (id {p.Id})"));
        return new TargetLookup(null, new PluginError(
            ErrorCodes.InvalidParameter,
            $"Target '{targetId}' is one ESE identity at {places.Count} places: {list}. The id does not say which copy to back up; use the id of one copy.")
        {
            TargetId = targetId,
            File = places[0].Place,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["places"] = string.Join("\n", places.Select(p => p.Place)),
                ["ids"] = string.Join(" ", places.Select(p => p.Id)),
            },
        });
    }
}
