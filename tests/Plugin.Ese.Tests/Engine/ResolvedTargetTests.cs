using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Samples;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Issue 13/15, one discovery per backup: the target a host discovered travels with the request
/// (<see cref="BackupRequest.Target"/>), so the plugin backs up the files at its location without searching for the id
/// again, while still refusing a target that is no longer what its id says.
/// </summary>
public class ResolvedTargetTests
{
    private static void CreateSet(string directory, ulong seed) =>
        SyntheticEseSet.Create(directory, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 32, LogGenerations = 3, Seed = seed, StreamSeed = seed });

    [Fact]
    public async Task A_backup_that_carries_the_discovered_target_finds_it_without_searching()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        CreateSet(source, 1301);
        await using var discovering = new EngineHarness(temp);
        var target = await discovering.TargetAsync(source);

        // Another plugin instance with its own (empty) memory of places and no search paths: only the target it is handed
        // can tell it where the files are.
        using var other = new TempDirectory();
        await using var h = new EngineHarness(other);
        var byIdOnly = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging));
        Assert.Equal(ErrorCodes.TargetNotFound, byIdOnly.Error?.Code);

        var backup = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { Target = target });
        Assert.True(backup.Succeeded, backup.Error?.ToString());
        Assert.Equal(target.Id, backup.Manifest!.Target.Id);
        Assert.Equal(source, backup.Manifest.Target.Location);
        Assert.Equal(target.Logs!.LogSignature, backup.Manifest.Target.LogSignature);
        await h.AssertSetVerifiesAsync(backup.SetDirectory!);
    }

    [Fact]
    public async Task A_carried_target_whose_place_now_holds_another_stream_is_refused_and_nothing_is_staged()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        CreateSet(source, 1302);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(source);
        Directory.Delete(source, recursive: true);
        CreateSet(source, 1303);

        var backup = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { Target = target });

        Assert.False(backup.Succeeded);
        Assert.Equal(ErrorCodes.TargetNotFound, backup.Error!.Code);
        Assert.Empty(h.StagingEntries());
    }

    [Fact]
    public async Task A_carried_target_under_an_id_its_files_do_not_have_is_not_taken_on_trust()
    {
        using var temp = new TempDirectory();
        var a = temp.Combine("a");
        var b = temp.Combine("b");
        CreateSet(a, 1304);
        CreateSet(b, 1305);
        await using var h = new EngineHarness(temp);
        var targetA = await h.TargetAsync(a);
        var targetB = await h.TargetAsync(b);

        // B's files under A's id: the id is checked against B's log signature, then looked up the long way, and A is what
        // A's id names.
        var forged = targetB with { Id = targetA.Id };
        var backup = await h.Plugin.BackupAsync(new BackupRequest(targetA.Id, BackupKind.Full, h.Staging) { Target = forged, SearchPaths = [a] });

        Assert.True(backup.Succeeded, backup.Error?.ToString());
        Assert.Equal(a, backup.Manifest!.Target.Location);
        Assert.All(backup.Manifest.Files, f => Assert.StartsWith(a, f.SourcePath!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_carried_bare_id_of_a_stream_now_at_two_places_is_resolved_the_long_way_and_refused()
    {
        using var temp = new TempDirectory();
        var source = temp.Combine("source");
        CreateSet(source, 1306);
        await using var h = new EngineHarness(temp);
        var stale = await h.TargetAsync(source);

        // A copy of the same stream appears elsewhere and is discovered: the bare id no longer says which copy is meant.
        EngineHarness.CopyTree(source, temp.Combine("restored"));
        await foreach (var _ in h.Plugin.DiscoverAsync(new Abstractions.Targets.DiscoveryRequest { Paths = [temp.Combine("restored")] }))
        {
        }

        var backup = await h.Plugin.BackupAsync(new BackupRequest(stale.Id, BackupKind.Full, h.Staging) { Target = stale });

        Assert.False(backup.Succeeded);
        Assert.Equal(ErrorCodes.InvalidParameter, backup.Error!.Code);
        Assert.Contains(temp.Combine("restored"), backup.Error.Message, StringComparison.Ordinal);
        Assert.Empty(h.StagingEntries());
    }
    [Fact]
    public async Task A_stale_carried_target_does_not_narrow_a_first_full_a_database_outside_the_log_folder_is_included()
    {
        using var temp = new TempDirectory();
        using var aside = new TempDirectory();
        var data = temp.Combine("data");
        var source = Path.Combine(data, "logs");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 8192, DatabaseCount = 2, DatabasePages = 32, LogGenerations = 3, Seed = 1307, StreamSeed = 1307 });
        var databases = Directory.GetFiles(source, "*.edb").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(2, databases.Length);
        var away = aside.Combine("away.edb");
        File.Move(databases[1], away);
        await using var h = new EngineHarness(temp);

        // The host discovers (searching the folder above the logs) while the second database is not there yet, and keeps
        // that target; then the database is put beside the log folder, where the same search finds it.
        var found = new List<Abstractions.Targets.BackupTarget>();
        await foreach (var t in h.Plugin.DiscoverAsync(new Abstractions.Targets.DiscoveryRequest { Paths = [data], Kinds = [Abstractions.Targets.TargetKind.FileSet] }))
        {
            found.Add(t);
        }

        var stale = Assert.Single(found);
        Assert.Equal([databases[0]], stale.Databases.Select(d => d.Path));
        var outside = Path.Combine(data, "databases", Path.GetFileName(databases[1]));
        Directory.CreateDirectory(Path.GetDirectoryName(outside)!);
        File.Move(away, outside);

        var backup = await h.Plugin.BackupAsync(new BackupRequest(stale.Id, BackupKind.Full, h.Staging) { Target = stale, SearchPaths = [data] });

        Assert.True(backup.Succeeded, backup.Error?.ToString());
        var copied = backup.Manifest!.Files.Where(f => f.Role == Abstractions.Manifest.FileRole.Database).Select(f => f.SourcePath).Order(StringComparer.Ordinal);
        Assert.Equal([outside, databases[0]], copied);
        await h.AssertSetVerifiesAsync(backup.SetDirectory!);
    }
}
