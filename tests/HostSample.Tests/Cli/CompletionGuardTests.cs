using System.Text.Json;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// <c>complete --succeeded</c> lets the plugin truncate logs, so the host must only offer it for a set its repository
/// holds; and a broken configuration file is a usage error naming the file, not a crash.
/// </summary>
public class CompletionGuardTests
{
    [Fact]
    public async Task A_set_that_was_staged_but_never_stored_cannot_complete_as_succeeded_and_keeps_every_log()
    {
        using var temp = new TempDir();
        var source = temp.Combine("source");
        await SamplePlugin.CreateAsync(source, databaseBytes: 2L << 20, generations: 4, seed: 60);
        var repo = temp.Combine("repo");
        string[] common = ["--repository", repo, "--config", CliKit.WriteConfig(temp)];
        var staged = await CliKit.RunAsync(["backup", source, "--no-complete", "--json", .. common]);
        Assert.True(staged.ExitCode == ExitCodes.Ok, staged.ToString());
        var setId = JsonSerializer.Deserialize(staged.Out, HostJsonContext.Default.BackupOutput)!.SetId;

        // What a run that died between staging and storing leaves behind: a Staged row with no stored path.
        var catalog = Path.Combine(repo, "catalog.db");
        await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = catalog, Pooling = false }.ToString()))
        {
            await connection.OpenAsync();
            await using var update = connection.CreateCommand();
            update.CommandText = "UPDATE sets SET state = 'Staged', set_path = NULL WHERE set_id = $id";
            update.Parameters.AddWithValue("$id", setId);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        // Advance the source so that a completion would have logs to truncate.
        await SamplePlugin.AdvanceAsync(source, 3);
        var before = CliKit.HashTree(source);

        var refused = await CliKit.RunAsync(["complete", setId, "--succeeded", .. common]);
        Assert.True(refused.ExitCode == ExitCodes.NotFound, refused.ToString());
        Assert.Contains("not stored", refused.Error, StringComparison.Ordinal);
        Assert.Contains(setId, refused.Error, StringComparison.Ordinal);
        Assert.Equal(before, CliKit.HashTree(source));

        // Completing it as failed is allowed, truncates nothing, and ends the row as Failed.
        var failed = await CliKit.RunAsync(["complete", setId, "--failed", "--json", .. common]);
        Assert.True(failed.ExitCode == ExitCodes.Ok, failed.ToString());
        Assert.Equal(before, CliKit.HashTree(source));
        var show = await CliKit.RunAsync(["catalog", "show", setId, "--json", .. common]);
        Assert.True(show.ExitCode == ExitCodes.Ok, show.ToString());
        Assert.Equal("failed", JsonSerializer.Deserialize(show.Out, HostJsonContext.Default.CatalogRowOutput)!.State);
    }

    [Fact]
    public async Task A_malformed_configuration_file_is_a_usage_error_that_names_the_file()
    {
        using var temp = new TempDir();
        var config = temp.Combine("broken-settings.json");
        await File.WriteAllTextAsync(config, "{ \"EsePlugin\": { \"Engine\": ");

        var run = await CliKit.RunAsync("plugins", "--config", config);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains("broken-settings.json", run.Error, StringComparison.Ordinal);
    }
}
