using EseBackupPlugin.Ese.Tests.Support;
using System.Buffers.Binary;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Sources.Esent;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>
/// The restorer: its layout checks (run anywhere) on sets the source really produced through the fake,
/// and JetRestoreInstanceW through the interop.
/// </summary>
[Collection(FakeEsentCollection.Name)]
public sealed class EsentRestorerTests : FakeEsentTestBase
{
    private const int Page = EsentImage.Page;

    [FakeEsentFact]
    public async Task A_streaming_full_set_restores()
    {
        var sets = await BackupChainAsync(incrementals: 0);
        var (layout, error) = EsentRestorer.CheckLayout(sets[0]);
        Assert.Null(error);
        Assert.Equal(sets[0], layout!.Directory);
        Assert.Equal("SRU", layout.BaseName);
        Assert.Equal(new Abstractions.Targets.GenerationRange(32, 32), layout.Logs);
        Assert.Equal((4096, 64), (layout.PageSize, layout.LogFileSizeKiB));
        // SRU00020.log: ".log" and five digits, ESENT's default naming (JET_paramLegacyFileNames 3).
        Assert.Equal(3u, layout.LegacyFileNames);
        var database = Assert.Single(layout.Databases);
        Assert.Equal((32L, 32L), (database.GenLow, database.GenHigh));

        var progress = new SyncProgress(_ => { });
        var destination = Temp.Combine("restored");
        var result = await new EsentRestorer(Options).RestoreAsync(sets[0], destination, progress: progress);
        Assert.True(result.Succeeded, result.Error?.ToString());
        var restored = Assert.Single(result.RestoredDatabases);
        Assert.Equal(Path.Combine(destination, "SRUDB.dat"), restored);

        var image = File.ReadAllBytes(Path.Combine(sets[0], "SRUDB.dat"));
        var bytes = File.ReadAllBytes(restored);
        Assert.Equal(image.Length, bytes.Length);
        Assert.True(XorChecksum.IsValid(bytes.AsSpan(0, Page)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(52)));
        Assert.True(bytes.AsSpan(bytes.Length - Page).IndexOfAnyExcept((byte)0) < 0, "the trailer page is zeroed");
        Assert.True(bytes.AsSpan(2 * Page, bytes.Length - 3 * Page).SequenceEqual(image.AsSpan(2 * Page, image.Length - 3 * Page)), "pages");
        Assert.Equal([ProgressPhase.Begin, ProgressPhase.Progress, ProgressPhase.Complete], progress.Reports.Select(r => r.Phase));
        Assert.All(progress.Reports, r => Assert.Equal(OperationKind.Restore, r.Operation));
        var calls = FakeEsent.CallLog().ToList();
        Assert.True(calls.LastIndexOf("JetCreateInstance2W") < calls.LastIndexOf("JetRestoreInstanceW"));
        Assert.True(calls.LastIndexOf("JetRestoreInstanceW") < calls.LastIndexOf("JetTerm2"));
    }

    [FakeEsentFact]
    public async Task A_full_plus_incrementals_chain_restores()
    {
        var sets = await BackupChainAsync(incrementals: 2);
        var layoutDir = LayOut(sets);
        var (layout, error) = EsentRestorer.CheckLayout(layoutDir);
        Assert.Null(error);
        Assert.Equal(new Abstractions.Targets.GenerationRange(32, 34), layout!.Logs);
        var result = await new EsentRestorer(Options).RestoreAsync(layoutDir, Temp.Combine("restored"));
        Assert.True(result.Succeeded, result.Error?.ToString());
    }

    [FakeEsentFact]
    public async Task A_JetBackupInstance_set_is_found_in_its_new_directory()
    {
        var source = new EsentInstanceSource(Options);
        var opened = (await source.OpenFileSetAsync(new EsentFileSetSpec(SetDirectory))).Instance!;
        await using (opened)
        {
            var ctx = SessionDriver.Context(opened.Target, BackupKind.Full, Temp.Combine("staging"), EsentStrategies.BackupInstance);
            var start = await source.BeginAsync(ctx, CancellationToken.None);
            await using var session = start.Session!;
            var backupDir = Path.Combine(ctx.WorkDirectory, EsentStrategies.BackupInstanceDirectory);
            var (layout, error) = EsentRestorer.CheckLayout(backupDir);
            Assert.Null(error);
            Assert.Equal(Path.Combine(backupDir, "new"), layout!.Directory);
            var result = await new EsentRestorer(Options).RestoreAsync(backupDir, Temp.Combine("restored"));
            Assert.True(result.Succeeded, result.Error?.ToString());
        }
    }

