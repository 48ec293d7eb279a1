using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Catalog;

/// <summary>
/// The sample host's catalog: one SQLite database (WAL journal, versioned schema), one transaction per
/// state change. It implements the plugin's catalog port and the host's own bookkeeping (runs, storage,
/// listing, crash recovery).
/// <para>
/// Each record has one writer. The row in <c>sets</c> is the host's: what the host did with the set (ran it, stored or
/// exported it, gave up on it, where it put it). The row in <c>plugin_records</c> is the plugin's: what the plugin
/// reported through its port (the staged manifest, the completion and its truncation report), written only by the port's
/// calls. Neither side advances the other's record; a read puts the two together (<see cref="CatalogRow.State"/> is the
/// host's state settled by the plugin's verdict), so a completion the host never saw return (a crash after truncation,
/// a lease that ended in another run) still shows as what the plugin did.
/// </para>
/// </summary>
internal sealed class SqliteCatalog : IBackupCatalog, ISnapshotSetCatalog, IDisposable
{
    /// <summary>Schema version stored in <c>PRAGMA user_version</c>.</summary>
    public const int SchemaVersion = 3;

    private readonly string _connectionString;
    private readonly Lock _gate = new();

    public SqliteCatalog(string databasePath)
        : this(databasePath, readOnly: false)
    {
    }

