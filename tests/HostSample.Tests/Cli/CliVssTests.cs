using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// <c>esebackup</c> on VSS writer targets through the host against the vssapi.dll ABI fake (configured with
/// <c>EsePlugin:Vss:NativeLibraryDirectory</c>): a simulated NTDS writer whose files are a real SRUM set (logs 25–31,
/// current log 32, checkpoint 32), among the real DiskShadow writer documents.
/// </summary>
[Collection(NativeFakesCollection.Name)]
public sealed class CliVssTests : IDisposable
{
    private const int VssContextBackup = 0;

    private readonly CliHarness _cli;
    private readonly FakeVssMachine _machine;

    public CliVssTests()
    {
        _cli = new CliHarness(new JsonObject
        {
            ["Vss"] = new JsonObject
            {
                ["NativeLibraryDirectory"] = AppContext.BaseDirectory,
                ["AsyncTimeout"] = "00:00:05",
                ["AsyncWaitSlice"] = "00:00:00.020",
                ["SnapshotSetRetryDelay"] = "00:00:00.010",
                ["SnapshotSetRetryDeadline"] = "00:00:02",
            },
        });
        var root = _cli.Temp.Combine("machine");
        Directory.CreateDirectory(root);
        _machine = new FakeVssMachine(root, TestSupport.SharedTestData("ese", FakeVssMachine.EseSet), TestSupport.SharedTestData("vss", "diskshadow-no_sql"));
    }

    private async Task<string> DiscoverOneAsync()
    {
        var run = await _cli.RunExpectingAsync(ExitCodes.Ok, "discover", "--kind", "vssWriter", "--json");
        var target = Assert.Single(run.Json.AsArray())!;   // among the machine's writers, only the ESE writer's component
        Assert.Equal("vssWriter", target["kind"]!.GetValue<string>());
        Assert.Equal("NTDS", target["vss"]!["writerName"]!.GetValue<string>());
        Assert.Equal("ntds", target["vss"]!["componentName"]!.GetValue<string>());
        return target["id"]!.GetValue<string>();
    }

    [NativeFakeFact]
    public async Task Discover_then_backup_copies_by_default_and_full_only_when_asked()
    {
        // Loading the plugin reads the snapshot-set records at start-up, but creates no repository where there is none.
        await _cli.RunExpectingAsync(ExitCodes.Ok, "plugins");
        Assert.False(Directory.Exists(_cli.Repository));

        var id = await DiscoverOneAsync();
        var table = await _cli.RunExpectingAsync(ExitCodes.Ok, "discover");
        Assert.Contains("VssWriter", table.Out, StringComparison.Ordinal);

        // No --kind: a copy backup, which never makes the writer truncate.
        var copy = (await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", id, "--json")).Json;
        Assert.Equal("completed", copy["state"]!.GetValue<string>());
        Assert.Equal("copy", copy["manifest"]!["kind"]!.GetValue<string>());
        Assert.Equal("vss", copy["manifest"]!["producer"]!["strategy"]!.GetValue<string>());
        Assert.Contains("backupType=\"copy\"", copy["manifest"]!["vssBackupComponentsDocument"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);   // the Backup Components Document is in the manifest
        Assert.Equal("notAllowed", copy["truncation"]!["status"]!.GetValue<string>());
        Assert.Equal(7, _machine.LiveArchivedLogs.Count);
        Assert.Contains("SetBackupState select=1 bootable=0 type=5 partial=0", FakeVssLibrary.LogLines);
        await _cli.RunExpectingAsync(ExitCodes.Ok, "verify-set", copy["setId"]!.GetValue<string>());

        // --kind full: the writer truncates at BackupComplete, and the report says so.
        var full = (await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", id, "--kind", "full", "--json")).Json;
        Assert.Equal("full", full["manifest"]!["kind"]!.GetValue<string>());
        Assert.Equal("delegatedToWriter", full["truncation"]!["status"]!.GetValue<string>());
        Assert.Equal("vssWriter", full["truncation"]!["performedBy"]!.GetValue<string>());
        Assert.Equal(25, full["truncation"]!["range"]!["low"]!.GetValue<long>());
        Assert.Equal(31, full["truncation"]!["range"]!["high"]!.GetValue<long>());
        Assert.Empty(_machine.LiveArchivedLogs);
        Assert.Equal(0, FakeVssLibrary.LiveSnapshotSets);

        // The host's help says what the default is.
        var help = await _cli.RunExpectingAsync(ExitCodes.Ok, "backup", "--help");
        Assert.Contains("Default: copy for VSS writer targets", help.Out, StringComparison.Ordinal);
    }

    [NativeFakeFact]
    public async Task Orphaned_snapshot_sets_recorded_in_the_host_catalog_are_deleted_when_the_plugin_starts()
    {
        // A crashed earlier run left a snapshot set behind and its id in the host's catalog.
        var orphan = Guid.NewGuid();
        FakeVssLibrary.AddOrphanSnapshotSet(orphan, _machine.Volume, VssContextBackup);
        var catalog = new SqliteCatalog(Path.Combine(_cli.Repository, "catalog.db"));
        await catalog.RecordSnapshotSetAsync(new SnapshotSetRecord(orphan, "vss-target", Environment.ProcessId, new DateTimeOffset(2001, 1, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UtcNow));
        catalog.Dispose();
        Assert.True(FakeVssLibrary.SnapshotSetExists(orphan));

        // Loading the plugin is enough: 'plugins' neither discovers nor backs up.
        await _cli.RunExpectingAsync(ExitCodes.Ok, "plugins");

        Assert.False(FakeVssLibrary.SnapshotSetExists(orphan));
        Assert.Contains(FakeVssLibrary.LogLines, l => l.StartsWith($"DeleteSnapshots {orphan}", StringComparison.Ordinal));
        Assert.Equal(0, FakeVssLibrary.Count("GatherWriterMetadata"));
        var reopened = new SqliteCatalog(Path.Combine(_cli.Repository, "catalog.db"));
        Assert.Empty(await reopened.GetSnapshotSetsAsync());
        reopened.Dispose();
    }

    public void Dispose()
    {
        FakeVssLibrary.Reset();
        _cli.Dispose();
    }
}
