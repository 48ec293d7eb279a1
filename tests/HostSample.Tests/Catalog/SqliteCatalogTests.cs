using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.HostSample.Catalog;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Tests.Catalog;

/// <summary>The host catalog's own bookkeeping, without the CLI.</summary>
public sealed class SqliteCatalogTests : IDisposable
{
    private readonly TempDir _temp = new();
    private readonly SqliteCatalog _catalog;

    public SqliteCatalogTests() => _catalog = new SqliteCatalog(_temp.Combine("catalog.db"));

    [Fact]
    public void Recovery_abandons_runs_whose_owner_is_gone_or_was_recycled_and_keeps_those_of_live_owners()
    {
        foreach (var id in new[] { "live", "unknown-start", "recycled", "no-owner", "gone" })
        {
            _catalog.BeginRun(id, "target", BackupKind.Full);
        }

        Update("unknown-start", "owner_started = NULL");
        Update("recycled", "owner_started = '2001-01-01T00:00:00.0000000+00:00'"); // this pid, another process's start
        Update("no-owner", "owner_pid = NULL");
        Update("gone", $"owner_pid = {int.MaxValue}"); // no such process

        var abandoned = _catalog.RecoverAbandonedRuns();

        Assert.Equal(["gone", "no-owner", "recycled"], abandoned.Select(r => r.SetId).Order(StringComparer.Ordinal));
        Assert.All(abandoned, r => Assert.Equal(HostSetState.Abandoned, r.State));
        Assert.All(abandoned, r => Assert.Equal(HostSetState.Abandoned, _catalog.Find(r.SetId)!.State));
        Assert.Equal(HostSetState.Running, _catalog.Find("live")!.State);
        Assert.Equal(HostSetState.Running, _catalog.Find("unknown-start")!.State);
        Assert.Empty(_catalog.RecoverAbandonedRuns());
    }

    [Fact]
    public void Target_locations_come_from_the_manifests_of_the_targets_with_the_id_prefix_newest_first()
    {
        Insert("s1", "abc-1", "2020-01-01T00:00:00Z", """{"target":{"location":"/a"}}""");
        Insert("s2", "ABC-2", "2020-01-02T00:00:00Z", """{"target":{"location":"/b"}}""");
        Insert("s3", "xyz-1", "2020-01-03T00:00:00Z", """{"target":{"location":"/c"}}""");
        Insert("s4", "abc-3", "2020-01-04T00:00:00Z", null);
        Insert("s5", "abc-4", "2020-01-05T00:00:00Z", "not json");
        Insert("s6", "abc-5", "2020-01-06T00:00:00Z", """{"target":{"id":"abc-5"}}""");
        Insert("s7", "ÄBC-6", "2020-01-07T00:00:00Z", """{"target":{"location":"/d"}}""");
        Insert("s8", "abc-7", "2020-01-08T00:00:00Z", """{"target":{"location":"/a"}}""");

        Assert.Equal(["/a", "/b", "/a"], _catalog.TargetLocations("abc"));
        Assert.Equal(["/d"], _catalog.TargetLocations("äb"));
        Assert.Equal(["/a", "/d", "/c", "/b", "/a"], _catalog.TargetLocations(string.Empty));
        Assert.Empty(_catalog.TargetLocations("a%"));
    }

    [Fact]
    public async Task The_plugins_port_never_writes_the_hosts_row_and_the_host_never_writes_the_plugins_record()
    {
        // One writer per record: each side's write is followed by a byte-for-byte check of the other side's record.
        _catalog.BeginRun("s1", "target", BackupKind.Full);
        var hostRow = Raw("sets", "s1");
        await _catalog.RecordBackupAsync(Manifest("s1", "target"));
        Assert.Equal(hostRow, Raw("sets", "s1"));
        Assert.Equal(HostSetState.Staged, _catalog.Find("s1")!.State);

        var pluginRecord = Raw("plugin_records", "s1");
        _catalog.MarkStored("s1", _temp.Combine("sets", "s1"));
        Assert.Equal(pluginRecord, Raw("plugin_records", "s1"));
        Assert.Equal(HostSetState.Stored, _catalog.Find("s1")!.State);

        hostRow = Raw("sets", "s1");
        await _catalog.RecordTruncationAsync(Report("s1", "target", hostSucceeded: true, TruncationStatus.Truncated));
        Assert.Equal(hostRow, Raw("sets", "s1"));
        var completed = _catalog.Find("s1")!;
        Assert.Equal(HostSetState.Completed, completed.State);
        Assert.Equal(TruncationStatus.Truncated, completed.Truncation!.Status);
        Assert.Equal(At, completed.CompletedAt);
        Assert.Equal(["s1"], (await _catalog.GetChainAsync("target")).Select(e => e.Manifest.SetId));
        Assert.Equal(CatalogSetState.Completed, (await _catalog.GetSetAsync("s1"))!.State);

        // A failure the host records late changes its own row only: the plugin already truncated on the success verdict,
        // and that stands.
        pluginRecord = Raw("plugin_records", "s1");
        _catalog.MarkFailed("s1", "late");
        Assert.Equal(pluginRecord, Raw("plugin_records", "s1"));
        Assert.Equal(HostSetState.Completed, _catalog.Find("s1")!.State);
    }

