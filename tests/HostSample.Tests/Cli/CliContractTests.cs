using System.Diagnostics;
using System.Text.Json.Nodes;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Hosting;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// The command-line contract scripts rely on: one exit code per situation, exactly one JSON document on standard output for
/// every <c>--json</c> command (errors included), one enum casing, the set id alone with <c>--print-set-id</c>, no
/// working-directory defaults, relocatable catalogs, prune, hook pre/post and locks keyed by identity and location.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "xUnit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class CliContractTests : IAsyncLifetime
{
    private readonly TempDir _temp = new();
    private string _config = string.Empty;
    private string _source = string.Empty;

    private string Repo => _temp.Combine("repo");

    public async Task InitializeAsync()
    {
        _config = CliKit.WriteConfig(_temp);
        _source = _temp.Combine("ese");
        await SamplePlugin.CreateAsync(_source, databaseBytes: 1L << 20, generations: 4);
    }

    public Task DisposeAsync()
    {
        _temp.Dispose();
        return Task.CompletedTask;
    }

    private Task<CliRun> Run(params string[] args) => CliKit.RunAsync([.. args, "--repository", Repo, "--config", _config]);

    /// <summary>Runs with --json and checks the rule: exactly one JSON document on standard output, and the exit code.</summary>
    private async Task<JsonNode> JsonRun(int expectedExit, params string[] args)
    {
        var run = await Run([.. args, "--json"]);
        Assert.True(run.ExitCode == expectedExit, $"esebackup {string.Join(' ', args)}: expected exit {expectedExit}\n{run}");
        var document = OneDocument(run);
        if (expectedExit != ExitCodes.Ok && document is JsonObject o && o.ContainsKey("ok"))
        {
            Assert.False(o["ok"]!.GetValue<bool>());
            Assert.Equal(expectedExit, o["exitCode"]!.GetValue<int>());
            Assert.False(string.IsNullOrEmpty(o["error"]!["message"]!.GetValue<string>()));
        }

        AssertCamelCaseEnums(document);
        return document;
    }

    private static JsonNode OneDocument(CliRun run)
    {
        var reader = new System.Text.Json.Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(run.Out), new System.Text.Json.JsonReaderOptions { AllowMultipleValues = true });
        var count = 0;
        while (reader.Read())
        {
            if (reader.CurrentDepth == 0 && reader.TokenType is System.Text.Json.JsonTokenType.EndObject or System.Text.Json.JsonTokenType.EndArray)
            {
                count++;
            }
        }

        Assert.True(count == 1, $"expected exactly one JSON document on standard output, found {count}\n{run}");
        return run.Json;
    }

    /// <summary>
    /// One casing: every value of an enum-valued field is camelCase (as the contract's enums are). A database's
    /// <c>state</c> is ESE's own name for it (<c>DirtyShutdown</c>, searchable as JET_dbstateDirtyShutdown): data, not our enum.
    /// </summary>
    private static void AssertCamelCaseEnums(JsonNode? node)
    {
        string[] enumFields = ["kind", "state", "status", "performedBy", "role", "category", "phase", "mode", "severity"];
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o)
                {
                    if (enumFields.Contains(key) && !(key == "state" && o.ContainsKey("pageSize")) && value is JsonValue v && v.TryGetValue<string>(out var text) && text.Length > 0)
                    {
                        Assert.True(char.IsLower(text[0]) && !text.Contains('_', StringComparison.Ordinal), $"\"{key}\": \"{text}\" is not camelCase");
                    }

                    AssertCamelCaseEnums(value);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    AssertCamelCaseEnums(item);
                }

                break;
        }
    }

    [Fact]
    public async Task Every_command_prints_one_json_document_with_its_exit_code_errors_included()
    {
        await JsonRun(ExitCodes.PluginLoad, "plugins", "--plugin", _temp.Combine("missing", "plugin.json"));
        await JsonRun(ExitCodes.Ok, "plugins");
        await JsonRun(ExitCodes.NotFound, "inspect", _temp.Combine("no-such-file"));
        await JsonRun(ExitCodes.Ok, "inspect", Path.Combine(_source, "database1.edb"));
        await JsonRun(ExitCodes.Failed, "verify", _temp.Combine("no-such-file"));
        await JsonRun(ExitCodes.Ok, "discover", "--path", _source);
        await JsonRun(ExitCodes.NotFound, "backup", _temp.Combine("no-such-set"));
        await JsonRun(ExitCodes.NeedsFull, "backup", _source, "--kind", "incremental");
        await JsonRun(ExitCodes.Usage, "backup", _source, "--kind", "sometimes");
        await JsonRun(ExitCodes.Usage, "backup", _source, "--out", "-");
        await JsonRun(ExitCodes.Usage, "backup");
        await JsonRun(ExitCodes.NotFound, "complete", "no-such-set", "--succeeded");
        await JsonRun(ExitCodes.Usage, "complete", "no-such-set");
        await JsonRun(ExitCodes.NotFound, "verify-set", "no-such-set");
        await JsonRun(ExitCodes.NotFound, "restore", "no-such-set", "--to", _temp.Combine("r"));
        await JsonRun(ExitCodes.NotFound, "restore", "--from", _temp.Combine("nothing-here"), "--to", _temp.Combine("r"));
        await JsonRun(ExitCodes.Usage, "restore", "--to", _temp.Combine("r"));
        await JsonRun(ExitCodes.NotFound, "catalog", "show", "no-such-set");
        await JsonRun(ExitCodes.Ok, "catalog", "list");
        await JsonRun(ExitCodes.NotFound, "catalog", "import", _temp.Combine("locks-or-nothing"));
        await JsonRun(ExitCodes.NotFound, "hook", "post", _source, "--status", "ok");
        await JsonRun(ExitCodes.Usage, "hook", "pre", _source, "--level", "sometimes");
        await JsonRun(ExitCodes.Ok, "prune");

        // A full, then: the same verdict twice succeeds with the recorded report; the other verdict is 9.
        var full = await JsonRun(ExitCodes.Ok, "backup", _source, "--no-complete");
        var setId = full["setId"]!.GetValue<string>();
        Assert.Equal("stored", full["state"]!.GetValue<string>());
        var first = await JsonRun(ExitCodes.Ok, "complete", setId, "--succeeded");
        var second = await JsonRun(ExitCodes.Ok, "complete", setId, "--succeeded");
        Assert.Equal(first["truncation"]!.ToJsonString(), second["truncation"]!.ToJsonString());
        await JsonRun(ExitCodes.AlreadyCompleted, "complete", setId, "--failed");
        await JsonRun(ExitCodes.Ok, "verify-set", setId);
        await JsonRun(ExitCodes.Ok, "restore", setId, "--to", _temp.Combine("restored"));
        var shown = await JsonRun(ExitCodes.Ok, "catalog", "show", setId);
        Assert.Equal("full", shown["kind"]!.GetValue<string>());
        Assert.Equal("completed", shown["state"]!.GetValue<string>());

        // A damaged stored set: verify-set exits 3 and still prints its one document.
        var stored = Path.Combine(Repo, "sets", setId, "database1.edb");
        await using (var f = new FileStream(stored, FileMode.Open, FileAccess.ReadWrite))
        {
            f.Position = 8192 * 20;
            f.WriteByte(0x5A);
        }

        await JsonRun(ExitCodes.Corruption, "verify-set", setId);
    }

    [Fact]
    public async Task Print_set_id_prints_the_set_id_alone()
    {
        var run = await Run("backup", _source, "--kind", "copy", "--out", _temp.Combine("staged"), "--print-set-id");
        Assert.Equal(ExitCodes.Ok, run.ExitCode);
        var id = run.Out.Trim();
        Assert.Matches("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$", id);
        Assert.True(File.Exists(Path.Combine(_temp.Combine("staged"), id, "manifest.json")));
        var quiet = await Run("backup", _source, "--kind", "copy", "-q");
        Assert.Matches("^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$", quiet.Out.Trim());
    }

    [Fact]
    public async Task Kind_auto_makes_a_full_first_then_incrementals_and_needs_a_full_is_exit_6()
    {
        Assert.Equal(ExitCodes.NeedsFull, (await Run("backup", _source, "--kind", "incremental")).ExitCode);
        var first = await JsonRun(ExitCodes.Ok, "backup", _source, "--kind", "auto");
        Assert.Equal("full", first["manifest"]!["kind"]!.GetValue<string>());
        await SamplePlugin.AdvanceAsync(_source, 2);
        var second = await JsonRun(ExitCodes.Ok, "backup", _source, "--kind", "auto");
        Assert.Equal("incremental", second["manifest"]!["kind"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("ok", null, true)]
    [InlineData("0", null, true)]
    [InlineData("T", "0", true)]
    [InlineData("OK", "0", true)]
    [InlineData("T", "1", false)] // Bacula 9.6: a failed bpipe reader ends as "OK -- with warnings", JobStatus T, JobErrors 1
    [InlineData("OK -- with warnings", "0", false)]
    [InlineData("OK", "", false)]
    [InlineData("1", null, false)] // NetBackup "partially successful"
    [InlineData("Warning", null, false)]
    [InlineData("", null, false)]
    [InlineData("failed", null, false)]
    public void Hook_post_succeeds_only_on_a_success_status_with_no_job_errors(string status, string? jobErrors, bool succeeded) =>
        Assert.Equal(succeeded, HookCommands.Verdict(status, jobErrors).Succeeded);

    [Fact]
    public async Task Hook_pre_remembers_the_pending_set_and_post_completes_it_with_the_jobs_verdict()
    {
        var staging = _temp.Combine("staging");
        var pre = await Run("hook", "pre", _source, "--level", "Full", "--out", staging, "--print-set-id", "--external-ref", "job-1");
        Assert.True(pre.ExitCode == ExitCodes.Ok, pre.ToString());
        var setId = pre.Out.Trim();
        Assert.True(Directory.Exists(Path.Combine(staging, setId)));

        // Bacula's trap: status T with one job error completes as failed; nothing is truncated.
        var before = CliKit.HashTree(_source);
        var post = await JsonRun(ExitCodes.Ok, "hook", "post", _source, "--status", "T", "--job-errors", "1");
        Assert.False(post["succeeded"]!.GetValue<bool>());
        Assert.Equal(before, CliKit.HashTree(_source));
        var row = await JsonRun(ExitCodes.Ok, "catalog", "show", setId);
        Assert.Equal("failed", row["state"]!.GetValue<string>());
        Assert.Equal("job-1", row["externalRef"]!.GetValue<string>());
        await JsonRun(ExitCodes.NotFound, "hook", "post", _source, "--status", "ok");

        // A NetBackup level word, then success: completed, with a truncation report.
        var pre2 = await Run("hook", "pre", _source, "--level", "FULL", "--kind", "auto", "--out", staging, "--print-set-id");
        Assert.Equal(ExitCodes.Ok, pre2.ExitCode);
        var ok = await JsonRun(ExitCodes.Ok, "hook", "post", _source, "--status", "0", "--external-ref", "nbu:42");
        Assert.True(ok["succeeded"]!.GetValue<bool>());
        Assert.NotNull(ok["truncation"]);
        Assert.Equal("completed", (await JsonRun(ExitCodes.Ok, "catalog", "show", pre2.Out.Trim()))["state"]!.GetValue<string>());

        // A pre whose post never ran is abandoned by the next pre (AbandonBackupAsync, not completed as failed): nothing
        // truncated, the target released for the new set; the host's row says failed, as for any set stored and never completed.
        var pre3 = await Run("hook", "pre", _source, "--level", "INCR", "--out", staging, "--print-set-id");
        var beforeAbandon = CliKit.HashTree(_source);
        var pre4 = await Run("hook", "pre", _source, "--level", "INCR", "--out", staging, "--print-set-id");
        Assert.Equal(ExitCodes.Ok, pre4.ExitCode);
        Assert.Contains("never got its 'hook post'; it was abandoned", pre4.Error, StringComparison.Ordinal);
        var forgotten = await JsonRun(ExitCodes.Ok, "catalog", "show", pre3.Out.Trim());
        Assert.Equal("failed", forgotten["state"]!.GetValue<string>());
        Assert.Equal("skipped", forgotten["truncation"]!["status"]!.GetValue<string>());
        Assert.Contains("abandoned the set", forgotten["truncation"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(forgotten["truncation"]!["removed"]!.AsArray());
        Assert.Equal(beforeAbandon.Where(f => f.Key.EndsWith(".log", StringComparison.Ordinal)), CliKit.HashTree(_source).Where(f => f.Key.EndsWith(".log", StringComparison.Ordinal)));
        var post4 = await JsonRun(ExitCodes.Ok, "hook", "post", _source, "--status", "0");
        Assert.True(post4["succeeded"]!.GetValue<bool>());
        Assert.Equal("completed", (await JsonRun(ExitCodes.Ok, "catalog", "show", pre4.Out.Trim()))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Prune_removes_failed_and_old_never_completed_sets_and_abandons_them_first()
    {
        var stored = (await JsonRun(ExitCodes.Ok, "backup", _source, "--no-complete"))["setId"]!.GetValue<string>();
        var exported = (await JsonRun(ExitCodes.Ok, "backup", _source, "--out", _temp.Combine("out")))["setId"]!.GetValue<string>();
        await JsonRun(ExitCodes.NeedsFull, "backup", _source, "--kind", "incremental"); // a failed row
        var before = CliKit.HashTree(_source);

        var young = await JsonRun(ExitCodes.Ok, "prune");
        Assert.Single(young["sets"]!.AsArray()); // only the failed one: the pending sets are within the grace period

        var dry = await JsonRun(ExitCodes.Ok, "prune", "--pending-older-than", "0", "--dry-run");
        Assert.Equal(2, dry["sets"]!.AsArray().Count);
        Assert.True(Directory.Exists(Path.Combine(Repo, "sets", stored)));

        var all = await JsonRun(ExitCodes.Ok, "prune", "--pending-older-than", "0");
        Assert.Equal(2, all["sets"]!.AsArray().Count);
        Assert.All(all["sets"]!.AsArray(), s =>
        {
            // Abandoned through the contract (AbandonBackupAsync), not completed as failed: the plugin says so in its report.
            Assert.Equal("skipped", s!["truncation"]!["status"]!.GetValue<string>());
            Assert.Contains("abandoned the set", s["truncation"]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Empty(s["truncation"]!["removed"]!.AsArray());
        });
        Assert.False(Directory.Exists(Path.Combine(Repo, "sets", stored))); // inside the repository: removed
        Assert.True(Directory.Exists(Path.Combine(_temp.Combine("out"), exported))); // the pipeline's directory: kept
        Assert.Empty((await JsonRun(ExitCodes.Ok, "catalog", "list")).AsArray());
        Assert.Equal(before, CliKit.HashTree(_source)); // abandoned: nothing truncated

        // The target was released: a new full runs at once.
        Assert.Equal("completed", (await JsonRun(ExitCodes.Ok, "backup", _source))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task Prune_keeps_a_set_the_plugin_completed_with_success_when_the_catalog_missed_the_verdict()
    {
        // The plugin completed (and truncated), but its report never reached the catalog (the catalog failed as the plugin
        // recorded it): the set still lists as "stored". Its files may hold the only copy of the truncated logs, so prune
        // must keep them. The plugin's record is where the report would have been; the host's row never holds it.
        var setId = (await JsonRun(ExitCodes.Ok, "backup", _source, "--no-complete"))["setId"]!.GetValue<string>();
        await JsonRun(ExitCodes.Ok, "complete", setId, "--succeeded");
        using (var c = new SqliteConnection($"Data Source={Path.Combine(Repo, "catalog.db")};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE plugin_records SET verdict_state = NULL, completed_at = NULL, truncation_json = NULL WHERE set_id = $id";
            cmd.Parameters.AddWithValue("$id", setId);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        var prune = await JsonRun(ExitCodes.Ok, "prune", "--pending-older-than", "0");
        Assert.Empty(prune["sets"]!.AsArray());
        var kept = Assert.Single(prune["kept"]!.AsArray());
        Assert.Equal(setId, kept!["setId"]!.GetValue<string>());
        Assert.Equal("AlreadyCompleted", kept["reason"]!["code"]!["name"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(Repo, "sets", setId, "manifest.json")));
        Assert.Single((await JsonRun(ExitCodes.Ok, "catalog", "list")).AsArray());
    }

    [Fact]
    public async Task Hook_pre_leaves_a_forgotten_set_the_plugin_completed_with_success_and_names_it()
    {
        // The forgotten pending set was completed with success by hand (its logs may be truncated), and the catalog missed
        // the verdict: the next pre must not mark it failed on the strength of a refused abandon, only name it.
        var first = (await Run("hook", "pre", _source, "--level", "Full", "--print-set-id")).Out.Trim();
        await JsonRun(ExitCodes.Ok, "complete", first, "--succeeded");
        using (var c = new SqliteConnection($"Data Source={Path.Combine(Repo, "catalog.db")};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE plugin_records SET verdict_state = NULL, completed_at = NULL, truncation_json = NULL WHERE set_id = $id";
            cmd.Parameters.AddWithValue("$id", first);
            Assert.Equal(1, cmd.ExecuteNonQuery());
        }

        var second = await Run("hook", "pre", _source, "--level", "Full", "--print-set-id");

        Assert.True(second.ExitCode == ExitCodes.Ok, second.ToString());
        Assert.Contains($"set {first} of this target never got its 'hook post', and the plugin would not abandon it: AlreadyCompleted", second.Error, StringComparison.Ordinal);
        Assert.Equal("stored", (await JsonRun(ExitCodes.Ok, "catalog", "show", first))["state"]!.GetValue<string>());
        Assert.True(File.Exists(Path.Combine(Repo, "sets", first, "manifest.json")));
    }

    [Fact]
    public async Task A_moved_repository_still_restores_and_import_records_sets_found_on_disk()
    {
        var full = (await JsonRun(ExitCodes.Ok, "backup", _source))["setId"]!.GetValue<string>();
        var moved = _temp.Combine("moved-repo");
        Directory.Move(Repo, moved);
        var restore = await CliKit.RunAsync("restore", full, "--to", _temp.Combine("r1"), "--repository", moved, "--config", _config);
        Assert.True(restore.ExitCode == ExitCodes.Ok, restore.ToString());

        // Sets without a catalog: import them into a fresh repository, then restore by id.
        var fresh = _temp.Combine("fresh-repo");
        var import = await CliKit.RunAsync("catalog", "import", Path.Combine(moved, "sets"), "--repository", fresh, "--config", _config, "--json");
        Assert.Equal([full], import.Json["imported"]!.AsArray().Select(n => n!.GetValue<string>()));
        var again = await CliKit.RunAsync("catalog", "import", Path.Combine(moved, "sets"), "--repository", fresh, "--config", _config, "--json");
        Assert.Equal([full], again.Json["alreadyKnown"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(ExitCodes.Ok, (await CliKit.RunAsync("restore", full, "--to", _temp.Combine("r2"), "--repository", fresh, "--config", _config)).ExitCode);
    }

    [Fact]
    public void A_version_1_catalog_with_absolute_paths_is_migrated_to_repository_relative_paths()
    {
        var repo = _temp.Combine("old-repo");
        Directory.CreateDirectory(repo);
        var db = Path.Combine(repo, "catalog.db");
        using (var c = new SqliteConnection($"Data Source={db};Pooling=false"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE sets (set_id TEXT PRIMARY KEY, target_id TEXT NOT NULL, target_name TEXT, kind TEXT NOT NULL, state TEXT NOT NULL,
                    chain_id TEXT, previous_set_id TEXT, sequence INTEGER, started_at TEXT NOT NULL, staged_at TEXT, stored_at TEXT,
                    completed_at TEXT, set_path TEXT, manifest_json TEXT, truncation_json TEXT, error TEXT, owner_pid INTEGER, owner_started TEXT);
                CREATE TABLE snapshot_sets (snapshot_set_id TEXT PRIMARY KEY, target_id TEXT NOT NULL, owner_pid INTEGER NOT NULL,
                    owner_started TEXT NOT NULL, created_at TEXT NOT NULL, released_at TEXT);
                INSERT INTO sets (set_id, target_id, kind, state, started_at, set_path) VALUES
                    ('moved', 't', 'Full', 'Completed', '2026-01-01T00:00:00Z', '/somewhere/it/used/to/be/sets/moved'),
                    ('outside', 't', 'Full', 'Exported', '2026-01-01T00:00:00Z', '/var/backups/staging/outside');
                PRAGMA user_version = 1;
                """;
            cmd.ExecuteNonQuery();
        }

        using var catalog = new SqliteCatalog(db);
        Assert.Equal(Path.Combine(repo, "sets", "moved"), catalog.Find("moved")!.SetPath);
        Assert.Equal("/var/backups/staging/outside", catalog.Find("outside")!.SetPath);
        using var check = new SqliteConnection($"Data Source={db};Pooling=false");
        check.Open();
        using var q = check.CreateCommand();
        q.CommandText = "SELECT set_path FROM sets WHERE set_id = 'moved'";
        Assert.Equal("sets/moved", q.ExecuteScalar());
    }

    [Fact]
    public void Default_locations_never_depend_on_the_working_directory()
    {
        string? Env(string name) => name switch
        {
            "HOME" => "/home/ops",
            "ProgramData" => @"D:\ProgramData",
            _ => null,
        };
        Assert.Equal("/var/lib/esebackup", DefaultLocations.RootFor(windows: false, privileged: true, Env));
        Assert.Equal("/home/ops/.local/state/esebackup", DefaultLocations.RootFor(windows: false, privileged: false, Env));
        Assert.Equal("/xdg/state/esebackup", DefaultLocations.RootFor(false, false, n => n == "XDG_STATE_HOME" ? "/xdg/state" : Env(n)));
        Assert.Equal("/home/ops/.local/state/esebackup", DefaultLocations.RootFor(false, false, n => n == "XDG_STATE_HOME" ? "relative/state" : Env(n)));
        Assert.Equal(Path.Combine(@"D:\ProgramData", "esebackup"), DefaultLocations.RootFor(windows: true, privileged: false, Env));
        Assert.Equal("/etc/esebackup/esebackup.json", DefaultLocations.ConfigFileFor(false, true, Env));
        Assert.Equal("/home/ops/.config/esebackup/esebackup.json", DefaultLocations.ConfigFileFor(false, false, Env));
        Assert.Throws<InvalidOperationException>(() => DefaultLocations.RootFor(false, false, _ => null));
        Assert.True(Path.IsPathFullyQualified(DefaultLocations.Root));
    }

    [Fact]
    public async Task Configuration_comes_from_config_or_the_system_file_never_the_working_directory()
    {
        // An appsettings.json in the working directory that would break plugin loading is not read.
        var cwd = _temp.Combine("cwd");
        Directory.CreateDirectory(cwd);
        File.WriteAllText(Path.Combine(cwd, "appsettings.json"), """{"Host": {"PluginManifest": "/no/such/plugin.json"}}""");
        var env = CliKit.ChildEnvironment(_temp);
        env["ESEBACKUP_Host__Repository"] = Repo;
        using (var child = HostProcess.Start(cwd, env, "plugins", "--json"))
        {
            var run = await child.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        }

        // The system file is read when no --config is given, and --config replaces it.
        var system = _temp.Combine("system.json");
        File.WriteAllText(system, """{"Host": {"Repository": "/from/the/system/file"}}""");
        Assert.Equal("/from/the/system/file", HostConfiguration.ReadHostSettings(HostConfiguration.Build(null, system)).Repository);
        Assert.NotEqual("/from/the/system/file", HostConfiguration.ReadHostSettings(HostConfiguration.Build(_config, system)).Repository);

        // A relative repository in configuration is refused (relative to what, for a job script?).
        var relative = _temp.Combine("relative.json");
        File.WriteAllText(relative, """{"Host": {"Repository": "backups"}}""");
        var refused = await CliKit.RunAsync("catalog", "list", "--config", relative, "--json");
        Assert.Equal(ExitCodes.Usage, refused.ExitCode);
        Assert.Contains("absolute", refused.Json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_lock_is_keyed_by_identity_and_location_a_copy_elsewhere_is_not_busy()
    {
        // A copy of the same file set elsewhere: the same ESE identity (log signature), another location.
        var copy = _temp.Combine("copy-of-ese");
        Directory.CreateDirectory(copy);
        foreach (var f in Directory.EnumerateFiles(_source))
        {
            File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        }

        // A child streams a backup of the original into a pipe nobody reads: it blocks holding the target's lock.
        var env = CliKit.ChildEnvironment(_temp);
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { CliKit.HostDll, "backup", _source, "--kind", "copy", "--out", "-", "--repository", _temp.Combine("child-repo") })
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            info.Environment[k] = v;
        }

        using var child = Process.Start(info)!;
        try
        {
            // Its first bytes mean it holds the lock; then nobody reads, and it blocks on the full pipe.
            var first = new byte[1];
            using var wait = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            Assert.Equal(1, await child.StandardOutput.BaseStream.ReadAsync(first, wait.Token));
            var probe = await Run("backup", _source, "--kind", "copy", "--out", _temp.Combine("probe"), "--json");
            var childSays = child.HasExited ? $"child exited {child.ExitCode}: {await child.StandardError.ReadToEndAsync()}" : "child running";
            Assert.True(probe.ExitCode == ExitCodes.Busy, $"the original must be busy while the child holds it ({childSays})\n{probe}");
            Assert.Equal("BackupInProgress", probe.Json["error"]!["code"]!["name"]!.GetValue<string>());

            var other = await Run("backup", copy, "--kind", "copy", "--out", _temp.Combine("copy-out"), "--json");
            Assert.True(other.ExitCode == ExitCodes.Ok, "an unrelated copy elsewhere must not be busy\n" + other);
        }
        finally
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync();
        }
    }
}
