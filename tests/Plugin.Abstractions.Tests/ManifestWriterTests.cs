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
        from findings in Maybe(AFinding.Array[0, 3])
        select new ManifestFile(path, role, size, sha) { SourcePath = source, Database = database, Log = log, Checkpoint = checkpoint, Findings = findings! }; // null as a reader may leave it

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
        from signatures in Maybe(Text.Array[0, 3])
        select new TargetIdentity(id, kind, name) { Location = location, InstanceName = instance, Vss = vss, LogSignature = logSignature, LogBaseName = baseName, DatabaseSignatures = signatures! };

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
    /// The serializer's own list of what it writes for each type the writer covers, in order: a member added to a contract
    /// type (public, or non-public with [JsonInclude]) changes it, and must then be added to the writer and to this list.
    /// The property test above checks what is written; this one also catches a member the generators do not know.
    /// </summary>
    [Theory]
    [InlineData(typeof(BackupManifest), "manifestVersion setId target kind startedAt finishedAt chain producer files logRange truncation verification vssBackupComponentsDocument properties")]
    [InlineData(typeof(TargetIdentity), "id kind displayName location instanceName vss logSignature logBaseName databaseSignatures")]
    [InlineData(typeof(VssComponentInfo), "writerId writerName logicalPath componentName writerInstanceId writerInstanceName selectable")]
    [InlineData(typeof(ChainInfo), "chainId previousSetId sequence")]
    [InlineData(typeof(ProducerInfo), "pluginId pluginVersion contractVersion strategy machineName")]
    [InlineData(typeof(ManifestFile), "path role size sha256 sourcePath database log checkpoint findings")]
    [InlineData(typeof(DatabaseFacts), "pageSize formatVersion formatRevision state databaseSignature logSignature requiredLogRange committedGeneration pagesVerified hasBackupTrailer")]
    [InlineData(typeof(LogFacts), "generation logSignature created previousGenerationCreated formatVersion wasCurrentLog replacesCopyInSetId unitsVerified")]
    [InlineData(typeof(CheckpointFacts), "checkpointGeneration logSignature")]
    [InlineData(typeof(Finding), "code severity message file page sector offset generation expected actual correctableBit eseError")]
    [InlineData(typeof(TruncationPlan), "mode performer expectedRange")]
    [InlineData(typeof(VerificationSummary), "filesVerified pagesVerified uninitializedPages logUnitsVerified findings")]
    [InlineData(typeof(GenerationRange), "low high count")]
    public void The_writer_knows_every_serialized_member(Type type, string written)
    {
        var info = ContractJsonContext.Default.GetTypeInfo(type) ?? throw new InvalidOperationException($"{type} has no metadata.");
        Assert.Equal(written.Split(' '), info.Properties.Select(p => p.Name));
    }

    private static Gen<T?> Maybe<T>(Gen<T> gen)
        where T : class => Gen.Frequency((1, Gen.Const(default(T?))), (2, gen.Select(v => (T?)v)));

    private static Gen<T?> MaybeValue<T>(Gen<T> gen)
        where T : struct => Gen.Frequency((1, Gen.Const(default(T?))), (2, gen.Select(v => (T?)v)));
}
