using System.Reflection;
using System.Text.Json;
using CsCheck;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Tests;

/// <summary>
/// <see cref="ManifestJson.Serialize"/> writes manifests by hand (ManifestWriter): it must write exactly
/// the bytes the source-generated serializer writes, for any manifest, and must notice when the contract grows.
/// </summary>
public sealed class ManifestWriterTests
{
    private static readonly string[] Specials = ["", "plain", "<&>'\"+\\", "é∂ 😀", "tab\tnew\nline\u0001", "C:\\ese\\edb.log"];

    private static readonly Gen<string> Text = Gen.OneOf(
        Gen.String,
        Gen.Char.Array[0, 12].Select(c => new string(c)),
        Gen.Int[0, Specials.Length - 1].Select(i => Specials[i]));

    private static readonly Gen<DateTimeOffset> Time =
        Gen.Select(Gen.Long[0, 3_155_378_975_999_999_999L], Gen.Int[-14 * 60, 14 * 60])
            .Select((ticks, minutes) => new DateTimeOffset(ticks, TimeSpan.FromMinutes(minutes)));

    private static readonly Gen<GenerationRange> Range = Gen.Select(Gen.Long, Gen.Long).Select((a, b) => new GenerationRange(a, b));

    private static readonly Gen<Finding> AFinding =
        from code in Text
        from severity in Gen.Int[0, 3].Select(i => (FindingSeverity)i)
        from message in Text
        from file in Maybe(Text)
        from page in MaybeValue(Gen.Long)
        from sector in MaybeValue(Gen.Long)
        from offset in MaybeValue(Gen.Long)
        from generation in MaybeValue(Gen.Long)
        from expected in Maybe(Text)
        from actual in Maybe(Text)
        from bit in MaybeValue(Gen.Long)
        from ese in MaybeValue(Gen.Int)
        select new Finding(code, severity, message) { File = file, Page = page, Sector = sector, Offset = offset, Generation = generation, Expected = expected, Actual = actual, CorrectableBit = bit, EseError = ese };

    private static readonly Gen<DatabaseFacts> Database =
        from pageSize in Gen.Int
        from version in Gen.Int
        from revision in Gen.Int
        from state in Text
        from dbSignature in Maybe(Text)
        from logSignature in Maybe(Text)
        from required in Maybe(Range)
        from committed in MaybeValue(Gen.Long)
        from pages in Gen.Long
        from trailer in Gen.Bool
        select new DatabaseFacts(pageSize, version, revision, state) { DatabaseSignature = dbSignature, LogSignature = logSignature, RequiredLogRange = required, CommittedGeneration = committed, PagesVerified = pages, HasBackupTrailer = trailer };

    private static readonly Gen<LogFacts> Log =
        from generation in Gen.Long
        from signature in Maybe(Text)
        from created in MaybeValue(Time)
        from previous in MaybeValue(Time)
        from format in Maybe(Text)
        from current in Gen.Bool
        from replaces in Maybe(Text)
        from units in Gen.Long
        select new LogFacts(generation) { LogSignature = signature, Created = created, PreviousGenerationCreated = previous, FormatVersion = format, WasCurrentLog = current, ReplacesCopyInSetId = replaces, UnitsVerified = units };

    private static readonly Gen<ManifestFile> File =
        from path in Text
        from role in Gen.Int[0, 5].Select(i => (FileRole)i)
        from size in Gen.Long
        from sha in Text
        from source in Maybe(Text)
        from database in Maybe(Database)
        from log in Maybe(Log)
        from checkpoint in Maybe(Gen.Select(Gen.Long, Maybe(Text)).Select((g, s) => new CheckpointFacts(g) { LogSignature = s }))
        from findings in AFinding.Array[0, 3]
        select new ManifestFile(path, role, size, sha) { SourcePath = source, Database = database, Log = log, Checkpoint = checkpoint, Findings = findings };

    private static readonly Gen<TargetIdentity> Target =
        from id in Text
        from kind in Gen.Int[0, 3].Select(i => (TargetKind)i)
        from name in Text
        from location in Maybe(Text)
        from instance in Maybe(Text)
        from vss in Maybe(
            from writer in Gen.Guid
            from writerName in Text
            from logical in Text
            from component in Text
            from instanceId in MaybeValue(Gen.Guid)
            from instanceName in Maybe(Text)
            from selectable in Gen.Bool
            select new VssComponentInfo(writer, writerName, logical, component) { WriterInstanceId = instanceId, WriterInstanceName = instanceName, Selectable = selectable })
        from logSignature in Maybe(Text)
        from baseName in Maybe(Text)
        from signatures in Text.Array[0, 3]
        select new TargetIdentity(id, kind, name) { Location = location, InstanceName = instance, Vss = vss, LogSignature = logSignature, LogBaseName = baseName, DatabaseSignatures = signatures };

