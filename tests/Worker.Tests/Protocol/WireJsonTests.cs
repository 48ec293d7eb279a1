using System.Text.Json;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Samples;
using EseBackupPlugin.Worker.Protocol.Messages;

namespace EseBackupPlugin.Worker.Tests.Protocol;

/// <summary>The wire JSON: the contract's records as a client in another language writes them.</summary>
public sealed class WireJsonTests
{
    [Fact]
    public void Omitted_optional_members_keep_the_contract_defaults()
    {
        var backup = WireJson.DeserializeWithDefaults(Json("""{"targetId":"t","kind":"full","stagingDirectory":"/s"}"""), new BackupRequest("", BackupKind.Full, ""))!;
        Assert.NotNull(backup.SearchPaths);
        Assert.Empty(backup.SearchPaths);
        Assert.False(backup.CreateStagingDirectory);

        var sample = WireJson.DeserializeWithDefaults(Json("""{"directory":"/d","logGenerations":4}"""), new SampleTargetRequest(""))!;
        Assert.Equal("edb", sample.BaseName);
        Assert.Equal(4, sample.LogGenerations);
        Assert.Equal(new SampleTargetRequest("/d").DatabaseBytes, sample.DatabaseBytes);

        var restore = WireJson.DeserializeWithDefaults(Json("""{"setDirectories":["/a"],"destination":"/r"}"""), new RestoreRequest([], ""))!;
        Assert.Equal(RestoreMode.FilesOnly, restore.Mode);

        var verify = WireJson.DeserializeWithDefaults(Json("""{"paths":["/x"]}"""), new VerifyFilesRequest([]))!;
        Assert.True(verify.CrossFileChecks);

        // The plain source-generated read is what the defaults step repairs: an omitted init-only member becomes null.
        Assert.Null(JsonSerializer.Deserialize("""{"targetId":"t","kind":"full","stagingDirectory":"/s"}""", WireJson.Info<BackupRequest>())!.SearchPaths);
    }

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    [Fact]
    public void A_plugin_error_round_trips_with_its_ese_name_and_number_and_without_them()
    {
        foreach (var code in new[] { ErrorCodes.ReadVerifyFailure, ErrorCodes.WorkerExited })
        {
            var error = new PluginError(code, "m") { File = "f", Page = 3 };
            var json = JsonSerializer.Serialize(BackupResult.Failure(error), WireJson.Info<BackupResult>());
            Assert.DoesNotContain('\n', json);
            var back = JsonSerializer.Deserialize(json, WireJson.Info<BackupResult>())!;
            Assert.Equal(error.Code, back.Error!.Code);
            Assert.Equal(3, back.Error.Page);
        }
    }
}
