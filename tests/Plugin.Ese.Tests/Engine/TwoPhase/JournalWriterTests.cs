using System.Text;
using System.Text.Json;
using CsCheck;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.TwoPhase;

namespace EseBackupPlugin.Ese.Tests.Engine.TwoPhase;

/// <summary>
/// The journal's entries are written by hand (<see cref="JournalWriter"/>) and read by the serializer: the writer must write
/// exactly the serializer's bytes for any entry, and must notice when a journal type grows.
/// </summary>
public sealed class JournalWriterTests
{
    private static readonly string[] Specials = ["", "plain", "<&>'\"+\\", "é∂ 😀", "tab\tnew\nline\u0001"];

    private static readonly Gen<string> Text = Gen.OneOf(Gen.String, Gen.Int[0, Specials.Length - 1].Select(i => Specials[i]));

    private static readonly Gen<DateTimeOffset> Time =
        Gen.Select(Gen.Long[0, 3_155_378_975_999_999_999L], Gen.Int[-14 * 60, 14 * 60])
            .Select((ticks, minutes) => new DateTimeOffset(ticks, TimeSpan.FromMinutes(minutes)));

    private static readonly Gen<TruncatedLog> Log =
        Gen.Select(Text, Gen.Long, Gen.Long, Gen.Int[0, 3]).Select((p, g, s, r) => new TruncatedLog(p, g, s) { Reason = (LogRemovalReason)r });

    private static readonly Gen<PluginError> Error =
        from name in Text
        from ese in MaybeValue(Gen.Int)
        from eseName in Maybe(Text)
        from category in Gen.Int[0, 9].Select(i => (ErrorCategory)i)
        from transient in Gen.Bool
        from message in Text
        from target in Maybe(Text)
        from file in Maybe(Text)
        from page in MaybeValue(Gen.Long)
        from offset in MaybeValue(Gen.Long)
        from generation in MaybeValue(Gen.Long)
        from native in MaybeValue(Gen.Int)
        from details in Maybe(Gen.Dictionary(Text, Text)[0, 3].Select(d => (IReadOnlyDictionary<string, string>)d))
        select new PluginError(new ErrorCode(name, ese, eseName, category, transient), message)
        {
            TargetId = target, File = file, Page = page, Offset = offset, Generation = generation, NativeStatus = native, Details = details,
        };

    private static readonly Gen<TruncationReport> Report =
        from setId in Text
        from targetId in Text
        from kind in Gen.Int[0, 3].Select(i => (BackupKind)i)
        from succeeded in Gen.Bool
        from status in Gen.Int[0, 8].Select(i => (TruncationStatus)i)
        from performer in Gen.Int[0, 4].Select(i => (TruncationPerformer)i)
        from removed in Maybe(Log.Array[0, 3])
        from range in Maybe(Gen.Select(Gen.Long, Gen.Long).Select((a, b) => new GenerationRange(a, b)))
        from reason in Maybe(Text)
        from at in Time
        from error in Maybe(Error)
        select new TruncationReport
        {
            SetId = setId, TargetId = targetId, Kind = kind, HostSucceeded = succeeded, Status = status, PerformedBy = performer,
            Removed = removed!, Range = range, Reason = reason, At = at, Error = error,
        };

    private static readonly Gen<JournalEntry> Entry =
        from setId in Text
        from targetId in Text
        from kind in Gen.Int[0, 3].Select(i => (BackupKind)i)
        from targetKind in Gen.Int[0, 3].Select(i => (TargetKind)i)
        from strategy in Text
        from staged in Time
        from lease in Time
        from state in Gen.Int[0, 4].Select(i => (StagedSetState)i)
        from verdict in MaybeValue(Gen.Bool)
        from expired in Gen.Bool
        from intent in Maybe(Log.Array[0, 3].Select(a => (IReadOnlyList<TruncatedLog>)a))
        from report in Maybe(Report)
        from recorded in Gen.Bool
        select new JournalEntry
        {
            SetId = setId, TargetId = targetId, Kind = kind, TargetKind = targetKind, Strategy = strategy, StagedAt = staged,
            LeaseExpiresAt = lease, State = state, Verdict = verdict, LeaseExpired = expired, Intent = intent, Report = report,
            CatalogRecorded = recorded,
        };

    [Fact]
    public void Writes_exactly_what_the_serializer_writes() =>
        Entry.Sample(
            e => Assert.Equal(
                Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(e, JournalJsonContext.Default.JournalEntry)),
                Encoding.UTF8.GetString(JournalWriter.Write(e))),
            iter: 500);

    [Fact]
    public void A_written_entry_reads_back_and_writes_the_same_again()
    {
        var entry = Entry.Single();
        var back = JsonSerializer.Deserialize(JournalWriter.Write(entry), JournalJsonContext.Default.JournalEntry)!;
        Assert.Equal(Encoding.UTF8.GetString(JournalWriter.Write(entry)), Encoding.UTF8.GetString(JournalWriter.Write(back)));
    }

    /// <summary>
    /// The serializer's own list of what it writes for each journal type, in order: a member added to one changes it, and
    /// must then be added to the writer and to this list.
    /// </summary>
    [Theory]
    [InlineData(typeof(JournalEntry), "setId targetId kind targetKind strategy stagedAt leaseExpiresAt state verdict leaseExpired intent report catalogRecorded set")]
    [InlineData(typeof(SetRef), "setId targetId kind")]
    [InlineData(typeof(TruncatedLog), "path generation size reason")]
    [InlineData(typeof(TruncationReport), "setId targetId kind hostSucceeded status performedBy removed range reason at error")]
    [InlineData(typeof(PluginError), "code message targetId file page offset generation nativeStatus details isTransient")]
    [InlineData(typeof(ErrorCode), "name eseError eseName category isTransient")]
    [InlineData(typeof(GenerationRange), "low high count")]
    public void The_writer_knows_every_serialized_member(Type type, string written)
    {
        var info = JournalJsonContext.Default.GetTypeInfo(type) ?? throw new InvalidOperationException($"{type} has no metadata.");
        Assert.Equal(written.Split(' '), info.Properties.Select(p => p.Name));
    }

    private static Gen<T?> Maybe<T>(Gen<T> gen)
        where T : class => Gen.Frequency((1, Gen.Const(default(T?))), (2, gen.Select(v => (T?)v)));

    private static Gen<T?> MaybeValue<T>(Gen<T> gen)
        where T : struct => Gen.Frequency((1, Gen.Const(default(T?))), (2, gen.Select(v => (T?)v)));
}