    [Fact]
    public async Task A_verdict_the_plugin_records_on_its_own_settles_the_hosts_listing_without_a_host_write()
    {
        // A lease that ended during another run: the plugin completes the set as failed through its port while the host's
        // row still says stored. The listing, the chain and recovery follow the plugin's record.
        _catalog.BeginRun("leased", "target", BackupKind.Full);
        await _catalog.RecordBackupAsync(Manifest("leased", "target"));
        _catalog.MarkStored("leased", _temp.Combine("sets", "leased"));
        var hostRow = Raw("sets", "leased");

        await _catalog.RecordTruncationAsync(Report("leased", "target", hostSucceeded: false, TruncationStatus.NotAllowed));

        Assert.Equal(hostRow, Raw("sets", "leased"));
        Assert.Equal(HostSetState.Failed, _catalog.Find("leased")!.State);
        Assert.Empty(await _catalog.GetChainAsync("target"));
        Assert.Equal(CatalogSetState.Failed, (await _catalog.GetSetAsync("leased"))!.State);
    }

    [Fact]
    public async Task Recovery_settles_the_hosts_own_row_even_when_the_plugin_already_recorded_a_verdict()
    {
        // A full disk: the host stored the set but could not record it, told the plugin the backup failed (the plugin's
        // record took that), and could not record the failure either. The next run must still say where the set is.
        _catalog.BeginRun("kept", "target", BackupKind.Full);
        await _catalog.RecordBackupAsync(Manifest("kept", "target"));
        await _catalog.RecordTruncationAsync(Report("kept", "target", hostSucceeded: false, TruncationStatus.NotAllowed));
        Update("kept", $"owner_pid = {int.MaxValue}");
        var stored = _temp.Combine("sets", "kept");

        var recovered = Assert.Single(_catalog.RecoverAbandonedRuns(row => row.SetId == "kept" ? stored : null));

        Assert.Equal(HostSetState.Failed, recovered.State);
        var row = _catalog.Find("kept")!;
        Assert.Equal(HostSetState.Failed, row.State);
        Assert.Equal(stored, row.SetPath);
    }

    [Theory]
    [InlineData("Running", null, false, "Running")]
    [InlineData("Running", null, true, "Staged")]
    [InlineData("Stored", null, true, "Stored")]
    [InlineData("Stored", "Completed", true, "Completed")]
    [InlineData("Failed", "Completed", true, "Completed")]
    [InlineData("Exported", "Failed", true, "Failed")]
    [InlineData("Exported", "Staged", true, "Exported")]
    [InlineData("Running", "Staged", true, "Stored")]
    [InlineData("Completed", null, false, "Completed")]
    public void The_listed_state_is_the_hosts_settled_by_the_plugins_verdict(string host, string? verdict, bool pluginStaged, string listed)
        => Assert.Equal(Enum.Parse<HostSetState>(listed), SqliteCatalog.Settled(Enum.Parse<HostSetState>(host), verdict, pluginStaged));

    public void Dispose()
    {
        _catalog.Dispose();
        _temp.Dispose();
    }