    private SqliteCatalog(string databasePath, bool readOnly, bool immutable = false)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        Root = Path.GetDirectoryName(DatabasePath)!;
        IsReadOnly = readOnly;
        if (!readOnly)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        }

        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = immutable ? new Uri(DatabasePath).AbsoluteUri + "?immutable=1" : DatabasePath,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            // A writer keeps its connection between steps (the pool holds it until Dispose): closing the last connection
            // checkpoints the WAL and fsyncs the database, which cost about twenty fsyncs per backup when every step
            // opened and closed its own. Dispose closes it, so a command that ends normally still leaves no WAL behind.
            Pooling = !readOnly,
            DefaultTimeout = 30,
        }.ToString();
        if (readOnly)
        {
            CheckVersion();
        }
        else
        {
            Migrate();
        }
    }

    /// <summary>
    /// Opens an existing catalog for reading only: nothing is created, migrated or recovered, so listing works on a full
    /// disk and a mistyped repository is an error instead of a new empty one.
    /// </summary>
    /// <exception cref="CatalogFailureException">There is no catalog at <paramref name="databasePath"/>, or it cannot be read.</exception>
    public static SqliteCatalog OpenReadOnly(string databasePath)
    {
        var full = Path.GetFullPath(databasePath);
        if (!File.Exists(full))
        {
            throw new CatalogFailureException(
                "open",
                full,
                $"There is no catalog at '{full}': '{Path.GetDirectoryName(full)}' is not an esebackup repository (check --repository or Host:Repository). Nothing was created.",
                null);
        }

        // A WAL database needs its shared-memory and WAL files even to be read: a plain read-only connection creates them
        // (and cannot remove them), and fails where they cannot be created (a full disk, a read-only medium). Every writer
        // here checkpoints and closes when its command ends, so without a WAL file the main file holds every committed change:
        // read it as immutable then (no lock, no side file). The price: a writer checkpointing into the file during the
        // read can make one listing fail; it writes nothing either way.
        if (!File.Exists(full + "-wal"))
        {
            return new SqliteCatalog(full, readOnly: true, immutable: true);
        }

        try
        {
            return new SqliteCatalog(full, readOnly: true, immutable: false);
        }
        catch (CatalogFailureException ex) when (ex.SqliteErrorCode is 10 or 13 or 14)
        {
            // Immutable reading ignores the WAL: right only when it holds nothing. A writer that was killed (or lost
            // power) leaves its whole command's transactions there until the next writer checkpoints them; a listing that
            // silently missed them would show finished backups as missing or running.
            if (new FileInfo(full + "-wal").Length > 0)
            {
                throw new CatalogFailureException(
                    "open",
                    full,
                    $"Catalog '{full}' holds changes not yet written into the main file (a '-wal' file a writer left, e.g. one that was killed), and this reader cannot open it for that ({ex.Message}). Run any command that writes (a backup, 'catalog import', 'prune') with write access to the repository, then list again. Nothing was changed.",
                    null);
            }

            return new SqliteCatalog(full, readOnly: true, immutable: true);
        }
    }

    public string DatabasePath { get; }

    /// <summary>True when opened with <see cref="OpenReadOnly"/>.</summary>
    public bool IsReadOnly { get; }

    /// <summary>The repository the catalog lives in: set paths inside it are stored relative to it, so it can be moved.</summary>
    public string Root { get; }

    private SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        using var cmd = c.CreateCommand();
        // A reader changes no setting that is stored in the file (the journal mode is), and asks for nothing it would write.
        cmd.CommandText = IsReadOnly
            ? "PRAGMA query_only=ON; PRAGMA busy_timeout=30000;"
            : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        cmd.ExecuteNonQuery();
        return c;
    }

    private void CheckVersion() => Guarded("read the schema version", () =>
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        if (version != SchemaVersion)
        {
            // Nothing is migrated by a command that only reads: an older catalog is upgraded by the next backup.
            throw new CatalogFailureException("read the schema version", DatabasePath, $"Catalog '{DatabasePath}' has schema version {version}; this host reads version {SchemaVersion}{(version < SchemaVersion ? " (a backup with this host upgrades it; commands that only read never do)" : ": use a newer host")}.", null);
        }
    });

    private void Migrate() => Guarded("open it for writing (journal, schema)", MigrateCore);

    private void MigrateCore()
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var version = Convert.ToInt32(Scalar(c, tx, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new InvalidOperationException($"Catalog '{DatabasePath}' has schema version {version}; this host understands up to {SchemaVersion}. Use a newer host.");
        }

        if (version < 1)
        {
            Execute(c, tx, """
                CREATE TABLE sets (
                    set_id          TEXT PRIMARY KEY,
                    target_id       TEXT NOT NULL,
                    target_name     TEXT,
                    kind            TEXT NOT NULL,
                    state           TEXT NOT NULL,
                    chain_id        TEXT,
                    previous_set_id TEXT,
                    sequence        INTEGER,
                    started_at      TEXT NOT NULL,
                    staged_at       TEXT,
                    stored_at       TEXT,
                    completed_at    TEXT,
                    set_path        TEXT,
                    manifest_json   TEXT,
                    truncation_json TEXT,
                    error           TEXT,
                    owner_pid       INTEGER,
                    owner_started   TEXT
                );
                CREATE INDEX ix_sets_target_state ON sets(target_id, state);
                CREATE TABLE snapshot_sets (
                    snapshot_set_id TEXT PRIMARY KEY,
                    target_id       TEXT NOT NULL,
                    owner_pid       INTEGER NOT NULL,
                    owner_started   TEXT NOT NULL,
                    created_at      TEXT NOT NULL,
                    released_at     TEXT
                );
                PRAGMA user_version = 1;
                """);
        }

        if (version < 2)
        {
            // Version 2: the product's own id for a set (restic snapshot, borg archive, Bacula job), and set paths
            // relative to the repository (rows written by version 1 held absolute ones).
            Execute(c, tx, "ALTER TABLE sets ADD COLUMN external_ref TEXT; PRAGMA user_version = 2;");
            RelativizeSetPaths(c, tx);
        }

        if (version < 3)
        {
            // Version 3: the plugin's records apart from the host's rows (one writer each). Rows written before keep the
            // manifest and report the plugin wrote into them, and are read as they were.
            Execute(c, tx, """
                CREATE TABLE plugin_records (
                    set_id          TEXT PRIMARY KEY,
                    target_id       TEXT NOT NULL,
                    manifest_json   TEXT,
                    staged_at       TEXT,
                    verdict_state   TEXT,
                    completed_at    TEXT,
                    truncation_json TEXT
                );
                PRAGMA user_version = 3;
                """);
        }

        tx.Commit();
    }

    /// <summary>
    /// Rewrites absolute set paths of sets stored in this repository as relative ones: a path under <see cref="Root"/>,
    /// or one that ends in <c>sets/&lt;set id&gt;</c> (the repository's own layout, written where the repository used to be).
    /// Paths elsewhere (<c>backup --out DIR</c>) stay absolute.
    /// </summary>
    private void RelativizeSetPaths(SqliteConnection c, SqliteTransaction tx)
    {
        var rows = new List<(string Id, string Path)>();
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT set_id, set_path FROM sets WHERE set_path IS NOT NULL";
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                rows.Add((r.GetString(0), r.GetString(1)));
            }
        }

        foreach (var (id, path) in rows)
        {
            var relative = StoredForm(path);
            if (relative is not null && Path.IsPathRooted(relative) && IsRepositoryLayout(relative, id))
            {
                relative = "sets/" + id;
            }

            if (relative != path)
            {
                Execute(c, tx, "UPDATE sets SET set_path = $p WHERE set_id = $id", ("$p", relative), ("$id", id));
            }
        }
    }

    /// <summary>A path ending in <c>sets/&lt;set id&gt;</c>: where a repository stores its sets, wherever it was then.</summary>
    private static bool IsRepositoryLayout(string path, string setId) =>
        Path.TrimEndingDirectorySeparator(path).EndsWith(Path.DirectorySeparatorChar + Path.Combine("sets", setId), StringComparison.Ordinal);

    /// <summary>How a set path is stored: relative (forward slashes) when it is in this repository, else absolute.</summary>
    private string? StoredForm(string? path)
    {
        if (path is null || !Path.IsPathRooted(path))
        {
            return path;
        }

        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(Root, full);
        return !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative)
            ? relative.Replace(Path.DirectorySeparatorChar, '/')
            : full;
    }

    /// <summary>A stored set path as a full path: relative ones are resolved against <see cref="Root"/>.</summary>
    private string? Resolve(string? stored) =>
        stored is null ? null : Path.IsPathRooted(stored) ? stored : Path.GetFullPath(Path.Combine(Root, stored.Replace('/', Path.DirectorySeparatorChar)));

    // ---- The plugin's port ------------------------------------------------------------------------

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default)
    {
        // Only rows that can be settled as completed are read (and their manifests parsed): see Settled.
        var completed = Query(
                $"""
                WHERE {TargetIdColumn} = $t AND s.kind <> 'Copy'
                    AND (p.verdict_state = 'Completed' OR (s.state = 'Completed' AND (p.verdict_state IS NULL OR p.verdict_state = 'Staged')))
                """,
                ("$t", targetId))
            .Where(r => r.State == HostSetState.Completed && r.Manifest is not null)
            .OrderBy(r => r.CompletedAt)
            .ThenBy(r => r.StartedAt);
        return ValueTask.FromResult(CatalogStates.CurrentChain(completed.Select(r => new CatalogEntry(r.Manifest!, CatalogSetState.Completed, r.CompletedAt))));
    }

    /// <inheritdoc />
    /// <remarks>Writes the plugin's record of the set only; the host's row moves on when the host stores the set.</remarks>
    public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        WithTransaction("record the staged set", (c, tx) => Execute(c, tx, """
            INSERT INTO plugin_records (set_id, target_id, manifest_json, staged_at) VALUES ($id, $target, $m, $at)
            ON CONFLICT(set_id) DO UPDATE SET target_id = excluded.target_id, manifest_json = excluded.manifest_json, staged_at = excluded.staged_at
            WHERE plugin_records.verdict_state IS NULL
            """,
            ("$id", manifest.SetId), ("$target", manifest.Target.Id), ("$m", ManifestText(manifest)), ("$at", Iso(manifest.FinishedAt))));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Writes the plugin's record of the set only (also for a set staged before this schema, whose manifest the host's row
    /// holds); the set's state as listed follows from it (<see cref="CatalogRow.State"/>).
    /// </remarks>
    public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        WithTransaction("record the set's completion", (c, tx) => Execute(c, tx, """
            INSERT INTO plugin_records (set_id, target_id, verdict_state, completed_at, truncation_json) VALUES ($id, $target, $state, $at, $t)
            ON CONFLICT(set_id) DO UPDATE SET verdict_state = excluded.verdict_state, completed_at = excluded.completed_at, truncation_json = excluded.truncation_json
            """,
            ("$id", report.SetId),
            ("$target", report.TargetId),
            ("$state", CatalogStates.AfterCompletion(report).ToString()),
            ("$at", Iso(report.At)),
            ("$t", JsonSerializer.Serialize(report, ContractJsonContext.Default.TruncationReport))));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<CatalogEntry?> GetSetAsync(string setId, CancellationToken cancellationToken = default)
    {
        var row = Find(setId);
        if (row?.Manifest is null)
        {
            return ValueTask.FromResult<CatalogEntry?>(null);
        }

        var state = row.State switch
        {
            HostSetState.Running => CatalogSetState.Running,
            HostSetState.Completed => CatalogSetState.Completed,
            HostSetState.Failed or HostSetState.Abandoned => CatalogSetState.Failed,
            // Staged or stored; a stored set with a truncation report was completed but kept out of the chain
            // (CatalogStates.AfterCompletion), which is the catalog state Staged too.
            _ => CatalogSetState.Staged,
        };
        return ValueTask.FromResult<CatalogEntry?>(new CatalogEntry(row.Manifest, state, row.CompletedAt));
    }

    // ---- The host's bookkeeping -------------------------------------------------------------------

    /// <summary>Records that this process starts phase one of a set (the row a killed run leaves behind).</summary>
    public void BeginRun(string setId, string targetId, BackupKind kind)
    {
        using var me = Process.GetCurrentProcess();
        WithTransaction("record the start of the run", (c, tx) => Execute(c, tx, """
            INSERT INTO sets (set_id, target_id, kind, state, started_at, owner_pid, owner_started)
            VALUES ($id, $target, $kind, 'Running', $at, $pid, $pstart)
            """,
            ("$id", setId), ("$target", targetId), ("$kind", kind.ToString()), ("$at", Iso(DateTimeOffset.UtcNow)),
            ("$pid", me.Id), ("$pstart", Iso(me.StartTime.ToUniversalTime()))));
    }

    /// <summary>Records that the host stored a staged set at <paramref name="setPath"/>.</summary>
    public void MarkStored(string setId, string setPath) => WithTransaction("record that the set was stored", (c, tx) => Execute(c, tx,
        "UPDATE sets SET state = 'Stored', stored_at = $at, set_path = $p WHERE set_id = $id AND state IN ('Running', 'Staged')",
        ("$at", Iso(DateTimeOffset.UtcNow)), ("$p", StoredForm(setPath)), ("$id", setId)));

    /// <summary>
    /// Records that a staged set went outside the repository for another product to store: a directory
    /// (<paramref name="setPath"/>) or a tar stream (<see langword="null"/>). Completion is pending.
    /// </summary>
    public void MarkExported(string setId, string? setPath) => WithTransaction("record that the set was exported", (c, tx) => Execute(c, tx,
        "UPDATE sets SET state = 'Exported', stored_at = $at, set_path = $p WHERE set_id = $id AND state IN ('Running', 'Staged')",
        ("$at", Iso(DateTimeOffset.UtcNow)), ("$p", StoredForm(setPath)), ("$id", setId)));

    /// <summary>Records the storing product's own id of the set (restic snapshot, borg archive, Bacula job id).</summary>
    public bool SetExternalRef(string setId, string externalRef) => WithTransaction("record the set's external reference", (c, tx) => Execute(c, tx,
        "UPDATE sets SET external_ref = $r WHERE set_id = $id", ("$r", externalRef), ("$id", setId))) > 0;

    /// <summary>
    /// Records an existing set found on disk (<c>catalog import</c>) as stored and restorable. It joins no chain: whether
    /// it was ever completed is not in its manifest. Returns false when the catalog already knows the set.
    /// </summary>
    public bool Import(BackupManifest manifest, string setPath)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return WithTransaction("import the set", (c, tx) => Execute(c, tx, """
            INSERT INTO sets (set_id, target_id, target_name, kind, state, chain_id, previous_set_id, sequence, started_at, staged_at, stored_at, set_path, manifest_json)
            VALUES ($id, $target, $name, $kind, 'Stored', $chain, $prev, $seq, $start, $at, $now, $p, $m)
            ON CONFLICT(set_id) DO NOTHING
            """,
            ("$id", manifest.SetId), ("$target", manifest.Target.Id), ("$name", manifest.Target.DisplayName),
            ("$kind", manifest.Kind.ToString()), ("$chain", manifest.Chain.ChainId), ("$prev", manifest.Chain.PreviousSetId),
            ("$seq", manifest.Chain.Sequence), ("$start", Iso(manifest.StartedAt)), ("$at", Iso(manifest.FinishedAt)),
            ("$now", Iso(DateTimeOffset.UtcNow)), ("$p", StoredForm(setPath)), ("$m", ManifestText(manifest)))) > 0;
    }

    /// <summary>Forgets a set (prune).</summary>
    /// <remarks>
    /// The plugin's record of the set goes too: forgetting is the host's decision, and a record left behind would settle
    /// a later import of the same set directory with the old verdict (a pruned full listed as completed, in a chain).
    /// </remarks>
    public void Delete(string setId) => WithTransaction("forget the set", (c, tx) => Execute(c, tx, "DELETE FROM sets WHERE set_id = $id; DELETE FROM plugin_records WHERE set_id = $id", ("$id", setId)));

    /// <summary>
    /// Records a failure of a run; <paramref name="setPath"/> when the repository holds the set all the same (also on a row
    /// the plugin already recorded as failed, which does not know where the host put the set).
    /// </summary>
    public void MarkFailed(string setId, string error, string? setPath = null) => WithTransaction("record the failure", (c, tx) => Execute(c, tx,
        """
        UPDATE sets SET state = 'Failed', error = $e, completed_at = $at,
            set_path = COALESCE($p, set_path), stored_at = CASE WHEN $p IS NULL THEN stored_at ELSE COALESCE(stored_at, $at) END
        WHERE set_id = $id AND (state IN ('Running', 'Staged', 'Stored', 'Exported') OR ($p IS NOT NULL AND state = 'Failed' AND set_path IS NULL))
        """,
        ("$e", error), ("$at", Iso(DateTimeOffset.UtcNow)), ("$p", StoredForm(setPath)), ("$id", setId)));

    /// <summary>The message a set stored by a run that ended before completing it carries (<see cref="RecoverAbandonedRuns"/>).</summary>
    public const string StoredNeverCompleted =
        "The process running this backup ended after the set was stored but before it was completed: completed as failed (no log was truncated); the set is kept and can be verified and restored.";

    /// <summary>
    /// Finds runs whose process is gone (killed, or ended by a failure of this catalog) while running or before the host
    /// recorded the set as stored. One rule keeps the catalog and the repository in agreement: a set the repository holds
    /// whole (<paramref name="storedAt"/> names it) is marked <see cref="HostSetState.Failed"/> with its path, so it stays
    /// listed, verifiable and restorable but never joins a chain; every other run is marked
    /// <see cref="HostSetState.Abandoned"/>. Returns the rows with their new state so the caller can remove staging
    /// leftovers and tell the plugin.
    /// </summary>
    /// <param name="storedAt">The path of the run's intact set in the repository, or <see langword="null"/>.</param>
    public IReadOnlyList<CatalogRow> RecoverAbandonedRuns(Func<CatalogRow, string?>? storedAt = null)
    {
        var recovered = new List<CatalogRow>();
        foreach (var row in Query("WHERE s.state IN ('Running', 'Staged')"))
        {
            // The host's own row decides, whatever the plugin recorded meanwhile (it may have completed the set as failed
            // while the host could not record that it stored it): the host still has to say where the set is, or that
            // nothing is.
            if (IsOwnerAlive(row))
            {
                continue;
            }

            if (storedAt?.Invoke(row) is { } path)
            {
                MarkFailed(row.SetId, StoredNeverCompleted, path);
                recovered.Add(row with { State = HostSetState.Failed, SetPath = path, Error = StoredNeverCompleted });
                continue;
            }

            WithTransaction("record an abandoned run", (c, tx) => Execute(c, tx,
                "UPDATE sets SET state = 'Abandoned', error = $e, completed_at = $at WHERE set_id = $id AND state IN ('Running', 'Staged')",
                ("$e", "The process running this backup ended before the set was stored."), ("$at", Iso(DateTimeOffset.UtcNow)), ("$id", row.SetId)));
            recovered.Add(row with { State = HostSetState.Abandoned });
        }

        return recovered;
    }

    private static bool IsOwnerAlive(CatalogRow row)
    {
        if (row.OwnerPid is not { } pid)
        {
            return false;
        }

        try
        {
            using var p = Process.GetProcessById(pid);
            // A recycled pid belongs to another process: compare start times (to the second).
            return row.OwnerStarted is not { } started || Math.Abs((p.StartTime.ToUniversalTime() - started.UtcDateTime).TotalSeconds) < 2;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>One set, or null.</summary>
    public CatalogRow? Find(string setId) => Query("WHERE s.set_id = $id", ("$id", setId)).FirstOrDefault();

    /// <summary>Every set, newest first.</summary>
    public IReadOnlyList<CatalogRow> List(string? targetId = null) => targetId is null
        ? Query("ORDER BY s.started_at DESC")
        : Query($"WHERE {TargetIdColumn} = $t ORDER BY s.started_at DESC", ("$t", targetId));

    /// <summary>
    /// Where the stored manifests last saw the targets whose id starts with <paramref name="idPrefix"/> (ignoring
    /// case), newest first. Reads only the ids and the manifests' <c>target.location</c>: no manifest is parsed,
    /// and a row whose manifest is missing or not JSON names no location.
    /// </summary>
    public IReadOnlyList<string> TargetLocations(string idPrefix) => Guarded("read where its targets were", () => TargetLocationsCore(idPrefix));

    private List<string> TargetLocationsCore(string idPrefix)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT {TargetIdColumn}, json_extract({ManifestColumn}, '$.target.location') FROM {Joined}
            WHERE json_valid({ManifestColumn})
            ORDER BY s.started_at DESC
            """;
        using var r = cmd.ExecuteReader();
        var locations = new List<string>();
        while (r.Read())
        {
            // The prefix is compared here, not with LIKE: LIKE folds the case of ASCII letters only.
            if (r.GetString(0).StartsWith(idPrefix, StringComparison.OrdinalIgnoreCase) && Str(r, 1) is { } location)
            {
                locations.Add(location);
            }
        }

        return locations;
    }

    /// <summary>
    /// The chain that restores <paramref name="setId"/>: its full, then every incremental up to and including
    /// it, following <c>previous_set_id</c> links. Each must be stored in the repository.
    /// </summary>
    public IReadOnlyList<CatalogRow> ChainEndingAt(string setId)
    {
        var chain = new List<CatalogRow>();
        var current = Find(setId);
        var guard = 0;
        while (current is not null && guard++ < 100_000)
        {
            chain.Add(current);
            if (current.Kind != BackupKind.Incremental || current.PreviousSetId is null)
            {
                break;
            }

            current = Find(current.PreviousSetId);
        }

        chain.Reverse();
        return chain;
    }

    // ---- VSS snapshot sets (so a crashed backup's shadow copies are found and deleted later) -------

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Guarded("read the snapshot sets", ReadSnapshotSets));

    private IReadOnlyList<SnapshotSetRecord> ReadSnapshotSets()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT snapshot_set_id, target_id, owner_pid, owner_started, created_at FROM snapshot_sets WHERE released_at IS NULL";
        using var r = cmd.ExecuteReader();
        var list = new List<SnapshotSetRecord>();
        while (r.Read())
        {
            list.Add(new SnapshotSetRecord(
                Guid.Parse(r.GetString(0)),
                r.GetString(1),
                r.GetInt32(2),
                DateTimeOffset.Parse(r.GetString(3), CultureInfo.InvariantCulture),
                DateTimeOffset.Parse(r.GetString(4), CultureInfo.InvariantCulture)));
        }

        return list;
    }

    /// <inheritdoc />
    public ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        WithTransaction("record the snapshot set", (c, tx) => Execute(c, tx, """
            INSERT OR REPLACE INTO snapshot_sets (snapshot_set_id, target_id, owner_pid, owner_started, created_at)
            VALUES ($s, $t, $pid, $pstart, $at)
            """,
            ("$s", record.SnapshotSetId.ToString("D")), ("$t", record.TargetId), ("$pid", record.ProcessId),
            ("$pstart", Iso(record.ProcessStartTime)), ("$at", Iso(record.RecordedAt))));
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken = default)
    {
        WithTransaction("record the snapshot set's release", (c, tx) => Execute(c, tx, "UPDATE snapshot_sets SET released_at = $at WHERE snapshot_set_id = $s",
            ("$at", Iso(DateTimeOffset.UtcNow)), ("$s", snapshotSetId.ToString("D"))));
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Closes the writer's pooled connection (the last close checkpoints the WAL and removes it, so readers that find no
    /// WAL may read the file as immutable). Each step still ends its transaction and releases its locks when it returns.
    /// </summary>
    public void Dispose()
    {
        if (!IsReadOnly)
        {
            using var c = new SqliteConnection(_connectionString);
            SqliteConnection.ClearPool(c);
        }
    }

    // ---- plumbing ---------------------------------------------------------------------------------

    private List<CatalogRow> Query(string where, params (string Name, object? Value)[] args) => Guarded("read its sets", () => QueryCore(where, args));

    /// <summary>The host's rows, each with the plugin's record of the same set beside it.</summary>
    private const string Joined = "sets s LEFT JOIN plugin_records p ON p.set_id = s.set_id";

    /// <summary>The target as the plugin's manifest names it (a host may have begun the run with a prefix of it).</summary>
    private const string TargetIdColumn = "COALESCE(p.target_id, s.target_id)";

    /// <summary>The plugin's manifest; rows written before schema 3 (and imported sets) hold it themselves.</summary>
    private const string ManifestColumn = "COALESCE(p.manifest_json, s.manifest_json)";

    private List<CatalogRow> QueryCore(string where, (string Name, object? Value)[] args)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            SELECT s.set_id, {TargetIdColumn}, s.target_name, s.kind, s.state, s.chain_id, s.previous_set_id, s.sequence, s.started_at,
                   COALESCE(p.staged_at, s.staged_at), s.stored_at, COALESCE(p.completed_at, s.completed_at), s.set_path,
                   {ManifestColumn}, COALESCE(p.truncation_json, s.truncation_json), s.error, s.owner_pid,
                   s.owner_started, s.external_ref, p.verdict_state, p.manifest_json IS NOT NULL
            FROM {Joined}
            """ + " " + where;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        using var r = cmd.ExecuteReader();
        var rows = new List<CatalogRow>();
        while (r.Read())
        {
            rows.Add(ReadRow(r));
        }

        return rows;
    }

    private CatalogRow ReadRow(SqliteDataReader r)
    {
        var manifest = Str(r, 13) is { } m ? ManifestJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(m), $"{DatabasePath}#{r.GetString(0)}") : null;
        var hostState = Enum.Parse<HostSetState>(r.GetString(4));
        return new CatalogRow(
            r.GetString(0),
            r.GetString(1),
            Str(r, 2) ?? manifest?.Target.DisplayName,
            Enum.Parse<BackupKind>(r.GetString(3)),
            Settled(hostState, Str(r, 19), pluginStaged: r.GetBoolean(20)),
            Str(r, 5) ?? manifest?.Chain.ChainId,
            Str(r, 6) ?? manifest?.Chain.PreviousSetId,
            r.IsDBNull(7) ? manifest?.Chain.Sequence : r.GetInt32(7),
            DateTimeOffset.Parse(r.GetString(8), CultureInfo.InvariantCulture),
            Time(r, 9),
            Time(r, 10),
            Time(r, 11),
            Resolve(Str(r, 12)),
            manifest,
            Str(r, 14) is { } t ? JsonSerializer.Deserialize(t, ContractJsonContext.Default.TruncationReport) : null,
            Str(r, 15),
            r.IsDBNull(16) ? null : r.GetInt32(16),
            Time(r, 17),
            Str(r, 18));
    }

    /// <summary>
    /// The set's state as the host lists it: the host's own state, settled by the plugin's record. A completion the plugin
    /// recorded decides (with success it joins the chain; a success whose session was lost stays stored, out of the chain);
    /// a run whose set the plugin staged is staged until the host stores it.
    /// </summary>
    /// <param name="host">The host's state of its row.</param>
    /// <param name="verdict">The plugin's <see cref="CatalogStates.AfterCompletion"/>, or <see langword="null"/> before completion.</param>
    /// <param name="pluginStaged">The plugin recorded the staged set.</param>
    internal static HostSetState Settled(HostSetState host, string? verdict, bool pluginStaged) => verdict switch
    {
        nameof(CatalogSetState.Completed) => HostSetState.Completed,
        nameof(CatalogSetState.Failed) => HostSetState.Failed,
        nameof(CatalogSetState.Staged) => host is HostSetState.Running or HostSetState.Staged ? HostSetState.Stored : host,
        _ => host == HostSetState.Running && pluginStaged ? HostSetState.Staged : host,
    };

    private void WithTransaction(string step, Action<SqliteConnection, SqliteTransaction> work) => WithTransaction(step, (c, tx) =>
    {
        work(c, tx);
        return 0;
    });

    private T WithTransaction<T>(string step, Func<SqliteConnection, SqliteTransaction, T> work) => Guarded(step, () =>
    {
        if (IsReadOnly)
        {
            throw new InvalidOperationException($"Catalog '{DatabasePath}' was opened read-only; it cannot {step}.");
        }

        lock (_gate)
        {
            using var c = Open();
            using var tx = c.BeginTransaction();
            if (InjectedFault.Value?.Invoke(step) is { } fault)
            {
                throw fault;
            }

            var result = work(c, tx);
            tx.Commit();
            return result;
        }
    });

    /// <summary>
    /// Tests only: SQLite's failure (a full disk, an I/O error) at a named write step, in the calling flow only. SQLite is
    /// this host's native edge; a real full disk is also tested, but cannot be aimed at one step.
    /// </summary>
    internal static readonly AsyncLocal<Func<string, SqliteException?>?> InjectedFault = new();

    /// <summary>Runs one step, turning SQLite's failure into one that names the catalog, the step and the reason.</summary>
    private void Guarded(string step, Action work) => Guarded(step, () =>
    {
        work();
        return 0;
    });

    private T Guarded<T>(string step, Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException ex)
        {
            throw CatalogFailureException.From(step, DatabasePath, ex);
        }
    }

    private static int Execute(SqliteConnection c, SqliteTransaction tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction tx, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    private static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static DateTimeOffset? Time(SqliteDataReader r, int i) =>
        r.IsDBNull(i) ? null : DateTimeOffset.Parse(r.GetString(i), CultureInfo.InvariantCulture);

    private static string Iso(DateTimeOffset t) => t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static string ManifestText(BackupManifest m) => System.Text.Encoding.UTF8.GetString(ManifestJson.Serialize(m));
}
