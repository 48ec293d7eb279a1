using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;

namespace EseBackupPlugin.Abstractions.Tests;

public class ContractVersionTests
{
    [Fact]
    public void Negotiation_picks_the_highest_version_with_a_shared_major()
    {
        var v = ContractVersion.Negotiate([new Version(1, 0), new Version(1, 3), new Version(2, 0)], [new Version(1, 1)]);
        Assert.Equal(new Version(1, 3), v);
    }

    [Fact]
    public void Negotiation_fails_without_a_shared_major()
    {
        Assert.Null(ContractVersion.Negotiate([new Version(2, 0)], [new Version(1, 0)]));
        Assert.Null(ContractVersion.Negotiate([], [new Version(1, 0)]));
    }

    [Fact]
    public void This_assembly_serves_its_own_version()
    {
        Assert.Contains(ContractVersion.Current, ContractVersion.Supported);
        Assert.Equal(ContractVersion.Current, ContractVersion.Negotiate([ContractVersion.Current]));
    }
}

public class ErrorCodeTests
{
    // reference/ese-backup-api.md §5.1: the codes the seeds name for JetBackupInstance / JetBackup.
    public static TheoryData<string, int> SeedCodes => new()
    {
        { "BackupInProgress", -505 }, { "BackupNotAllowedYet", -523 }, { "ClientRequestToStopJetService", -1329 },
        { "InstanceUnavailable", -1090 }, { "InvalidBackup", -526 }, { "InvalidGrbit", -900 }, { "InvalidParameter", -1003 },
        { "InvalidPath", -1023 }, { "LoggingDisabled", -516 }, { "LogReadVerifyFailure", -612 }, { "LogWriteFail", -510 },
        { "NotInitialized", -1029 }, { "ReadVerifyFailure", -1018 }, { "RestoreInProgress", -506 },
        { "SessionSharingViolation", -1910 }, { "TermInProgress", -1000 }, { "RunningInMultiInstanceMode", -1081 },
    };

    [Theory]
    [MemberData(nameof(SeedCodes))]
    public void Every_seed_code_carries_ESE_name_and_number(string name, int number)
    {
        var code = ErrorCodes.All[name];
        Assert.Equal(number, code.EseError);
        Assert.Equal("JET_err" + name, code.EseName);
        Assert.Same(code, ErrorCodes.FromEse(number, "JET_err" + name, ErrorCategory.Internal, isTransient: false));
    }

    [Fact]
    public void Busy_codes_are_transient_and_corruption_is_not()
    {
        Assert.True(ErrorCodes.BackupInProgress.IsTransient);
        Assert.False(ErrorCodes.ReadVerifyFailure.IsTransient);
        Assert.Equal(ErrorCategory.Corruption, ErrorCodes.LogReadVerifyFailure.Category);
    }

    [Fact]
    public void Unknown_ESE_errors_keep_their_name_and_number()
    {
        var code = ErrorCodes.FromEse(-501, "JET_errLogFileCorrupt", ErrorCategory.Corruption, isTransient: false);
        Assert.Equal("LogFileCorrupt", code.Name);
        Assert.Equal(-501, code.EseError);
        Assert.Equal(ErrorCategory.Corruption, code.Category);
    }

    [Fact]
    public void Names_are_unique()
    {
        var names = typeof(ErrorCodes).GetProperties().Where(p => p.PropertyType == typeof(ErrorCode)).Select(p => ((ErrorCode)p.GetValue(null)!).Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(names.Count, ErrorCodes.All.Count);
    }
}

public class InMemoryCatalogTests
{
    private static BackupManifest Set(string id, BackupKind kind, string chain, string? prev, int seq) =>
        ManifestJsonTests.Sample(id) with { Kind = kind, Chain = new ChainInfo(chain, prev, seq) };

    private static TruncationReport Done(BackupManifest m, bool ok, TruncationStatus? status = null) => new()
    {
        SetId = m.SetId, TargetId = m.Target.Id, Kind = m.Kind, HostSucceeded = ok,
        Status = status ?? (ok ? TruncationStatus.NothingToTruncate : TruncationStatus.Skipped),
        PerformedBy = TruncationPerformer.None, At = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task A_set_whose_engine_session_was_lost_is_kept_but_starts_no_chain()
    {
        var c = new InMemoryBackupCatalog();
        var f = Set("f", BackupKind.Full, "f", null, 0);
        await c.RecordBackupAsync(f);
        await c.RecordTruncationAsync(Done(f, ok: true, TruncationStatus.Skipped));
        Assert.Empty(await c.GetChainAsync(f.Target.Id));
        Assert.Equal(CatalogSetState.Staged, c.Entries.Single().State);
    }

    [Fact]
    public async Task Chain_is_the_last_completed_full_and_its_completed_incrementals()
    {
        var c = new InMemoryBackupCatalog();
        var f1 = Set("f1", BackupKind.Full, "f1", null, 0);
        var i1 = Set("i1", BackupKind.Incremental, "f1", "f1", 1);
        var copy = Set("c1", BackupKind.Copy, "c1", null, 0);
        var f2 = Set("f2", BackupKind.Full, "f2", null, 0);
        var i2 = Set("i2", BackupKind.Incremental, "f2", "f2", 1);
        foreach (var m in new[] { f1, i1, copy, f2, i2 })
        {
            await c.RecordBackupAsync(m);
        }

        Assert.Empty(await c.GetChainAsync(f1.Target.Id)); // nothing completed yet
        await c.RecordTruncationAsync(Done(f1, true));
        await c.RecordTruncationAsync(Done(i1, true));
        await c.RecordTruncationAsync(Done(copy, true));
        Assert.Equal(["f1", "i1"], (await c.GetChainAsync(f1.Target.Id)).Select(e => e.Manifest.SetId));

        await c.RecordTruncationAsync(Done(f2, false)); // a failed full does not start a chain
        Assert.Equal(["f1", "i1"], (await c.GetChainAsync(f1.Target.Id)).Select(e => e.Manifest.SetId));
    }

    [Fact]
    public void Current_chain_starts_at_the_last_completed_full_and_keeps_only_its_own_completed_sets()
    {
        static CatalogEntry Entry(BackupManifest m, CatalogSetState state = CatalogSetState.Completed) => new(m, state, DateTimeOffset.UtcNow);
        var f1 = Set("f1", BackupKind.Full, "f1", null, 0);
        var i1 = Set("i1", BackupKind.Incremental, "f1", "f1", 1);
        var f2 = Set("f2", BackupKind.Full, "f2", null, 0);
        var stray = Set("i0", BackupKind.Incremental, "f1", "i1", 2); // completed after f2, but of f1's chain
        var copy = Set("c1", BackupKind.Copy, "c1", null, 0);
        var i2 = Set("i2", BackupKind.Incremental, "f2", "f2", 1);
        var staged = Set("i3", BackupKind.Incremental, "f2", "i2", 2);
        var f3 = Set("f3", BackupKind.Full, "f3", null, 0);

        Assert.Empty(CatalogStates.CurrentChain([]));
        Assert.Empty(CatalogStates.CurrentChain([Entry(copy), Entry(i1)]));
        Assert.Equal(
            ["f2", "i2"],
            CatalogStates.CurrentChain([Entry(f1), Entry(i1), Entry(f2), Entry(stray), Entry(copy), Entry(i2), Entry(staged, CatalogSetState.Staged), Entry(f3, CatalogSetState.Failed)])
                .Select(e => e.Manifest.SetId));
        Assert.Throws<ArgumentNullException>(() => CatalogStates.CurrentChain(null!));
    }
}
