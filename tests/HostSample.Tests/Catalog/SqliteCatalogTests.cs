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

    public void Dispose()
    {
        _catalog.Dispose();
        _temp.Dispose();
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
