using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// DESIGN §5: a restore trusts nothing but the manifest and the bytes. Manifests that would write outside the
/// destination, name a file twice, lie about a file, link sets wrongly or come from an unknown format are refused
/// before the first byte is written (a wrong hash: refused with nothing left in the destination).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class HostileManifestTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private EngineHarness _h = null!;
    private string _full = null!;
    private string _incremental = null!;

    public async Task InitializeAsync()
    {
        var source = _temp.Combine("source");
        SyntheticEseSet.Create(source, new SyntheticEseOptions { PageSize = 4096, DatabaseCount = 2, DatabasePages = 24, LogGenerations = 3, DatabaseState = SyntheticDatabaseState.Dirty, Seed = 21 });
        _h = new EngineHarness(_temp);
        var target = await _h.TargetAsync(source);
        _full = (await _h.BackupAndCompleteAsync(target, BackupKind.Full)).Backup.SetDirectory!;
        SyntheticEseSet.AppendLogs(source, 2);
        _incremental = (await _h.BackupAndCompleteAsync(target, BackupKind.Incremental)).Backup.SetDirectory!;
    }

    public async Task DisposeAsync()
    {
        await _h.DisposeAsync();
        _temp.Dispose();
    }

    /// <summary>A copy of a stored set whose manifest (and files) a test may tamper with.</summary>
    private string CopySet(string set)
    {
        var copy = _temp.Combine("tampered-" + Guid.NewGuid().ToString("N")[..8], Path.GetFileName(set));
        EngineHarness.CopyTree(set, copy);
        return copy;
    }

    private static void EditManifest(string set, Action<JsonObject> edit)
    {
        var path = Path.Combine(set, BackupManifest.FileName);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    private static JsonObject FileEntry(JsonObject manifest, string path) =>
        manifest["files"]!.AsArray().Select(f => f!.AsObject()).Single(f => (string)f["path"]! == path);

    /// <summary>Restores into a fresh destination; asserts the error and that not even the destination was created.</summary>
    private async Task<PluginError> RefusedBeforeWritingAsync(params string[] sets)
    {
        var destination = _temp.Combine("restore-" + Guid.NewGuid().ToString("N")[..8]);
        var result = await _h.Plugin.RestoreAsync(new RestoreRequest(sets, destination));
        Assert.False(result.Succeeded, "the restore succeeded");
        Assert.False(Directory.Exists(destination), $"the restore created {destination} before refusing: {result.Error}");
        Assert.Empty(result.Files);
        return result.Error!;
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("/tmp/database1.edb")]
    [InlineData("C:/Windows/database1.edb")]
    [InlineData("C:database1.edb")]
    [InlineData("\\\\server\\share\\database1.edb")]
    [InlineData("..\\database1.edb")]
    [InlineData("../database1.edb")]
    [InlineData("sub/../../database1.edb")]
    [InlineData("./database1.edb")]
    [InlineData("sub//database1.edb")]
    [InlineData("..")]
    public async Task A_path_that_leaves_the_set_is_refused(string hostile)
    {
        var set = CopySet(_full);
        EditManifest(set, m => FileEntry(m, "database1.edb")["path"] = hostile);

        var error = await RefusedBeforeWritingAsync(set);

        Assert.Equal(ErrorCodes.UnsafeManifestPath, error.Code);
        Assert.False((await _h.Plugin.VerifySetAsync(new VerifySetRequest(set))).IsClean);
    }

    [Fact]
    public async Task A_symlink_in_the_set_that_points_outside_is_refused_even_with_the_right_content()
    {
        var set = CopySet(_full);
        var outside = _temp.Combine("outside-database1.edb");
        File.Move(Path.Combine(set, "database1.edb"), outside);
        File.CreateSymbolicLink(Path.Combine(set, "database1.edb"), outside);

        var error = await RefusedBeforeWritingAsync(set);

        Assert.Equal(ErrorCodes.UnsafeManifestPath, error.Code);
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
        Assert.False((await _h.Plugin.VerifySetAsync(new VerifySetRequest(set))).IsClean);
    }

    [Fact]
    public async Task A_symlinked_parent_directory_that_leads_outside_is_refused()
    {
        var set = CopySet(_full);
        var outside = _temp.Combine("outside-folder");
        Directory.CreateDirectory(outside);
        File.Move(Path.Combine(set, "database1.edb"), Path.Combine(outside, "database1.edb"));
        Directory.CreateSymbolicLink(Path.Combine(set, "dbs"), outside);
        EditManifest(set, m => FileEntry(m, "database1.edb")["path"] = "dbs/database1.edb");

        var error = await RefusedBeforeWritingAsync(set);

        Assert.Equal(ErrorCodes.UnsafeManifestPath, error.Code);
        Assert.Contains("symbolic link", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_to_a_file_inside_the_set_is_followed()
    {
        // Links are not forbidden as such: one that stays inside the set is fine.
        var set = CopySet(_full);
        Directory.CreateDirectory(Path.Combine(set, "real"));
        File.Move(Path.Combine(set, "database1.edb"), Path.Combine(set, "real", "database1.edb"));
        File.CreateSymbolicLink(Path.Combine(set, "database1.edb"), Path.Combine(set, "real", "database1.edb"));
        var destination = _temp.Combine("restore-inside-link");

        var result = await _h.Plugin.RestoreAsync(new RestoreRequest([set], destination));

        Assert.True(result.Succeeded, result.Error?.ToString());
    }

    [Theory]
    [InlineData("edb.chk")]
    [InlineData("EDB.CHK")]
    [InlineData("Database2.edb")]
    public async Task A_name_listed_twice_even_in_another_case_is_refused(string duplicate)
    {
        var set = CopySet(_full);
        EditManifest(set, m =>
        {
            var source = duplicate.Equals("edb.chk", StringComparison.OrdinalIgnoreCase) ? "edb.chk" : "database2.edb";
            var copy = JsonNode.Parse(FileEntry(m, source).ToJsonString())!.AsObject();
            copy["path"] = duplicate;
            m["files"]!.AsArray().Add(copy);
        });

        var error = await RefusedBeforeWritingAsync(set);

        Assert.Equal(ErrorCodes.UnsafeManifestPath, error.Code);
        Assert.Contains("more than once", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("hash")]
    [InlineData("size")]
    [InlineData("content")]
    public async Task A_file_that_does_not_match_its_manifest_is_refused_and_nothing_stays_in_the_destination(string lie)
    {
        var full = CopySet(_full);
        var incremental = CopySet(_incremental);
        // The lie is in the last file the restore writes (the newest log), so that everything before it was written.
        var manifest = Abstractions.Json.ManifestJson.Deserialize(File.ReadAllBytes(Path.Combine(incremental, BackupManifest.FileName)), incremental);
        var victim = manifest.Files.Where(f => f.Log is not null).MaxBy(f => f.Log!.Generation)!.Path;
        switch (lie)
        {
            case "hash":
                EditManifest(incremental, m => FileEntry(m, victim)["sha256"] = new string('a', 64));
                break;
            case "size":
                EditManifest(incremental, m => FileEntry(m, victim)["size"] = (long)FileEntry(m, victim)["size"]! + 1);
                break;
            default:
                var path = Path.Combine(incremental, victim);
                var bytes = File.ReadAllBytes(path);
                bytes[^1] ^= 0x01;
                File.WriteAllBytes(path, bytes);
                break;
        }

        var destination = _temp.Combine("restore-" + lie);
        var result = await _h.Plugin.RestoreAsync(new RestoreRequest([full, incremental], destination));

        Assert.Equal(ErrorCodes.HashMismatch, result.Error?.Code);
        Assert.Contains(victim, result.Error!.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.Exists(destination) ? Directory.EnumerateFileSystemEntries(destination, "*", SearchOption.AllDirectories) : []);
        Assert.False((await _h.Plugin.VerifySetAsync(new VerifySetRequest(incremental))).IsClean);
    }

    [Fact]
    public async Task A_hash_mismatch_in_a_set_with_database_sub_folders_leaves_no_folder_behind()
    {
        // catroot2 keeps each catdb in its own {GUID} folder; the restore recreates them, and must take them away again.
        var source = _temp.Combine("catroot2");
        EngineHarness.CopyTree(TestData.Ese("catroot2-winxp-with-logs"), source);
        var target = await _h.TargetAsync(source);
        var full = (await _h.BackupAndCompleteAsync(target, BackupKind.Full)).Backup.SetDirectory!;
        var set = CopySet(full);
        EditManifest(set, m => FileEntry(m, "edb.log")["sha256"] = new string('0', 64));
        var destination = _temp.Combine("restore-catroot2");

        var result = await _h.Plugin.RestoreAsync(new RestoreRequest([set], destination));

        Assert.Equal(ErrorCodes.HashMismatch, result.Error?.Code);
        Assert.Empty(Directory.Exists(destination) ? Directory.EnumerateFileSystemEntries(destination, "*", SearchOption.AllDirectories) : []);
    }

    [Fact]
    public async Task A_chain_whose_links_are_wrong_is_refused()
    {
        // Incremental without its full, sets in the wrong order, the same set twice.
        Assert.Equal(ErrorCodes.InvalidParameter, (await RefusedBeforeWritingAsync(_incremental)).Code);
        Assert.Equal(ErrorCodes.InvalidParameter, (await RefusedBeforeWritingAsync(_incremental, _full)).Code);
        Assert.Equal(ErrorCodes.InvalidParameter, (await RefusedBeforeWritingAsync(_full, _full)).Code);
        Assert.Equal(ErrorCodes.InvalidParameter, (await RefusedBeforeWritingAsync(_full, _incremental, _incremental)).Code);

        // An incremental that names another previous set, another chain, or another target.
        foreach (var (field, value) in new[] { ("previousSetId", "20200101T000000Z-00000000"), ("chainId", "20200101T000000Z-00000000") })
        {
            var incremental = CopySet(_incremental);
            EditManifest(incremental, m => m["chain"]![field] = value);
            var error = await RefusedBeforeWritingAsync(_full, incremental);
            Assert.Equal(ErrorCodes.InvalidParameter, error.Code);
            Assert.Contains("does not continue the chain", error.Message, StringComparison.Ordinal);
        }

        var otherTarget = CopySet(_incremental);
        EditManifest(otherTarget, m => m["target"]!["id"] = "fs-000000000000000000000000");
        Assert.Equal(ErrorCodes.InvalidParameter, (await RefusedBeforeWritingAsync(_full, otherTarget)).Code);
    }

    [Fact]
    public async Task A_chain_with_a_gap_or_another_log_stream_is_refused()
    {
        // The incremental without its second generation: the chain has a hole.
        var gap = CopySet(_incremental);
        EditManifest(gap, m =>
        {
            var files = m["files"]!.AsArray();
            var second = files.Select(f => f!.AsObject()).Where(f => f["log"] is not null).OrderBy(f => (long)f["log"]!["generation"]!).Skip(1).First();
            files.Remove(second);
        });
        Assert.Equal(ErrorCodes.MissingRestoreLogFiles, (await RefusedBeforeWritingAsync(_full, gap)).Code);

        var foreign = CopySet(_incremental);
        EditManifest(foreign, m =>
        {
            foreach (var f in m["files"]!.AsArray().Select(f => f!.AsObject()).Where(f => f["log"] is not null).Skip(1))
            {
                f["log"]!["logSignature"] = "00000000-2020-01-01T00:00:00.000Z-ELSEWHERE";
            }
        });
        Assert.Equal(ErrorCodes.GivenLogFileHasBadSignature, (await RefusedBeforeWritingAsync(_full, foreign)).Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(99)]
    public async Task An_unknown_manifest_version_is_refused(int version)
    {
        var set = CopySet(_full);
        EditManifest(set, m => m["manifestVersion"] = version);

        var error = await RefusedBeforeWritingAsync(set);

        Assert.Equal(ErrorCodes.ManifestInvalid, error.Code);
        Assert.Contains($"manifestVersion {version}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_or_malformed_manifest_is_refused()
    {
        var noManifest = CopySet(_full);
        File.Delete(Path.Combine(noManifest, BackupManifest.FileName));
        Assert.Equal(ErrorCodes.ManifestInvalid, (await RefusedBeforeWritingAsync(noManifest)).Code);

        var malformed = CopySet(_full);
        File.WriteAllText(Path.Combine(malformed, BackupManifest.FileName), "{ \"manifestVersion\": 1, \"files\": [");
        Assert.Equal(ErrorCodes.ManifestInvalid, (await RefusedBeforeWritingAsync(malformed)).Code);

        var badHash = CopySet(_full);
        EditManifest(badHash, m => FileEntry(m, "edb.chk")["sha256"] = "not-a-hash");
        Assert.Equal(ErrorCodes.ManifestInvalid, (await RefusedBeforeWritingAsync(badHash)).Code);
    }

    [Fact]
    public async Task A_non_empty_destination_is_refused_unless_overwriting_is_asked_for()
    {
        var destination = _temp.Combine("occupied");
        Directory.CreateDirectory(destination);
        var mine = Path.Combine(destination, "keep.txt");
        await File.WriteAllTextAsync(mine, "mine");

        var refused = await _h.Plugin.RestoreAsync(new RestoreRequest([_full, _incremental], destination));

        Assert.Equal(ErrorCodes.DestinationNotEmpty, refused.Error?.Code);
        Assert.Equal([mine], Directory.EnumerateFileSystemEntries(destination, "*", SearchOption.AllDirectories));

        var forced = await _h.Plugin.RestoreAsync(new RestoreRequest([_full, _incremental], destination) { Overwrite = true });
        Assert.True(forced.Succeeded, forced.Error?.ToString());
        Assert.Equal("mine", await File.ReadAllTextAsync(mine));
        Assert.Equal(forced.Files.Count + 1, Directory.EnumerateFiles(destination).Count());
    }
}