    private void Insert(string setId, string targetId, string startedAt, string? manifestJson)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _catalog.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var insert = connection.CreateCommand();
        insert.CommandText = "INSERT INTO sets (set_id, target_id, kind, state, started_at, manifest_json) VALUES ($id, $t, 'Full', 'Completed', $at, $m)";
        insert.Parameters.AddWithValue("$id", setId);
        insert.Parameters.AddWithValue("$t", targetId);
        insert.Parameters.AddWithValue("$at", startedAt);
        insert.Parameters.AddWithValue("$m", (object?)manifestJson ?? DBNull.Value);
        Assert.Equal(1, insert.ExecuteNonQuery());
    }

    private static readonly DateTimeOffset At = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static BackupManifest Manifest(string setId, string targetId) => new()
    {
        SetId = setId,
        Target = new TargetIdentity(targetId, TargetKind.FileSet, "a test target"),
        Kind = BackupKind.Full,
        StartedAt = At,
        FinishedAt = At,
        Chain = new ChainInfo(setId, null, 0),
        Producer = new ProducerInfo("test", "1.0", "1.0", "files", "host"),
        Files = [],
        Truncation = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin),
        Verification = new VerificationSummary(0, 0, 0, 0, 0),
    };

    private static TruncationReport Report(string setId, string targetId, bool hostSucceeded, TruncationStatus status) => new()
    {
        SetId = setId,
        TargetId = targetId,
        Kind = BackupKind.Full,
        HostSucceeded = hostSucceeded,
        Status = status,
        PerformedBy = TruncationPerformer.Plugin,
        At = At,
    };

    /// <summary>Every column of one record, as stored.</summary>
    private string Raw(string table, string setId)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _catalog.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var select = connection.CreateCommand();
        select.CommandText = $"SELECT * FROM {table} WHERE set_id = $id";
        select.Parameters.AddWithValue("$id", setId);
        using var r = select.ExecuteReader();
        Assert.True(r.Read(), $"no {table} record of {setId}");
        return string.Join('|', Enumerable.Range(0, r.FieldCount).Select(i => r.GetName(i) + "=" + (r.IsDBNull(i) ? "null" : r.GetValue(i))));
    }

    private void Update(string setId, string assignment)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _catalog.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var update = connection.CreateCommand();
        update.CommandText = $"UPDATE sets SET {assignment} WHERE set_id = $id";
        update.Parameters.AddWithValue("$id", setId);
        Assert.Equal(1, update.ExecuteNonQuery());
    }

    [Fact]
    public async Task A_version_2_catalog_keeps_its_completed_chain_and_staged_sets_after_the_move_to_version_3()
    {
        // Before version 3 the plugin's port wrote its verdict into the host's row: those rows must read as they did.
        var fixture = Path.Combine(TestSupport.RepoRoot, "tests", "Plugin.Abstractions.Tests", "Fixtures", "Manifests", "v1", "file-set-full.json");
        var manifestJson = await File.ReadAllTextAsync(fixture);
        var manifest = Abstractions.Json.ManifestJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(manifestJson), fixture);
        var db = _temp.Combine("v2", "catalog.db");
        Directory.CreateDirectory(Path.GetDirectoryName(db)!);
        using (var c = new SqliteConnection($"Data Source={db};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE sets (set_id TEXT PRIMARY KEY, target_id TEXT NOT NULL, target_name TEXT, kind TEXT NOT NULL, state TEXT NOT NULL,
                    chain_id TEXT, previous_set_id TEXT, sequence INTEGER, started_at TEXT NOT NULL, staged_at TEXT, stored_at TEXT,
                    completed_at TEXT, set_path TEXT, manifest_json TEXT, truncation_json TEXT, error TEXT, owner_pid INTEGER, owner_started TEXT,
                    external_ref TEXT);
                CREATE TABLE snapshot_sets (snapshot_set_id TEXT PRIMARY KEY, target_id TEXT NOT NULL, owner_pid INTEGER NOT NULL,
                    owner_started TEXT NOT NULL, created_at TEXT NOT NULL, released_at TEXT);
                INSERT INTO sets (set_id, target_id, kind, state, chain_id, sequence, started_at, staged_at, stored_at, completed_at, set_path, manifest_json) VALUES
                    ($full, $target, 'Full', 'Completed', $full, 0, '2026-01-01T00:00:00Z', '2026-01-01T00:01:00Z', '2026-01-01T00:02:00Z', '2026-01-01T00:03:00Z', 'sets/' || $full, $m),
                    ('staged-one', $target, 'Copy', 'Staged', NULL, NULL, '2026-01-02T00:00:00Z', '2026-01-02T00:01:00Z', NULL, NULL, NULL, NULL);
                PRAGMA user_version = 2;
                """;
            cmd.Parameters.AddWithValue("$full", manifest.SetId);
            cmd.Parameters.AddWithValue("$target", manifest.Target.Id);
            cmd.Parameters.AddWithValue("$m", manifestJson);
            cmd.ExecuteNonQuery();
        }

        using var catalog = new SqliteCatalog(db);
        Assert.Equal(HostSetState.Completed, catalog.Find(manifest.SetId)!.State);
        Assert.Equal(HostSetState.Staged, catalog.Find("staged-one")!.State);
        var chain = await catalog.GetChainAsync(manifest.Target.Id);
        Assert.Equal(manifest.SetId, Assert.Single(chain).Manifest.SetId);
        using var check = new SqliteConnection($"Data Source={db};Pooling=false");
        check.Open();
        using var q = check.CreateCommand();
        q.CommandText = "PRAGMA user_version";
        Assert.Equal(SqliteCatalog.SchemaVersion, Convert.ToInt32(q.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task A_forgotten_set_imported_again_joins_no_chain()
    {
        // Prune forgets a completed full; the same directory imported later (from an offsite copy) must not come back
        // completed by the plugin's old record: an import joins no chain.
        _catalog.BeginRun("old-full", "target", BackupKind.Full);
        await _catalog.RecordBackupAsync(Manifest("old-full", "target"));
        _catalog.MarkStored("old-full", _temp.Combine("sets", "old-full"));
        await _catalog.RecordTruncationAsync(Report("old-full", "target", hostSucceeded: true, TruncationStatus.Truncated));
        Assert.Single(await _catalog.GetChainAsync("target"));

        _catalog.Delete("old-full");
        Assert.True(_catalog.Import(Manifest("old-full", "target"), _temp.Combine("sets", "old-full")));

        Assert.Equal(HostSetState.Stored, _catalog.Find("old-full")!.State);
        Assert.Empty(await _catalog.GetChainAsync("target"));
    }
}
