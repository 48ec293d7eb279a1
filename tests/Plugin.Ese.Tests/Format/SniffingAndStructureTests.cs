using System.Buffers.Binary;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Samples;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Format;

public class SniffingAndStructureTests
{
    [Fact]
    public void Sniffer_names_every_kind()
    {
        Assert.Equal(EseFileKind.Patch, Identify("SRUDB.pat", []));
        Assert.Equal(EseFileKind.Empty, Identify("x.edb", []));
        Assert.Equal(EseFileKind.ReserveLog, Identify("edbres00001.jrs", new byte[65536]));
        Assert.Equal(EseFileKind.TemporaryLog, Identify("edbtmp.log", new byte[65536]));
        Assert.Equal(EseFileKind.NotEse, Identify("data.bin", new byte[65536]));
        Assert.Equal(EseFileKind.NotEse, Identify("readme.txt", "just text"u8.ToArray()));
        Assert.Equal(EseFileKind.ReserveLog, Identify("res1.log", File.ReadAllBytes(TestData.Ese("catroot2-winxp-with-logs", "res1.log"))));

        var db = File.ReadAllBytes(TestData.Ese("esent-api-samples", "basic.edb"));
        Assert.Equal(EseFileKind.Database, Identify("anything.bin", db));
        Assert.Equal(EseFileKind.Truncated, Identify("basic.edb", db[..3000]));
        var log = File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"));
        Assert.Equal(EseFileKind.Log, Identify("renamed.bin", log));
        Assert.Equal(EseFileKind.TemporaryLog, Identify("SRUtmp.log", log));
        Assert.Equal(EseFileKind.Truncated, Identify("SRU0001A.log", log[..1000]));
        Assert.Equal(EseFileKind.Checkpoint, Identify("x", File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRU.chk"))));
        Assert.Equal(EseFileKind.FlushMap, Identify("x", File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRUDB.jfm"))));
    }

    [Theory]
    [InlineData("srum-win10-clean-with-logs", "SRU.chk", "Checkpoint", "SRU", "Checkpoint")]
    [InlineData("srum-win10-clean-with-logs", "SRU0001A.log", "Log", "SRU", "Archived")]
    [InlineData("catroot2-winxp-with-logs", "edb0007E.log", "Log", "edb", "Archived")]
    [InlineData("catroot2-winxp-with-logs", "edb.chk", "Checkpoint", "edb", "Checkpoint")]
    public async Task Log_stream_files_carry_the_name_the_file_name_gives(string folder, string file, string kind, string baseName, string nameKind)
    {
        var result = await EseFileVerifier.VerifyAsync(TestData.Ese(folder, file));

        Assert.Equal(Enum.Parse<EseFileKind>(kind), result.Kind);
        Assert.Equal(baseName, result.LogName?.BaseName);
        Assert.Equal(Enum.Parse<LogFileNameKind>(nameKind), result.LogName?.Kind);
    }

    [Fact]
    public void A_database_identity_carries_the_header_selection_it_was_decided_with()
    {
        var db = File.ReadAllBytes(TestData.Ese("esent-api-samples", "basic.edb"));
        var head = db.AsSpan(0, Math.Min(db.Length, EseFileSniffer.HeadSize));
        var good = EseFileSniffer.Identify("basic.edb", db.Length, head).DatabaseSelection;
        Assert.NotNull(good);
        Assert.Equal(HeaderCopy.Primary, good.UsedCopy);
        Assert.Equal(DatabaseHeaderSelection.Select(head, db.Length).PageSize, good.PageSize);

        db[100] ^= 1;
        db[4096 + 100] ^= 1;
        var damaged = EseFileSniffer.Identify("basic.edb", db.Length, head);
        Assert.Equal(EseFileKind.Database, damaged.Kind);
        Assert.Equal(HeaderCopy.None, damaged.DatabaseSelection?.UsedCopy);
        Assert.Equal(DatabaseHeaderSelection.Select(head, db.Length).PrimaryComputed, damaged.DatabaseSelection!.PrimaryComputed);

        var log = File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"));
        Assert.Null(EseFileSniffer.Identify("SRU0001A.log", log.Length, log.AsSpan(0, Math.Min(log.Length, EseFileSniffer.HeadSize))).DatabaseSelection);
    }

    [Fact]
    public void A_damaged_header_is_still_recognised_by_its_hints()
    {
        var db = File.ReadAllBytes(TestData.Ese("esent-api-samples", "basic.edb"));
        db[100] ^= 1;
        db[4096 + 100] ^= 1;
        Assert.Equal(EseFileKind.Database, Identify("basic.edb", db));

        var log = File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"));
        log[100] ^= 1;
        Assert.Equal(EseFileKind.Log, Identify("whatever.bin", log));
    }

    [Fact]
    public void Both_database_header_copies_bad_is_reported_and_pages_still_verified()
    {
        var db = File.ReadAllBytes(TestData.Ese("esent-api-samples", "basic.edb"));
        db[100] ^= 1;
        db[4096 + 200] ^= 1;

        var result = CorruptionModel.VerifyInChunks(db, "basic.edb", new Random(1));

        Assert.Equal(HeaderCopy.None, result.HeaderCopyUsed);
        Assert.Equal([FindingCodes.HeaderChecksumMismatch, FindingCodes.ShadowHeaderMismatch], result.Findings.Select(f => f.Code));
        Assert.All(result.Findings, f => Assert.Equal(-1018, f.EseError));
        Assert.True(result.UnitsChecked > 0);
    }

    [Fact]
    public void Copies_that_are_both_valid_but_differ_are_reported()
    {
        var db = File.ReadAllBytes(TestData.Ese("esent-api-samples", "basic.edb"));
        BinaryPrimitives.WriteUInt32LittleEndian(db.AsSpan(4096 + 240), 7);
        XorChecksum.Stamp(db.AsSpan(4096, 4096));

        var result = CorruptionModel.VerifyInChunks(db, "basic.edb", new Random(1));

        var f = Assert.Single(result.Findings);
        Assert.Equal(FindingCodes.ShadowHeaderMismatch, f.Code);
        Assert.Equal(4096, f.Offset);
        Assert.Equal(HeaderCopy.Primary, result.HeaderCopyUsed);
    }

    [Theory]
    [InlineData("basic.edb", 4096, FindingSeverity.Corruption, -1018)]
    [InlineData("SRU.chk", 4096, FindingSeverity.Warning, null)]
    public void Header_copy_findings_keep_their_codes_severities_and_wording(string file, int shadowOffset, FindingSeverity differSeverity, int? differEseError)
    {
        var database = file.EndsWith(".edb", StringComparison.Ordinal);
        var original = File.ReadAllBytes(database ? TestData.Ese("esent-api-samples", file) : TestData.Ese("srum-win10-clean-with-logs", file));
        var error = database ? -1018 : -533;
        string[] Findings(Action<byte[]> damage)
        {
            var bytes = (byte[])original.Clone();
            damage(bytes);
            return [.. CorruptionModel.VerifyInChunks(bytes, file, new Random(3)).Findings
                .Select(f => F(f.Code, f.Severity, f.Offset, f.EseError, f.Expected is not null && f.Actual is not null, f.Message))];
        }

        var none = Findings(b => { b[100] ^= 1; b[shadowOffset + 200] ^= 1; });
        var shadowUsed = Findings(b => b[100] ^= 1);
        var shadowBad = Findings(b => b[shadowOffset + 200] ^= 1);
        var differ = Findings(b =>
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(shadowOffset + 240), 7);
            XorChecksum.Stamp(b.AsSpan(shadowOffset, shadowOffset));
        });

        if (database)
        {
            Assert.Equal(
                [
                    F(FindingCodes.HeaderChecksumMismatch, FindingSeverity.Corruption, 0L, error, true, "Neither database header copy passes its checksum: the header is corrupt."),
                    F(FindingCodes.ShadowHeaderMismatch, FindingSeverity.Corruption, shadowOffset, error, true, "The shadow database header fails its checksum too."),
                ],
                none);
            Assert.Equal([F(FindingCodes.HeaderChecksumMismatch, FindingSeverity.Corruption, 0L, error, true, "The primary database header fails its checksum; the shadow copy is valid and was used.")], shadowUsed);
            Assert.Equal([F(FindingCodes.ShadowHeaderMismatch, FindingSeverity.Corruption, shadowOffset, error, true, "The shadow database header fails its checksum; the primary is valid.")], shadowBad);
            Assert.Equal([F(FindingCodes.ShadowHeaderMismatch, differSeverity, shadowOffset, differEseError, false, "Both database header copies pass their checksums but differ; the primary was used.")], differ);
        }
        else
        {
            Assert.Equal(
                [
                    F(FindingCodes.HeaderChecksumMismatch, FindingSeverity.Corruption, 0L, error, true, "Neither checkpoint copy passes its checksum."),
                    F(FindingCodes.ShadowHeaderMismatch, FindingSeverity.Corruption, shadowOffset, error, true, "The second checkpoint copy fails its checksum too."),
                ],
                none);
            Assert.Equal([F(FindingCodes.HeaderChecksumMismatch, FindingSeverity.Corruption, 0L, error, true, "The first checkpoint copy fails its checksum; the second is valid and was used.")], shadowUsed);
            Assert.Equal([F(FindingCodes.ShadowHeaderMismatch, FindingSeverity.Corruption, shadowOffset, error, true, "The second checkpoint copy fails its checksum; the first is valid.")], shadowBad);
            Assert.Equal([F(FindingCodes.ShadowHeaderMismatch, differSeverity, shadowOffset, differEseError, false, "Both checkpoint copies are valid but differ (a write between them); the first was used.")], differ);
        }
    }

    private static string F(string code, FindingSeverity severity, long? offset, int? eseError, bool checksums, string message) =>
        $"{code} {severity} @{offset} ese {eseError} {(checksums ? "expected/actual" : "-")}: {message}";

    [Fact]
    public async Task A_streaming_backup_trailer_is_recognised_and_checked()
    {
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 40, LogGenerations = 2 });
        var path = set.Databases[0].Path;
        var header = (await EseFileVerifier.VerifyAsync(path)).Database!;
        // The trailer of the backup the header records (restore requires the same backup mark).
        var trailer = new BackupTrailer(0, new BackupInfo(header.FullBackupCurrent.Mark, header.Created, 1, 2), header.DatabaseSignature, header.LogSignature, 1, 2, 2, default, default);
        var page = new byte[8192];
        trailer.WritePage(page);
        await using (var s = new FileStream(path, FileMode.Append))
        {
            await s.WriteAsync(page);
        }

        var result = await EseFileVerifier.VerifyAsync(path);
        Assert.Empty(result.Findings);
        Assert.NotNull(result.Trailer);
        Assert.Equal(2u, result.Trailer.Backup.GenerationHigh);
        Assert.Equal(40, result.UnitsChecked + result.UnitsUninitialized);

        var inspected = await EseFileInspector.InspectAsync(path);
        Assert.NotNull(inspected.Details["backupTrailer"]);
        Assert.Empty(inspected.Findings);

        // Another database's trailer is a mismatch; a damaged trailer is a damaged last page.
        var foreign = trailer with { DatabaseSignature = EseSignature.Create(9, header.Created, "OTHER") };
        var bytes = File.ReadAllBytes(path);
        foreign.WritePage(bytes.AsSpan(bytes.Length - 8192));
        Assert.Equal(FindingCodes.BackupTrailerMismatch, Assert.Single(CorruptionModel.VerifyInChunks(bytes, "d.edb", new Random(2)).Findings).Code);

        // Inspection reads the trailer too and reports the same mismatch.
        var foreignPath = Path.Combine(temp.Path, "foreign.edb");
        await File.WriteAllBytesAsync(foreignPath, bytes);
        var inspectedForeign = Assert.Single((await EseFileInspector.InspectAsync(foreignPath)).Findings);
        Assert.Equal(FindingCodes.BackupTrailerMismatch, inspectedForeign.Code);
        Assert.Equal(41, inspectedForeign.Page);

        // A trailer of another backup run (another mark), or one with no last generation, does not belong to this image.
        var otherRun = trailer with { Backup = trailer.Backup with { Mark = new LogPosition(16, 3, header.FullBackupCurrent.Mark.Generation + 7) } };
        otherRun.WritePage(bytes.AsSpan(bytes.Length - 8192));
        var markFinding = Assert.Single(CorruptionModel.VerifyInChunks(bytes, "d.edb", new Random(2)).Findings);
        Assert.Equal(FindingCodes.BackupTrailerMismatch, markFinding.Code);
        Assert.Contains("marks differ", markFinding.Message, StringComparison.Ordinal);
        var noHigh = trailer with { Backup = trailer.Backup with { GenerationHigh = 0 } };
        noHigh.WritePage(bytes.AsSpan(bytes.Length - 8192));
        Assert.Contains("genHigh 0", Assert.Single(CorruptionModel.VerifyInChunks(bytes, "d.edb", new Random(2)).Findings).Message, StringComparison.Ordinal);
        foreign.WritePage(bytes.AsSpan(bytes.Length - 8192));
        bytes[^100] ^= 4;
        var damaged = Assert.Single(CorruptionModel.VerifyInChunks(bytes, "d.edb", new Random(2)).Findings);
        Assert.Equal(FindingCodes.PageChecksumMismatch, damaged.Code);
        Assert.Equal(41, damaged.Page);
    }

