using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Staging;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Tests.Engine;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Sources.FileSet;

/// <summary>
/// Issue 10 item 5: a target id from discovery is a handle. It works in a backup without search paths, in the same
/// plugin lifetime and in later ones (the plugin remembers where it found the target in its state directory), and one
/// log stream at two places is two targets whose ids name their place; the bare id is then refused, naming both.
/// </summary>
public class TargetHandleTests
{
    private static string CreateSource(TempDirectory temp, string name, ulong seed = 31)
    {
        var dir = temp.Combine(name);
        SyntheticEseSet.Create(dir, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 48, LogGenerations = 4, DatabaseState = SyntheticDatabaseState.Dirty, Seed = seed });
        return dir;
    }

    private static async Task<List<BackupTarget>> DiscoverAsync(EsePlugin plugin, params string[] paths)
    {
        var found = new List<BackupTarget>();
        await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Paths = paths, Kinds = [TargetKind.FileSet] }))
        {
            found.Add(t);
        }

        return found;
    }

    private static Task<BackupResult> BackupByIdAsync(EngineHarness h, string id, BackupKind kind) =>
        h.Plugin.BackupAsync(new BackupRequest(id, kind, h.Staging)); // no SearchPaths: the id alone

    private static async Task CompleteAsync(EngineHarness h, BackupResult backup)
    {
        Assert.True(backup.Succeeded, backup.Error?.ToString());
        var done = await h.Plugin.CompleteBackupAsync(new CompletionRequest(backup.Manifest!, Succeeded: true));
        Assert.True(done.Error is null, done.Error?.ToString());
    }

    [Fact]
    public async Task A_discovered_id_backs_up_without_search_paths_in_this_and_a_later_plugin_lifetime()
    {
        using var temp = new TempDirectory();
        var source = CreateSource(temp, "data");
        var catalog = new InMemoryBackupCatalog();
        string id;
        await using (var first = new EngineHarness(temp, catalog: catalog))
        {
            var target = Assert.Single(await DiscoverAsync(first.Plugin, source));
            id = target.Id;
            Assert.Equal(FileSetSource.TargetIdFor(target.Logs!.LogSignature!), id); // one place: the stream's own id, as before

            var full = await BackupByIdAsync(first, id, BackupKind.Full);
            await CompleteAsync(first, full);
            Assert.Equal(source, full.Manifest!.Target.Location);
        }

        // A later lifetime (a new plugin over the same state directory) knows the id without being told where to look.
        SyntheticEseSet.AppendLogs(source, 2);
        await using var later = new EngineHarness(temp, catalog: catalog);
        var incremental = await BackupByIdAsync(later, id, BackupKind.Incremental);
        await CompleteAsync(later, incremental);
        Assert.Equal(id, incremental.Manifest!.Target.Id);
        Assert.Equal(BackupKind.Incremental, incremental.Manifest.Kind);
        Assert.Contains(incremental.Manifest.Files, f => f.Log?.Generation == incremental.Manifest.LogRange!.High);

        // What the plugin remembered is its own file in the state directory.
        Assert.Contains(source, File.ReadAllText(Path.Combine(later.Options.StateDirectory!, "file-set-locations.txt")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_plugins_state_lost_the_host_catalog_still_leads_to_the_target()
    {
        using var temp = new TempDirectory();
        var source = CreateSource(temp, "data");
        var catalog = new InMemoryBackupCatalog();
        string id;
        await using (var first = new EngineHarness(temp, catalog: catalog))
        {
            id = Assert.Single(await DiscoverAsync(first.Plugin, source)).Id;
            await CompleteAsync(first, await BackupByIdAsync(first, id, BackupKind.Full));
        }

        // A new state directory (a reinstalled host, another node of a cluster): the location comes from the catalog,
        // which recorded where the chain's last set was made.
        Directory.Delete(temp.Combine("state"), recursive: true);
        SyntheticEseSet.AppendLogs(source, 1);
        await using var later = new EngineHarness(temp, catalog: catalog);
        var incremental = await BackupByIdAsync(later, id, BackupKind.Incremental);
        await CompleteAsync(later, incremental);
        Assert.Equal(source, incremental.Manifest!.Target.Location);
    }

    [Fact]
    public async Task Without_discovery_an_unknown_id_is_not_found_and_the_error_says_where_it_looked()
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var result = await BackupByIdAsync(h, FileSetSource.TargetIdFor("nobody"), BackupKind.Full);
        Assert.Equal(ErrorCodes.TargetNotFound, result.Error!.Code);
        Assert.Contains("discovered before", result.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_places_of_one_stream_are_two_targets_and_the_bare_id_is_refused_naming_both()
    {
        using var temp = new TempDirectory();
        var production = CreateSource(temp, "production");
        var restored = temp.Combine("test-restore");
        EngineHarness.CopyTree(production, restored); // a test restore beside production: same log signature
        await using var h = new EngineHarness(temp);

        var found = await DiscoverAsync(h.Plugin, production, restored);

        Assert.Equal(2, found.Count);
        var bare = FileSetSource.TargetIdFor(found[0].Logs!.LogSignature!);
        var prod = Assert.Single(found, t => t.Location == production);
        var copy = Assert.Single(found, t => t.Location == restored);
        Assert.Equal(FileSetSource.QualifiedIdFor(bare, production), prod.Id);
        Assert.Equal(FileSetSource.QualifiedIdFor(bare, restored), copy.Id);
        Assert.NotEqual(prod.Id, copy.Id);
        Assert.StartsWith(bare + "@", prod.Id, StringComparison.Ordinal);
        Assert.Contains(prod.Warnings, w => w.Message.Contains(restored, StringComparison.Ordinal) && w.Message.Contains(copy.Id, StringComparison.Ordinal));
        Assert.Contains(copy.Warnings, w => w.Message.Contains(production, StringComparison.Ordinal));

        // The bare id no longer says which copy: refused, naming both paths (never "the first one found wins").
        var ambiguous = await BackupByIdAsync(h, bare, BackupKind.Full);
        Assert.False(ambiguous.Succeeded);
        Assert.Equal(ErrorCodes.InvalidParameter, ambiguous.Error!.Code);
        Assert.False(ambiguous.Error.IsTransient);
        Assert.Contains(production, ambiguous.Error.Message, StringComparison.Ordinal);
        Assert.Contains(restored, ambiguous.Error.Message, StringComparison.Ordinal);
        Assert.Contains(prod.Id, ambiguous.Error.Message, StringComparison.Ordinal);
        Assert.Empty(h.StagingEntries());

        // Each qualified id backs up its own copy, with no search paths.
        var prodFull = await BackupByIdAsync(h, prod.Id, BackupKind.Full);
        await CompleteAsync(h, prodFull);
        Assert.Equal(production, prodFull.Manifest!.Target.Location);
        Assert.All(prodFull.Manifest.Files.Where(f => f.SourcePath is not null), f => Assert.StartsWith(production + Path.DirectorySeparatorChar, f.SourcePath!, StringComparison.Ordinal));
        var copyFull = await BackupByIdAsync(h, copy.Id, BackupKind.Copy);
        Assert.True(copyFull.Succeeded, copyFull.Error?.ToString());
        Assert.Equal(restored, copyFull.Manifest!.Target.Location);
    }

    [Fact]
    public async Task A_copy_found_by_a_later_discovery_makes_the_bare_id_ambiguous_until_it_is_gone()
    {
        using var temp = new TempDirectory();
        var production = CreateSource(temp, "production");
        await using var h = new EngineHarness(temp);
        var bare = Assert.Single(await DiscoverAsync(h.Plugin, production)).Id;
        var full = await BackupByIdAsync(h, bare, BackupKind.Full);
        await CompleteAsync(h, full);

        // Someone restores a copy elsewhere and a later discovery looks only there: the plugin remembers production.
        var restored = temp.Combine("elsewhere", "restore");
        EngineHarness.CopyTree(production, restored);
        var copy = Assert.Single(await DiscoverAsync(h.Plugin, restored));
        Assert.Equal(FileSetSource.QualifiedIdFor(bare, restored), copy.Id);
        Assert.Contains(copy.Warnings, w => w.Message.Contains(production, StringComparison.Ordinal));

        var refused = await BackupByIdAsync(h, bare, BackupKind.Incremental);
        Assert.Equal(ErrorCodes.InvalidParameter, refused.Error!.Code);
        Assert.Contains(production, refused.Error.Message, StringComparison.Ordinal);
        Assert.Contains(restored, refused.Error.Message, StringComparison.Ordinal);

        // The test restore is deleted: the stream is at one place again and its bare id (and chain) work as before.
        Directory.Delete(restored, recursive: true);
        SyntheticEseSet.AppendLogs(production, 1);
        var incremental = await BackupByIdAsync(h, bare, BackupKind.Incremental);
        await CompleteAsync(h, incremental);
        Assert.Equal(full.Manifest!.SetId, incremental.Manifest!.Chain.ChainId);
        Assert.Equal(bare, Assert.Single(await DiscoverAsync(h.Plugin, production)).Id);
    }

    [Fact]
    public async Task A_copy_on_an_unreachable_volume_still_keeps_the_bare_id_from_the_copy_in_sight()
    {
        using var temp = new TempDirectory();
        var production = CreateSource(temp, "production");
        var share = temp.Combine("share");
        var restored = Path.Combine(share, "restore");
        EngineHarness.CopyTree(production, restored);
        await using var h = new EngineHarness(temp);
        var found = await DiscoverAsync(h.Plugin, production, restored);
        var bare = TargetCopiesIdentity(found[0].Id);

        // The share goes offline (its mount point is gone): production is the only copy in sight, but the restore may
        // come back, so the bare id still names two places.
        Directory.Move(share, temp.Combine("share-offline"));
        var refused = await BackupByIdAsync(h, bare, BackupKind.Full);
        Assert.Equal(ErrorCodes.InvalidParameter, refused.Error!.Code);
        Assert.Contains(restored, refused.Error.Message, StringComparison.Ordinal);
        var prod = Assert.Single(await DiscoverAsync(h.Plugin, production));
        Assert.Equal(FileSetSource.QualifiedIdFor(bare, production), prod.Id);
        var full = await BackupByIdAsync(h, prod.Id, BackupKind.Full);
        Assert.True(full.Succeeded, full.Error?.ToString());
    }

    private static string TargetCopiesIdentity(string id) => id.Split('@')[0];

    [Fact]
    public async Task A_qualified_id_keeps_working_when_the_other_copy_is_removed()
    {
        using var temp = new TempDirectory();
        var production = CreateSource(temp, "production");
        var restored = temp.Combine("restore");
        EngineHarness.CopyTree(production, restored);
        await using var h = new EngineHarness(temp);
        var copy = Assert.Single(await DiscoverAsync(h.Plugin, production, restored), t => t.Location == restored);
        var copyFull = await BackupByIdAsync(h, copy.Id, BackupKind.Full);
        await CompleteAsync(h, copyFull);

        Directory.Delete(production, recursive: true);
        SyntheticEseSet.AppendLogs(restored, 1);
        var incremental = await BackupByIdAsync(h, copy.Id, BackupKind.Incremental);
        await CompleteAsync(h, incremental);
        Assert.Equal(copy.Id, incremental.Manifest!.Target.Id);
        Assert.Equal(copyFull.Manifest!.SetId, incremental.Manifest.Chain.ChainId);
    }

    [Fact]
    public async Task Backup_sets_below_a_scanned_root_are_not_second_places_of_their_source()
    {
        using var temp = new TempDirectory();
        var source = CreateSource(temp, "source");
        await using var h = new EngineHarness(temp);
        var id = Assert.Single(await DiscoverAsync(h.Plugin, source)).Id;
        var full = await BackupByIdAsync(h, id, BackupKind.Full);
        await CompleteAsync(h, full);
        Directory.CreateDirectory(Path.Combine(h.Staging, StagingArea.PartialPrefix + "x"));
        File.Copy(Path.Combine(full.SetDirectory!, Assert.Single(full.Manifest!.Files, f => f.Role == FileRole.Database).Path), Path.Combine(h.Staging, StagingArea.PartialPrefix + "x", "db.edb"));

        // The whole temp directory: the source, the staged set (manifest.json) and a partial one.
        var found = await DiscoverAsync(h.Plugin, temp.Path);

        Assert.Equal(id, Assert.Single(found).Id);
    }
}
