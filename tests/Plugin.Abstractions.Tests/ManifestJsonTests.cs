using System.Text;
using System.Text.Json;
using CsCheck;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Tests;

public class ManifestJsonTests
{
    internal static BackupManifest Sample(string setId = "20261122T120000Z-abcdef01") => new()
    {
        SetId = setId,
        Target = new TargetIdentity("fs-0123456789abcdef01234567", TargetKind.FileSet, "srum (SRU): SRUDB.dat")
        {
            Location = "/data/srum",
            LogSignature = "12345678-2022-03-10T21:10:00.000Z-APTSIM",
            LogBaseName = "SRU",
            DatabaseSignatures = ["87654321-2022-03-10T19:32:38.000Z-APTSIM"],
            Vss = new VssComponentInfo(Guid.Parse("b2014c9e-8711-4c5c-a5a9-3cf384484757"), "NTDS", "C:_Windows_NTDS", "ntds") { Selectable = true },
        },
        Kind = BackupKind.Incremental,
        StartedAt = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero),
        FinishedAt = new DateTimeOffset(2026, 11, 22, 12, 0, 5, TimeSpan.Zero),
        Chain = new ChainInfo("20261121T120000Z-00000000", "20261121T130000Z-11111111", 2),
        Producer = new ProducerInfo("esebackup.ese", "0.1.0", "1.0", "file-set", "host1"),
        Files =
        [
            new ManifestFile("SRUDB.dat", FileRole.Database, 1835008, new string('a', 64))
            {
                SourcePath = "/data/srum/SRUDB.dat",
                Database = new DatabaseFacts(4096, 0x620, 0x6e, "CleanShutdown") { RequiredLogRange = new GenerationRange(24, 32), PagesVerified = 446, HasBackupTrailer = true },
            },
            new ManifestFile("SRU0001F.log", FileRole.Log, 65536, new string('b', 64))
            {
                Log = new LogFacts(31) { WasCurrentLog = false, ReplacesCopyInSetId = "x", Created = new DateTimeOffset(2022, 3, 10, 21, 10, 0, TimeSpan.Zero), FormatVersion = "8.4000.60.140", UnitsVerified = 14 },
            },
            new ManifestFile("SRU.chk", FileRole.Checkpoint, 8192, new string('c', 64)) { Checkpoint = new CheckpointFacts(32) },
        ],
        LogRange = new GenerationRange(31, 32),
        Truncation = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin) { ExpectedRange = new GenerationRange(25, 31) },
        Verification = new VerificationSummary(3, 446, 2, 14, 0),
        Properties = new Dictionary<string, string> { ["k"] = "v" },
    };

    [Fact]
    public void Round_trip_preserves_every_field()
    {
        var first = ManifestJson.Serialize(Sample());
        var back = ManifestJson.Deserialize(first, "test");
        var second = ManifestJson.Serialize(back);
        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
        Assert.Equal(BackupKind.Incremental, back.Kind);
        Assert.Equal(3, back.Files.Count);
        Assert.Equal(new GenerationRange(24, 32), back.Files[0].Database!.RequiredLogRange);
        Assert.Equal("x", back.Files[1].Log!.ReplacesCopyInSetId);
    }

    [Fact]
    public void Property_names_are_the_stable_camelCase_contract()
    {
        using var doc = JsonDocument.Parse(ManifestJson.Serialize(Sample()));
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("manifestVersion").GetInt32());
        Assert.Equal("incremental", root.GetProperty("kind").GetString());
        Assert.Equal("fileSet", root.GetProperty("target").GetProperty("kind").GetString());
        var db = root.GetProperty("files")[0];
        Assert.Equal("database", db.GetProperty("role").GetString());
        Assert.Equal(64, db.GetProperty("sha256").GetString()!.Length);
        Assert.Equal(4096, db.GetProperty("database").GetProperty("pageSize").GetInt32());
        Assert.Equal(24, db.GetProperty("database").GetProperty("requiredLogRange").GetProperty("low").GetInt64());
        Assert.Equal(31, root.GetProperty("files")[1].GetProperty("log").GetProperty("generation").GetInt64());
        Assert.Equal("onSuccessfulCompletion", root.GetProperty("truncation").GetProperty("mode").GetString());
        Assert.Equal("plugin", root.GetProperty("truncation").GetProperty("performer").GetString());
        Assert.Equal(2, root.GetProperty("chain").GetProperty("sequence").GetInt32());
    }

    [Fact]
    public void Unknown_version_is_refused_naming_the_source()
    {
        var json = Encoding.UTF8.GetString(ManifestJson.Serialize(Sample())).Replace("\"manifestVersion\": 1", "\"manifestVersion\": 2", StringComparison.Ordinal);
        var ex = Assert.Throws<PluginException>(() => ManifestJson.Deserialize(Encoding.UTF8.GetBytes(json), "/sets/x/manifest.json"));
        Assert.Equal(ErrorCodes.ManifestInvalid, ex.Error.Code);
        Assert.Contains("/sets/x/manifest.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains("manifestVersion 2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{", "malformed JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"setId\":\"x\"}", "manifestVersion")]
    [InlineData("{\"manifestVersion\":1,\"setId\":\"x\"}", "invalid manifest")]
    public void Broken_documents_are_refused_with_a_reason(string json, string reason)
    {
        var ex = Assert.Throws<PluginException>(() => ManifestJson.Deserialize(Encoding.UTF8.GetBytes(json), "m.json"));
        Assert.Equal(ErrorCodes.ManifestInvalid, ex.Error.Code);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_manifests_round_trip()
    {
        var genFile = Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 30], Gen.Enum<FileRole>(), Gen.Long[0, long.MaxValue / 2], Gen.Long[0, 1_000_000])
            .Select((name, role, size, gen) => new ManifestFile(name, role, size, Convert.ToHexStringLower(BitConverter.GetBytes(size)).PadLeft(64, '0'))
            {
                Log = role == FileRole.Log ? new LogFacts(gen) : null,
            });
        Gen.Select(Gen.String[Gen.Char.AlphaNumeric, 1, 40], Gen.Enum<BackupKind>(), genFile.List[0, 20], Gen.Int[0, 1000])
            .Sample((id, kind, files, seq) =>
            {
                var m = Sample(id) with { Kind = kind, Files = files, Chain = new ChainInfo(id, null, seq) };
                var bytes = ManifestJson.Serialize(m);
                var again = ManifestJson.Serialize(ManifestJson.Deserialize(bytes, "gen"));
                return bytes.AsSpan().SequenceEqual(again);
            });
    }
}
