using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// Issue 10 item 6: every failure around the staging directory and the host's catalog is a <see cref="PluginError"/>
/// with the right code and transient flag, naming the path; nothing escapes as an exception, nothing is written,
/// no log is touched.
/// </summary>
public class StagingPathRulesTests
{
    private static string CreateSource(TempDirectory temp)
    {
        var dir = temp.Combine("source");
        SyntheticEseSet.Create(dir, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 48, LogGenerations = 4, DatabaseState = SyntheticDatabaseState.Dirty, Seed = 41 });
        return dir;
    }

    private static async Task<(BackupResult Result, SortedDictionary<string, string> SourceBefore, SortedDictionary<string, string> SourceAfter)> BackupIntoAsync(
        EngineHarness h, BackupTarget target, string staging, bool create = false)
    {
        var before = EngineHarness.HashTree(target.Location!);
        var result = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, staging) { CreateStagingDirectory = create, SearchPaths = [target.Location!] });
        return (result, before, EngineHarness.HashTree(target.Location!));
    }

    private static void AssertRefused(BackupResult result, ErrorCode code, bool transient, string path, string? saying = null)
    {
        Assert.False(result.Succeeded);
        var error = result.Error!;
        Assert.True(error.Code == code, $"expected {code.Name}, got {error}");
        Assert.Equal(transient, error.IsTransient);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        if (saying is not null)
        {
            Assert.Contains(saying, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_relative_staging_path_is_refused_not_resolved_against_the_working_directory()
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(CreateSource(temp));
        var relative = "staging-" + Guid.NewGuid().ToString("N")[..8];

        var (result, before, after) = await BackupIntoAsync(h, target, relative, create: true);

        AssertRefused(result, ErrorCodes.InvalidPath, transient: false, relative, "relative");
        Assert.False(Directory.Exists(Path.GetFullPath(relative)), "nothing was created in the working directory");
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_staging_path_that_is_a_file_is_named_as_a_file()
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(CreateSource(temp));
        var file = temp.Combine("not-a-directory");
        await File.WriteAllTextAsync(file, "keep me");

        var (result, _, _) = await BackupIntoAsync(h, target, file, create: true);

        AssertRefused(result, ErrorCodes.InvalidPath, transient: false, file, "is a file");
        Assert.DoesNotContain("does not exist", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(file, result.Error.File);
        Assert.Equal("keep me", await File.ReadAllTextAsync(file));
    }

    [Theory]
    [InlineData("")]
    [InlineData("staging")]
    [InlineData("deeper/staging")]
    public async Task Staging_inside_the_source_is_refused(string below)
    {
        using var temp = new TempDirectory();
        await using var h = new EngineHarness(temp);
        var source = CreateSource(temp);
        var target = await h.TargetAsync(source);
        var staging = below.Length == 0 ? source : Path.Combine(source, below);

        var (result, before, after) = await BackupIntoAsync(h, target, staging, create: true);

        AssertRefused(result, ErrorCodes.InvalidPath, transient: false, staging, "inside");
        Assert.Equal(before, after);
        Assert.Equal(below.Length == 0, Directory.Exists(staging));
    }

    [Theory]
    [InlineData("/data/logs/staging", true)]
    [InlineData("/data/dbs", true)]
    [InlineData("/data/dbs/x/y", true)]
    [InlineData("/data/system/staging", true)]
    [InlineData("/data/logs-staging", false)]
    [InlineData("/data", false)]
    [InlineData("/backups", false)]
    public void Every_folder_holding_target_files_counts_as_the_source(string staging, bool refused)
    {
        // Databases kept apart from the logs (the usual Exchange layout) and the checkpoint in its own folder.
        var target = new BackupTarget
        {
            Id = "fs-1",
            Kind = TargetKind.FileSet,
            DisplayName = "logs (edb)",
            Location = "/data/logs",
            Databases = [new TargetDatabase("/data/dbs/mail.edb")],
            Logs = new TargetLogSet("/data/logs", "edb"),
            CheckpointPath = "/data/system/edb.chk",
        };
        if (OperatingSystem.IsWindows())
        {
            return; // the table uses Unix paths
        }

        var error = Ese.Engine.Staging.StagingRules.CheckOutsideSource(staging, target);

        Assert.Equal(refused, error is not null);
        if (error is not null)
        {
            Assert.Equal(ErrorCodes.InvalidPath, error.Code);
            Assert.Equal(staging, error.File);
        }
    }

    [Fact]
    public async Task Creating_the_staging_directory_on_a_read_only_path_is_permission_denied_naming_it()
    {
        using var temp = new TempDirectory();
        var source = CreateSource(temp);
        using var readOnly = ReadOnlyDirectory.TryCreate(temp.Combine("ro"));
        var fs = new FaultyStagingFileSystem();
        await using var h = new EngineHarness(temp, fs);
        var target = await h.TargetAsync(source);
        var staging = Path.Combine(readOnly?.Path ?? temp.Combine("ro"), "backups", "staging");
        if (readOnly is null)
        {
            // Root without the right to mount: the same errno from the staging seam.
            fs.Arm(StagingOperation.CreateDirectory, FaultyStagingFileSystem.Erofs);
        }

        var (result, before, after) = await BackupIntoAsync(h, target, staging, create: true);

        AssertRefused(result, ErrorCodes.PermissionDenied, transient: false, staging);
        Assert.True(readOnly is null ? fs.FaultedPaths.Count > 0 : fs.FaultedPaths.Count == 0, $"the error came from {(readOnly is null ? "the seam" : readOnly.How)}");
        Assert.Contains("Creating staging directory", result.Error!.Message, StringComparison.Ordinal);
        Assert.Equal(staging, result.Error.File);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_read_only_staging_directory_is_not_transient()
    {
        using var temp = new TempDirectory();
        var source = CreateSource(temp);
        using var readOnly = ReadOnlyDirectory.TryCreate(temp.Combine("ro"));
        var fs = new FaultyStagingFileSystem();
        await using var h = new EngineHarness(temp, fs);
        var target = await h.TargetAsync(source);
        var staging = readOnly?.Path ?? temp.Combine("ro");
        if (readOnly is null)
        {
            fs.Arm(StagingOperation.CreateDirectory, FaultyStagingFileSystem.Erofs);
        }

        var (result, before, after) = await BackupIntoAsync(h, target, staging);

        AssertRefused(result, ErrorCodes.PermissionDenied, transient: false, staging);
        Assert.True(readOnly is null ? fs.FaultedPaths.Count > 0 : fs.FaultedPaths.Count == 0, $"the error came from {(readOnly is null ? "the seam" : readOnly.How)}");
        Assert.StartsWith(staging, result.Error!.File, StringComparison.Ordinal);
        Assert.Equal(before, after);

        // A second try changes nothing, as the flag said.
        var again = await h.Plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, staging) { SearchPaths = [source] });
        Assert.Equal(ErrorCodes.PermissionDenied, again.Error!.Code);
    }

    /// <summary>A host catalog whose chain lookup fails (a locked or corrupt database, a lost connection).</summary>
    private sealed class ChainFailingCatalog : IBackupCatalog
    {
        private readonly InMemoryBackupCatalog _inner = new();

        public bool Fail { get; set; }

        public ValueTask<IReadOnlyList<CatalogEntry>> GetChainAsync(string targetId, CancellationToken cancellationToken = default) =>
            Fail ? throw new InvalidOperationException("catalog.db is locked by another process") : _inner.GetChainAsync(targetId, cancellationToken);

        public ValueTask RecordBackupAsync(BackupManifest manifest, CancellationToken cancellationToken = default) => _inner.RecordBackupAsync(manifest, cancellationToken);

        public ValueTask RecordTruncationAsync(TruncationReport report, CancellationToken cancellationToken = default) => _inner.RecordTruncationAsync(report, cancellationToken);
    }

    [Fact]
    public async Task A_failing_chain_lookup_is_a_catalog_failure_not_a_staging_write_error()
    {
        using var temp = new TempDirectory();
        var source = CreateSource(temp);
        var catalog = new ChainFailingCatalog();
        await using var h = new EngineHarness(temp, catalog: catalog);
        var target = await h.TargetAsync(source);
        catalog.Fail = true;

        var (result, before, after) = await BackupIntoAsync(h, target, h.Staging);

        Assert.False(result.Succeeded);
        Assert.Equal(ErrorCodes.CatalogFailure, result.Error!.Code);
        Assert.True(result.Error.IsTransient);
        Assert.Contains("catalog.db is locked", result.Error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Writing", result.Error.Message, StringComparison.Ordinal);
        Assert.Equal(target.Id, result.Error.TargetId);
        Assert.Empty(h.StagingEntries());
        Assert.Equal(before, after);

        // Discovery still lists the target and says what it could not read; once the catalog works the target is free.
        var found = new List<BackupTarget>();
        await foreach (var t in h.Plugin.DiscoverAsync(new DiscoveryRequest { Paths = [source] }))
        {
            found.Add(t);
        }

        Assert.Contains(Assert.Single(found).Warnings, w => w.Code == ErrorCodes.CatalogFailure);
        catalog.Fail = false;
        var retry = await h.BackupAsync(target, BackupKind.Full);
        Assert.True(retry.Succeeded, retry.Error?.ToString());
    }
}