    [FakeEsentTheory]
    [InlineData("no-pat", -538)]
    [InlineData("pat-without-database", -1811)]
    [InlineData("no-logs", -1811)]
    [InlineData("live-database", -615)]
    [InlineData("bad-trailer", -552)]
    [InlineData("bad-log-header", -501)]
    [InlineData("log-named-wrong", -513)]
    [InlineData("gap", -557)]
    [InlineData("foreign-log", -555)]
    [InlineData("not-contiguous", -556)]
    [InlineData("first-log-missing", -554)]
    [InlineData("last-log-missing", -553)]
    [InlineData("other-log-stream", -539)]
    public async Task Layout_problems_are_named_by_ese_code(string problem, int jetErr)
    {
        var sets = await BackupChainAsync(incrementals: 2);
        var dir = LayOut(problem is "gap" or "foreign-log" or "not-contiguous" or "first-log-missing" ? sets : [sets[0]]);
        var db = Path.Combine(dir, "SRUDB.dat");
        var log33 = Path.Combine(dir, "SRU00021.log");
        switch (problem)
        {
            case "no-pat": File.Delete(Path.Combine(dir, "SRUDB.pat")); break;
            case "pat-without-database": File.WriteAllBytes(Path.Combine(dir, "OTHER.pat"), []); break;
            case "no-logs": File.Delete(Path.Combine(dir, "SRU00020.log")); break;
            case "live-database": File.Copy(Database, db, overwrite: true); break;
            case "bad-trailer": Patch(db, new FileInfo(db).Length - Page + 70, 0x5A, resealBlock: null); break;
            case "bad-log-header": Patch(Path.Combine(dir, "SRU00020.log"), 300, 0x5A, resealBlock: null); break;
            case "log-named-wrong": File.Move(Path.Combine(dir, "SRU00020.log"), Path.Combine(dir, "SRU00021.log")); break;
            case "gap": File.Delete(log33); break;
            case "foreign-log": Patch(log33, 44, 0x5A, resealBlock: (0, 4096)); break;
            case "not-contiguous": Patch(log33, 24, 0x5A, resealBlock: (0, 4096)); break;
            case "first-log-missing": File.Delete(Path.Combine(dir, "SRU00020.log")); break;
            case "last-log-missing":
                var trailer = new FileInfo(db).Length - Page;
                PatchUInt(db, trailer + 60, 33, (trailer, Page));   // the image now needs generation 33, which is absent
                break;
            case "other-log-stream":
                var end = new FileInfo(db).Length - Page;
                Patch(db, 108, 0x5A, (0, Page));
                Patch(db, Page + 108, 0x5A, (Page, Page));
                Patch(db, end + 92, 0x5A, (end, Page));
                break;
        }

        var (layout, error) = EsentRestorer.CheckLayout(dir);
        Assert.Null(layout);
        Assert.Equal(jetErr, error!.Code.EseError);
        Assert.NotNull(error.File);
        Assert.Contains(Path.GetFileName(error.File!), error.Message, StringComparison.Ordinal);

        var result = await new EsentRestorer(Options).RestoreAsync(dir, Temp.Combine("restored-" + problem));
        Assert.Equal(jetErr, result.Error!.Code.EseError);
        Assert.Equal(0, FakeEsent.CallCount("JetRestoreInstanceW"));   // refused before ESE is asked
    }

    [FakeEsentFact]
    public async Task The_restore_instance_names_logs_the_way_the_set_does()
    {
        var sets = await BackupChainAsync(incrementals: 0);
        var log = Assert.Single(Directory.GetFiles(sets[0], "SRU*.log"));
        var generation = LogFileName.ArchivedGeneration(Path.GetFileName(log))!.Value;

        // .jtx with eight digits: an instance run with JET_paramLegacyFileNames 0.
        File.Move(log, Path.Combine(sets[0], LogFileName.ArchivedName("SRU", generation, ".jtx", eightDigits: true)));
        var (layout, error) = EsentRestorer.CheckLayout(sets[0]);
        Assert.Null(error);
        Assert.Equal(0u, layout!.LegacyFileNames);

        // Two namings in one directory cannot be one instance's logs.
        File.Copy(Path.Combine(sets[0], LogFileName.ArchivedName("SRU", generation, ".jtx", eightDigits: true)), Path.Combine(sets[0], LogFileName.ArchivedName("SRU", generation + 1)));
        var (_, mixed) = EsentRestorer.CheckLayout(sets[0]);
        Assert.Equal(ErrorCodes.InvalidParameter, mixed!.Code);
        Assert.Contains("extensions", mixed.Message, StringComparison.Ordinal);
    }