    private static readonly Gen<BackupManifest> AManifest =
        from version in Gen.Int
        from setId in Text
        from target in Target
        from kind in Gen.Int[0, 3].Select(i => (BackupKind)i)
        from started in Time
        from finished in Time
        from chain in Gen.Select(Text, Maybe(Text), Gen.Int).Select((c, p, n) => new ChainInfo(c, p, n))
        from producer in Gen.Select(Text, Text, Text, Text, Text).Select((a, b, c, d, e) => new ProducerInfo(a, b, c, d, e))
        from files in File.Array[0, 4]
        from logRange in Maybe(Range)
        from truncation in Gen.Select(Gen.Int[0, 3], Gen.Int[0, 4], Maybe(Range)).Select((m, p, r) => new TruncationPlan((TruncationMode)m, (TruncationPerformer)p) { ExpectedRange = r })
        from verification in Gen.Select(Gen.Long, Gen.Long, Gen.Long, Gen.Long, Gen.Int).Select((a, b, c, d, e) => new VerificationSummary(a, b, c, d, e))
        from document in Maybe(Text)
        from properties in Maybe(Gen.Dictionary(Text, Text)[0, 3].Select(d => (IReadOnlyDictionary<string, string>)d))
        select new BackupManifest
        {
            ManifestVersion = version,
            SetId = setId,
            Target = target,
            Kind = kind,
            StartedAt = started,
            FinishedAt = finished,
            Chain = chain,
            Producer = producer,
            Files = files,
            LogRange = logRange,
            Truncation = truncation,
            Verification = verification,
            VssBackupComponentsDocument = document,
            Properties = properties,
        };

    [Fact]
    public void Writes_exactly_what_the_serializer_writes() =>
        AManifest.Sample(m => Assert.Equal(
            System.Text.Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(m, ContractJsonContext.Default.BackupManifest)),
            System.Text.Encoding.UTF8.GetString(ManifestJson.Serialize(m))), iter: 500);

    [Fact]
    public void A_written_manifest_reads_back_equal_in_every_member()
    {
        var m = AManifest.Single() with { ManifestVersion = BackupManifest.CurrentVersion };
        var back = ManifestJson.Deserialize(ManifestJson.Serialize(m), "test");
        Assert.Equal(ManifestJson.Serialize(m), ManifestJson.Serialize(back));
    }

    /// <summary>
    /// The writer names every member it writes; a member added to a manifest type (and so written by the serializer) must
    /// be added to the writer too. This lists the members the writer knows, per type: the property test above catches a
    /// mismatch in what is written, this one a member the generators do not know either.
    /// </summary>
    [Theory]
    [InlineData(typeof(BackupManifest), "ManifestVersion SetId Target Kind StartedAt FinishedAt Chain Producer Files LogRange Truncation Verification VssBackupComponentsDocument Properties")]
    [InlineData(typeof(TargetIdentity), "Id Kind DisplayName Location InstanceName Vss LogSignature LogBaseName DatabaseSignatures")]
    [InlineData(typeof(VssComponentInfo), "WriterId WriterName LogicalPath ComponentName WriterInstanceId WriterInstanceName Selectable")]
    [InlineData(typeof(ChainInfo), "ChainId PreviousSetId Sequence")]
    [InlineData(typeof(ProducerInfo), "PluginId PluginVersion ContractVersion Strategy MachineName")]
    [InlineData(typeof(ManifestFile), "Path Role Size Sha256 SourcePath Database Log Checkpoint Findings")]
    [InlineData(typeof(DatabaseFacts), "PageSize FormatVersion FormatRevision State DatabaseSignature LogSignature RequiredLogRange CommittedGeneration PagesVerified HasBackupTrailer")]
    [InlineData(typeof(LogFacts), "Generation LogSignature Created PreviousGenerationCreated FormatVersion WasCurrentLog ReplacesCopyInSetId UnitsVerified")]
    [InlineData(typeof(CheckpointFacts), "CheckpointGeneration LogSignature")]
    [InlineData(typeof(Finding), "Code Severity Message File Page Sector Offset Generation Expected Actual CorrectableBit EseError")]
    [InlineData(typeof(TruncationPlan), "Mode Performer ExpectedRange")]
    [InlineData(typeof(VerificationSummary), "FilesVerified PagesVerified UninitializedPages LogUnitsVerified Findings")]
    [InlineData(typeof(GenerationRange), "Low High Count")]
    public void The_writer_knows_every_serialized_member(Type type, string written)
    {
        var serialized = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.GetMethod is { IsPublic: true })
            .Select(p => p.Name)
            .Order(StringComparer.Ordinal);
        Assert.Equal(written.Split(' ').Order(StringComparer.Ordinal), serialized);
    }

    private static Gen<T?> Maybe<T>(Gen<T> gen)
        where T : class => Gen.Frequency((1, Gen.Const(default(T?))), (2, gen.Select(v => (T?)v)));

    private static Gen<T?> MaybeValue<T>(Gen<T> gen)
        where T : struct => Gen.Frequency((1, Gen.Const(default(T?))), (2, gen.Select(v => (T?)v)));
}
