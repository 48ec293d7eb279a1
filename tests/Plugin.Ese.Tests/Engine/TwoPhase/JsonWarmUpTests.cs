using System.Collections;
using System.Reflection;
using System.Text.Json;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Ese.Engine.TwoPhase;

namespace EseBackupPlugin.Ese.Tests.Engine.TwoPhase;

/// <summary>
/// The warm-up only helps if its samples reach every type the real records contain: a member left null (or an empty
/// list) leaves that type's metadata to be built at the end of a real backup, on the critical path again.
/// </summary>
public sealed class JsonWarmUpTests
{
    [Fact]
    public void The_samples_serialize_with_the_real_contexts()
    {
        var manifest = JsonSerializer.SerializeToUtf8Bytes(JsonWarmUp.SampleManifest(), ContractJsonContext.Default.BackupManifest);
        var entry = JsonSerializer.SerializeToUtf8Bytes(JsonWarmUp.SampleJournalEntry(), JournalJsonContext.Default.JournalEntry);

        Assert.Equal(JsonWarmUp.SampleManifest().SetId, ManifestJson.Deserialize(manifest, "sample").SetId);
        Assert.Equal("s", JsonSerializer.Deserialize(entry, JournalJsonContext.Default.JournalEntry)!.SetId);
    }

    [Fact]
    public void The_manifest_sample_fills_every_member_of_every_nested_record() =>
        Assert.Equal([], UnfilledMembers(JsonWarmUp.SampleManifest(), "manifest"));

    [Fact]
    public void The_journal_sample_fills_every_member_of_every_nested_record() =>
        Assert.Equal([], UnfilledMembers(JsonWarmUp.SampleJournalEntry(), "entry"));

    [Fact]
    public void Running_it_never_throws() => JsonWarmUp.Run();

    /// <summary>Every serialized member path the type declares (through nested records and list elements) that the value leaves null or empty.</summary>
    private static List<string> UnfilledMembers(object value, string path)
    {
        var filled = new HashSet<string>(StringComparer.Ordinal);
        Fill(value, path, filled);
        return [.. Declared(value.GetType(), path).Where(p => !filled.Contains(p))];
    }

    private static IEnumerable<PropertyInfo> Serialized(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p =>
            p.GetIndexParameters().Length == 0 && p.SetMethod is not null && p.Name != "EqualityContract");

    /// <summary>A record of ours (to descend into), or the element type of a list of them.</summary>
    private static Type? Nested(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type != typeof(string) && type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) is { } enumerable)
        {
            return Nested(enumerable.GetGenericArguments()[0]);
        }

        return type.Namespace?.StartsWith("EseBackupPlugin", StringComparison.Ordinal) == true && !type.IsEnum ? type : null;
    }

    private static IEnumerable<string> Declared(Type type, string path)
    {
        foreach (var property in Serialized(type))
        {
            var member = path + "." + property.Name;
            yield return member;
            if (Nested(property.PropertyType) is { } nested && nested != type)
            {
                foreach (var inner in Declared(nested, member))
                {
                    yield return inner;
                }
            }
        }
    }

    private static void Fill(object value, string path, HashSet<string> filled)
    {
        foreach (var property in Serialized(value.GetType()))
        {
            var member = path + "." + property.Name;
            var current = property.GetValue(value);
            if (current is null || (current is ICollection { Count: 0 }))
            {
                continue;
            }

            filled.Add(member);
            if (Nested(property.PropertyType) is null)
            {
                continue;
            }

            if (current is IEnumerable items and not string)
            {
                foreach (var item in items)
                {
                    Fill(item, member, filled);
                }
            }
            else
            {
                Fill(current, member, filled);
            }
        }
    }
}
