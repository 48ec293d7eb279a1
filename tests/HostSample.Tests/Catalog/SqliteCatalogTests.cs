using EseBackupPlugin.Abstractions;
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

    private void Update(string setId, string assignment)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _catalog.DatabasePath, Pooling = false }.ToString());
        connection.Open();
        using var update = connection.CreateCommand();
        update.CommandText = $"UPDATE sets SET {assignment} WHERE set_id = $id";
        update.Parameters.AddWithValue("$id", setId);
        Assert.Equal(1, update.ExecuteNonQuery());
    }
}