    [FakeEsentFact]
    public async Task Destination_must_be_empty()
    {
        var sets = await BackupChainAsync(incrementals: 0);
        var destination = Temp.Combine("busy");
        Directory.CreateDirectory(destination);
        File.WriteAllText(Path.Combine(destination, "keep.txt"), "x");
        var result = await new EsentRestorer(Options).RestoreAsync(sets[0], destination);
        Assert.Same(ErrorCodes.DestinationNotEmpty, result.Error!.Code);
        var allowed = await new EsentRestorer(Options).RestoreAsync(sets[0], destination, new EsentRestoreOptions { AllowNonEmptyDestination = true });
        Assert.True(allowed.Succeeded, allowed.Error?.ToString());
    }

    [FakeEsentFact]
    public async Task Restore_in_progress_is_mapped()
    {
        var sets = await BackupChainAsync(incrementals: 0);
        FakeEsent.InjectError("JetRestoreInstanceW", -506, 0);
        var result = await new EsentRestorer(Options).RestoreAsync(sets[0], Temp.Combine("restored"));
        Assert.Same(ErrorCodes.RestoreInProgress, result.Error!.Code);
        Assert.True(result.Error.IsTransient);
        Assert.Equal(-506, result.Error.NativeStatus);
        Assert.Equal(sets[0], result.Error.File);
        Assert.Contains("JetRestoreInstanceW", result.Error.Message, StringComparison.Ordinal);
    }

    [FakeEsentFact]
    public async Task Restore_callback_exceptions_are_contained()
    {
        var sets = await BackupChainAsync(incrementals: 0);
        var progress = new SyncProgress(p => throw new InvalidOperationException("host bug"));
        var result = await new EsentRestorer(Options).RestoreAsync(sets[0], Temp.Combine("restored"), progress: progress);
        Assert.Equal(-2101, result.Error!.Code.EseError);
        Assert.Equal(-2101, FakeEsent.LastCallbackResult());
        Assert.Equal(3, FakeEsent.CallbackCount());
    }

    /// <summary>A streaming full and <paramref name="incrementals"/> incrementals of the live set, each completed with truncation.</summary>
    private async Task<List<string>> BackupChainAsync(int incrementals)
    {
        var source = new EsentInstanceSource(Options);
        var sets = new List<string>();
        var chain = new List<CatalogEntry>();
        var opened = (await source.OpenFileSetAsync(new EsentFileSetSpec(SetDirectory))).Instance!;
        using var buffer = new NativeBuffer(65536);
        await using (opened)
        {
            for (var i = 0; i <= incrementals; i++)
            {
                var kind = i == 0 ? BackupKind.Full : BackupKind.Incremental;
                var ctx = SessionDriver.Context(opened.Target, kind, Temp.Combine("staging"), EsentStrategies.Streaming, chain.ToList());
                var start = await source.BeginAsync(ctx, CancellationToken.None);
                await using var session = start.Session!;
                var setDir = Temp.Combine("sets", ctx.SetId);
                var files = await SessionDriver.StageAsync(session, setDir, buffer.Memory);
                var outcome = await session.OnStagedAsync(SessionDriver.StagedInfo(setDir, files), CancellationToken.None);
                var manifest = SessionDriver.Manifest(ctx, session.Strategy, files, outcome.Truncation);
                await session.CompleteAsync(manifest, true, CancellationToken.None);
                chain.Add(SessionDriver.Completed(manifest));
                sets.Add(setDir);
            }
        }

        FakeEsent.Reset();
        return sets;
    }

    /// <summary>What the restore engine does: the full's files, then the logs of each later set, in one directory.</summary>
    private string LayOut(IReadOnlyList<string> sets)
    {
        var dir = Temp.Combine("layout-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        foreach (var set in sets)
        {
            foreach (var file in Directory.EnumerateFiles(set))
            {
                File.Copy(file, Path.Combine(dir, Path.GetFileName(file)), overwrite: true);
            }
        }

        return dir;
    }

    private static void Patch(string path, long offset, byte xor, (long Offset, int Length)? resealBlock)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= xor;
        if (resealBlock is { } block)
        {
            XorChecksum.Stamp(bytes.AsSpan((int)block.Offset, block.Length));
        }

        File.WriteAllBytes(path, bytes);
    }

    private static void PatchUInt(string path, long offset, uint value, (long Offset, int Length) resealBlock)
    {
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((int)offset), value);
        XorChecksum.Stamp(bytes.AsSpan((int)resealBlock.Offset, resealBlock.Length));
        File.WriteAllBytes(path, bytes);
    }
}
