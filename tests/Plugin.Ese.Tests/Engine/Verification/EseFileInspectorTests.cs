using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine.Verification;

public class EseFileInspectorTests
{

    [Fact]
    public async Task Database_inspection_has_the_stable_fields()
    {
        var i = await EseFileInspector.InspectAsync(TestData.Ese("srum-win11-dirty-with-logs", "SRUDB.dat"));
        var d = Parsed(i.Details);

        Assert.Null(i.Error);
        Assert.Empty(i.Findings);
        Assert.Equal("database", i.Kind);
        Assert.Equal("database", (string?)d["kind"]);
        Assert.Equal(4096, (int?)d["pageSize"]);
        Assert.Equal("DirtyShutdown", (string?)d["state"]);
        Assert.Equal(0x620, (int?)d["formatVersion"]);
        Assert.Equal(0xc8, (int?)d["formatRevision"]);
        Assert.Equal(0x14, (int?)d["createdFormatRevision"]);
        Assert.Equal(92, (int?)d["requiredLogRange"]!["low"]);
        Assert.Equal(92, (int?)d["requiredLogRange"]!["high"]);
        Assert.StartsWith("2022-03-05T16:20:02", (string?)d["created"], StringComparison.Ordinal);
        Assert.Equal("primary", (string?)d["headerCopy"]);
        Assert.NotNull((string?)d["databaseSignature"]);

        var log = await EseFileInspector.InspectAsync(TestData.Ese("srum-win11-dirty-with-logs", "SRU.log"));
        Assert.Equal((string?)log.Details["logSignature"], (string?)d["logSignature"]);
    }

    // Hosts read the details as JSON text; numbers then convert to any width.
    private static JsonNode Parsed(JsonObject details) => JsonNode.Parse(details.ToJsonString())!;

    [Fact]
    public async Task Log_inspection_has_the_stable_fields()
    {
        var i = await EseFileInspector.InspectAsync(TestData.Ese("srum-win11-dirty-with-logs", "SRU.log"));
        var d = i.Details;

        Assert.Equal("log", i.Kind);
        Assert.Equal(92L, (long?)d["generation"]);
        Assert.Equal(92, (int?)d["generation"]);
        Assert.Equal("8.4000.90.200", (string?)d["formatVersion"]);
        Assert.StartsWith("2022-07-03T02:10:42", (string?)d["created"], StringComparison.Ordinal);
        Assert.Equal(4096, (int?)d["sectorSize"]);
        Assert.Equal(16, (int?)d["fileSectors"]);
        Assert.True((bool?)d["isCurrentLog"]);
        Assert.Equal("SRU", (string?)d["baseName"]);
        Assert.Equal("segment", (string?)d["unit"]);
        Assert.True((bool?)d["circularLogging"]);
        Assert.NotEmpty(d["attachedDatabases"]!.AsArray());
    }

    [Fact]
    public async Task Checkpoint_inspection_names_the_checkpoint_generation()
    {
        var i = await EseFileInspector.InspectAsync(TestData.Ese("catroot2-winxp-with-logs", "edb.chk"));

        Assert.Equal("checkpoint", i.Kind);
        var d = Parsed(i.Details);
        Assert.Equal(131, (int?)d["generation"]);
        Assert.Equal("(0x83,47,204)", (string?)d["checkpoint"]);
        Assert.Equal("edb", (string?)i.Details["baseName"]);
        Assert.Equal("primary", (string?)i.Details["headerCopy"]);
    }

    [Fact]
    public async Task Missing_file_is_an_error_in_the_result()
    {
        var path = Path.Combine(TestData.EseRoot, "nope.edb");
        var i = await EseFileInspector.InspectAsync(path);

        Assert.NotNull(i.Error);
        Assert.Equal(ErrorCodes.FileNotFound, i.Error.Code);
        Assert.Equal(path, i.Error.File);
    }

    [Fact]
    public async Task Damaged_primary_header_is_a_finding_and_the_shadow_is_used()
    {
        using var temp = new TempDirectory();
        var copy = temp.Combine("basic.edb");
        var bytes = File.ReadAllBytes(TestData.Ese("esent-api-samples", "basic.edb"));
        bytes[60] ^= 0x08;
        await File.WriteAllBytesAsync(copy, bytes);

        var i = await EseFileInspector.InspectAsync(copy);

        Assert.Equal("shadow", (string?)i.Details["headerCopy"]);
        Assert.Equal(FindingCodes.HeaderChecksumMismatch, Assert.Single(i.Findings).Code);
        Assert.Equal("CleanShutdown", (string?)i.Details["state"]);
    }

    [Fact]
    public async Task Details_serialise_to_json()
    {
        foreach (var f in RealFiles.All)
        {
            var i = await EseFileInspector.InspectAsync(f.Path);
            var json = i.Details.ToJsonString();
            Assert.Equal(f.Kind.ToName(), (string?)JsonNode.Parse(json)!["kind"]);
        }
    }
}