    [Fact]
    public async Task A_log_header_failing_its_checksum_is_named_by_the_generation_in_its_file_name()
    {
        // Found by the backup bit-flip property: bit 0 of offset 4 is the header's own generation field (3 becomes 2).
        using var temp = new TempDirectory();
        SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { PageSize = 8192, DatabasePages = 16, LogGenerations = 4 });
        var log = Path.Combine(temp.Path, "edb00003.log");
        var bytes = await File.ReadAllBytesAsync(log);
        bytes[4] ^= 1;
        await File.WriteAllBytesAsync(log, bytes);

        var result = await EseFileVerifier.VerifyAsync(log);

        var finding = Assert.Single(result.Findings, f => f.Code == FindingCodes.LogHeaderChecksumMismatch);
        Assert.Equal(3, finding.Generation);
        Assert.Equal(2, result.Log!.Generation);
    }

    [Fact]
    public void A_badly_damaged_file_keeps_a_bounded_list_of_findings()
    {
        using var temp = new TempDirectory();
        var set = SyntheticEseSet.Create(temp.Path, new SyntheticEseOptions { PageSize = 4096, DatabasePages = 3000, UninitializedPageFraction = 0, LogGenerations = 1 });
        var bytes = File.ReadAllBytes(set.Databases[0].Path);
        for (var p = 2; p < bytes.Length / 4096; p++)
        {
            bytes[(p * 4096) + 500] ^= 1;
        }

        var result = CorruptionModel.VerifyInChunks(bytes, "x.edb", new Random(3));

        Assert.Equal(3000, result.UnitsCorrupt);
        Assert.Equal(FindingCollector.Limit + 1, result.Findings.Count);
        Assert.Equal(FindingCodes.FindingsLimitReached, result.Findings[^1].Code);
        Assert.Equal(FindingSeverity.Corruption, result.Findings[^1].Severity);
    }

    [Fact]
    public void Checkpoint_round_trips_and_a_short_checkpoint_is_truncated()
    {
        // At a clean stop ESE clears only the first byte of the checkpoint's attach list (and the "present" flag),
        // leaving the old records behind the terminator: the structure round-trips, those stale bytes do not.
        var original = File.ReadAllBytes(TestData.Ese("srum-win11-dirty-with-logs", "SRU.chk"));
        var header = CheckpointHeader.Read(original);
        Assert.Equal(0, header.VersionFlags & CheckpointHeader.AttachInfoPresentFlag);
        Assert.Equal(0, original[679]);
        Assert.Empty(header.AttachedDatabases.Entries);
        var rewritten = new byte[CheckpointHeader.FileSize];
        header.WriteFile(rewritten);
        Assert.Equal(original.AsSpan(4, 676).ToArray(), rewritten.AsSpan(4, 676).ToArray());
        Assert.Equal(header with { Checksum = 0 }, CheckpointHeader.Read(rewritten) with { Checksum = 0, Dbms = header.Dbms, AttachedDatabases = header.AttachedDatabases });

        var result = CorruptionModel.VerifyInChunks(original[..4096], "SRU.chk", new Random(1));
        Assert.Equal(FindingCodes.TruncatedFile, Assert.Single(result.Findings).Code);
        Assert.Equal(HeaderCopy.Primary, result.HeaderCopyUsed);
    }

    [Fact]
    public void Verifier_refuses_use_after_complete()
    {
        var v = EseStreamVerifier.Create("x", "x", 0, []);
        v.Complete();
        Assert.Throws<InvalidOperationException>(() => v.Process([1]));
        Assert.Throws<InvalidOperationException>(() => v.Complete());
    }

    private static EseFileKind Identify(string name, byte[] bytes) =>
        EseFileSniffer.Identify(name, bytes.Length, bytes.AsSpan(0, Math.Min(bytes.Length, EseFileSniffer.HeadSize))).Kind;
}
