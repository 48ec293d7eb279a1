using System.Buffers.Binary;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine.Verification;

public class EseFileVerifierServiceTests
{
    private readonly EseFileVerifierService _service = new();

    [Fact]
    public async Task Verify_reads_a_file_through_the_backup_copy_pass_and_agrees_with_it()
    {
        var path = TestData.Ese("srum-win11-dirty-with-logs", "SRUDB.dat");
        using var temp = new TempDirectory();
        var copier = EseFileVerifier.CreateCopier(128 * 1024);
        CopiedFile copied;
        await using (var reader = LocalFileReader.Open(path))
        {
            copied = await copier.CopyAsync(reader, path, "SRUDB.dat", temp.Combine("SRUDB.dat"), null, CancellationToken.None);
        }

        var verified = await EseFileVerifier.VerifyAsync(copier, path, null, null, CancellationToken.None);
        Assert.Same(verified.GetType(), copied.Verification.Detail!.GetType());
        Assert.Equal(copied.Verification.Detail.UnitsChecked, verified.UnitsChecked);
        Assert.Equal(copied.Verification.Detail.Findings.Count, verified.Findings.Count);
        Assert.Equal(verified.UnitsChecked - verified.UnitsCorrupt, copied.Verification.UnitsChecked);
        Assert.Equal(new FileInfo(path).Length, verified.Bytes);
    }

    [Fact]
    public async Task The_verify_only_pass_finds_what_the_copy_pass_finds_in_a_damaged_file_and_hashes_nothing()
    {
        // Verify-only runs the checks on its second thread (nothing to hash); they must still see every chunk in order.
        using var temp = new TempDirectory();
        var path = temp.Combine("SRUDB.dat");
        File.Copy(TestData.Ese("srum-win11-dirty-with-logs", "SRUDB.dat"), path);
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            foreach (var offset in new[] { (5L * 4096) + 700, (40L * 4096) + 9, file.Length - 3000 })
            {
                file.Position = offset;
                var b = file.ReadByte();
                file.Position = offset;
                file.WriteByte((byte)(b ^ 0x5A));
            }
        }

        var copier = EseFileVerifier.CreateCopier(64 * 1024);
        CopiedFile copied;
        await using (var reader = LocalFileReader.Open(path))
        {
            copied = await copier.CopyAsync(reader, path, "SRUDB.dat", temp.Combine("copy.dat"), null, CancellationToken.None);
        }

        CopiedFile verifiedOnly;
        await using (var reader = LocalFileReader.Open(path))
        {
            verifiedOnly = await copier.VerifyAsync(reader, path, "SRUDB.dat", null, CancellationToken.None);
        }

        Assert.Equal(string.Empty, verifiedOnly.Sha256);
        Assert.Equal(copied.Length, verifiedOnly.Length);
        Assert.True(copied.Verification.Detail!.UnitsCorrupt >= 3, $"{copied.Verification.Detail.UnitsCorrupt} corrupt units");
        Assert.Equal(copied.Verification.Detail.UnitsCorrupt, verifiedOnly.Verification.Detail!.UnitsCorrupt);
        Assert.Equal(
            copied.Verification.Detail.Findings.Select(f => f.ToString()),
            verifiedOnly.Verification.Detail.Findings.Select(f => f.ToString()));
    }

    [Theory]
    [InlineData("srum-win11-dirty-with-logs")]
    [InlineData("srum-win10-clean-with-logs")]
    [InlineData("srum-server2022-first-generations")]
    [InlineData("catroot2-winxp-with-logs")]
    [InlineData("ntds-temp-win2012r2")]
    [InlineData("ual-hyperv-pc/SystemIdentity.mdb")]
    [InlineData("esent-api-samples/basic.edb")]
    public async Task Complete_real_sets_verify_without_corruption_or_warnings(string folder)
    {
        var path = TestData.Ese(folder.Split('/'));
        var report = await _service.VerifyAsync(new VerifyFilesRequest([path]));

        Assert.False(report.HasCorruption, Describe(report));
        Assert.False(report.HasErrors);
        Assert.DoesNotContain(report.CrossFileFindings, f => f.Severity != FindingSeverity.Info);
        Assert.All(report.Files, f => Assert.DoesNotContain(f.Findings, x => x.Severity != FindingSeverity.Info));
        Assert.Equal(File.Exists(path) ? 1 : Directory.GetFiles(path, "*", SearchOption.AllDirectories).Length, report.Files.Count);
    }

    [Fact]
    public async Task Two_copies_of_one_log_stream_side_by_side_verify_without_error()
    {
        // A full set and a copy of its logs in another folder: the same generations twice, one stream.
        using var temp = new TempDirectory();
        var source = TestData.Ese("srum-win11-dirty-with-logs");
        var full = temp.Combine("full");
        var logsOnly = temp.Combine("logs-again");
        Directory.CreateDirectory(full);
        Directory.CreateDirectory(logsOnly);
        foreach (var file in Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(full, Path.GetFileName(file)));
            if (file.EndsWith(".log", StringComparison.OrdinalIgnoreCase))
            {
                File.Copy(file, Path.Combine(logsOnly, Path.GetFileName(file)));
            }
        }

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        Assert.False(report.HasCorruption, Describe(report));
        Assert.False(report.HasErrors, Describe(report));
        Assert.DoesNotContain(report.CrossFileFindings, f => f.Code == FindingCodes.RequiredLogMissing);
    }

    [Fact]
    public async Task A_gzip_file_is_not_ese()
    {
        var report = await _service.VerifyAsync(new VerifyFilesRequest([TestData.Ese("esent-api-samples", "large.edb.gz")]));

        var file = Assert.Single(report.Files);
        Assert.Equal("notEse", file.Kind);
        Assert.Equal(FindingSeverity.Warning, Assert.Single(file.Findings).Severity);
        Assert.False(report.HasCorruption);
    }

    [Fact]
    public async Task Directory_report_names_kinds_and_units()
    {
        var report = await _service.VerifyAsync(new VerifyFilesRequest([TestData.Ese("srum-win10-clean-with-logs")]));

        var db = report.Files.Single(f => f.Path.EndsWith("SRUDB.dat", StringComparison.Ordinal));
        Assert.Equal("database", db.Kind);
        Assert.Equal("page", db.Unit);
        Assert.True(db.UnitsChecked > 0 && db.UnitsUninitialized > 0);
        Assert.Equal((db.UnitsChecked + db.UnitsUninitialized + 2) * 4096, db.Bytes);

        var log = report.Files.Single(f => f.Path.EndsWith("SRU0001A.log", StringComparison.Ordinal));
        Assert.Equal(("log", "segment"), (log.Kind, log.Unit));
        Assert.Equal(15, log.UnitsChecked + log.UnitsUninitialized);

        Assert.Equal("checkpoint", report.Files.Single(f => f.Path.EndsWith(".chk", StringComparison.Ordinal)).Kind);
        Assert.Equal("flushMap", report.Files.Single(f => f.Path.EndsWith(".jfm", StringComparison.Ordinal)).Kind);
        Assert.Equal("temporaryLog", report.Files.Single(f => f.Path.EndsWith("SRUtmp.log", StringComparison.Ordinal)).Kind);
        Assert.All(report.Files.Where(f => f.Path.EndsWith(".jrs", StringComparison.Ordinal)), f => Assert.Equal("reserveLog", f.Kind));
    }

    [Fact]
    public async Task Xp_logs_are_verified_by_checksum_records()
    {
        var report = await _service.VerifyAsync(new VerifyFilesRequest([TestData.Ese("catroot2-winxp-with-logs", "edb0007F.log")]));

        var log = Assert.Single(report.Files);
        Assert.Equal(("log", "record"), (log.Kind, log.Unit));
        Assert.True(log.UnitsChecked > 10);
        Assert.Empty(log.Findings);
    }

    [Fact]
    public async Task Dirty_database_without_its_logs_gets_a_warning_not_corruption()
    {
        // SOURCES.md: Current.mdb is DirtyShutdown and needs generation 124; the logs are not in the set.
        var report = await _service.VerifyAsync(new VerifyFilesRequest([TestData.Ese("ual-hyperv-pc")]));

        Assert.False(report.HasCorruption);
        var f = Assert.Single(report.CrossFileFindings);
        Assert.Equal(FindingCodes.RequiredLogsNotVerified, f.Code);
        Assert.Equal(FindingSeverity.Warning, f.Severity);
        Assert.EndsWith("Current.mdb", f.File, StringComparison.Ordinal);
        Assert.Equal(124, f.Generation);
    }

    [Fact]
    public async Task Missing_path_is_an_error_not_an_exception()
    {
        var missing = Path.Combine(TestData.EseRoot, "no-such-folder");
        var report = await _service.VerifyAsync(new VerifyFilesRequest([missing, TestData.Ese("srum-server2022-first-generations", "SRU.chk")]));

        Assert.True(report.HasErrors);
        var error = Assert.Single(report.Errors);
        Assert.Equal(ErrorCodes.FileNotFound, error.Code);
        Assert.Equal(missing, error.File);
        Assert.Single(report.Files);
    }

    [Fact]
    public async Task Progress_runs_from_begin_to_complete_with_byte_counts()
    {
        var reports = new List<OperationProgress>();
        var dir = TestData.Ese("srum-server2022-first-generations");
        await _service.VerifyAsync(new VerifyFilesRequest([dir]), new SyncProgress(reports.Add));

        Assert.Equal(ProgressPhase.Begin, reports[0].Phase);
        Assert.Equal(ProgressPhase.Complete, reports[^1].Phase);
        var total = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length);
        Assert.Equal(total, reports[^1].BytesTotal);
        Assert.Equal(total, reports[^1].BytesDone);
        Assert.Equal(6, reports[^1].FilesDone);
        Assert.All(reports, r => Assert.Equal(OperationKind.Verify, r.Operation));
    }

    [Fact]
    public async Task Cancellation_reports_fail_and_throws()
    {
        var reports = new List<OperationProgress>();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => _service.VerifyAsync(new VerifyFilesRequest([TestData.Ese("srum-server2022-first-generations")]), new SyncProgress(reports.Add), cts.Token));

        Assert.Equal(ProgressPhase.Fail, reports[^1].Phase);
    }

    [Fact]
    public async Task Deleted_middle_log_is_a_generation_gap()
    {
        using var temp = CopySet("srum-win10-clean-with-logs");
        File.Delete(temp.Combine("SRU0001C.log"));

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var gap = Assert.Single(report.CrossFileFindings);
        Assert.Equal(FindingCodes.LogGenerationGap, gap.Code);
        Assert.Equal(28, gap.Generation);
        Assert.Equal(-557, gap.EseError);
        Assert.True(report.HasCorruption);
    }

    [Fact]
    public async Task Missing_required_log_of_a_dirty_database_is_corruption()
    {
        // SRUDB.dat needs generation 92 (SRU.log); remove it and keep the older ones.
        using var temp = CopySet("srum-win11-dirty-with-logs");
        File.Delete(temp.Combine("SRU.log"));

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var missing = report.CrossFileFindings.Single(f => f.Code == FindingCodes.RequiredLogMissing);
        Assert.Equal(92, missing.Generation);
        Assert.Equal(-543, missing.EseError);
        Assert.Contains(report.CrossFileFindings, f => f.Code == FindingCodes.CheckpointLogMissing && f.Generation == 92);
    }

    [Fact]
    public async Task Log_from_another_stream_is_a_signature_mismatch()
    {
        using var temp = CopySet("srum-win10-clean-with-logs");
        File.Copy(TestData.Ese("srum-win11-dirty-with-logs", "SRU0005A.log"), temp.Combine("SRU0005A.log"));

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var f = report.CrossFileFindings.Single(x => x.Code == FindingCodes.LogSignatureMismatch);
        Assert.EndsWith("SRU0005A.log", f.File, StringComparison.Ordinal);
        Assert.Equal(-555, f.EseError);
    }

    [Fact]
    public async Task Wrong_previous_generation_time_breaks_contiguity()
    {
        using var temp = CopySet("srum-win10-clean-with-logs");
        RewriteLogHeader(temp.Combine("SRU0001B.log"), h => h[24] ^= 1);

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var f = Assert.Single(report.CrossFileFindings);
        Assert.Equal(FindingCodes.LogNotContiguous, f.Code);
        Assert.Equal(27, f.Generation);
        Assert.DoesNotContain(report.Files, x => x.Findings.Count > 0);
    }

    [Fact]
    public async Task Rewritten_segment_with_a_valid_checksum_breaks_the_sequence_checksum()
    {
        // A segment of generation 26 replaced by other, validly checksummed bytes: each file still verifies alone,
        // but generation 27's header remembers the old segment checksums.
        using var temp = CopySet("srum-win10-clean-with-logs");
        var path = temp.Combine("SRU0001A.log");
        var bytes = File.ReadAllBytes(path);
        var seg = bytes.AsSpan(5 * 4096, 4096);
        seg[1000] ^= 0xFF;
        BinaryPrimitives.WriteUInt64LittleEndian(seg, XeChecksum.Compute(seg, 5, headerBlock: true));
        File.WriteAllBytes(path, bytes);

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var f = Assert.Single(report.CrossFileFindings);
        Assert.Equal(FindingCodes.LogSequenceChecksumMismatch, f.Code);
        Assert.Equal(27, f.Generation);
        Assert.Equal(-590, f.EseError);
    }

    [Fact]
    public async Task Renamed_log_reports_generation_mismatch()
    {
        using var temp = new TempDirectory();
        File.Copy(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"), temp.Combine("SRU0001B.log"));

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var f = Assert.Single(Assert.Single(report.Files).Findings);
        Assert.Equal(FindingCodes.LogGenerationMismatch, f.Code);
        Assert.Equal(-513, f.EseError);
        Assert.Equal("27", f.Expected);
        Assert.Equal("26", f.Actual);
    }

    [Fact]
    public async Task Non_ese_and_empty_files_are_reported_as_such()
    {
        using var temp = new TempDirectory();
        await File.WriteAllTextAsync(temp.Combine("readme.txt"), "hello, not a database");
        await File.WriteAllBytesAsync(temp.Combine("empty.bin"), []);
        await File.WriteAllBytesAsync(temp.Combine("SRUDB.pat"), []);

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        Assert.False(report.HasCorruption);
        Assert.Equal("notEse", report.Files.Single(f => f.Path.EndsWith("readme.txt", StringComparison.Ordinal)).Kind);
        Assert.Equal(FindingCodes.NotEseFile, report.Files.Single(f => f.Path.EndsWith("readme.txt", StringComparison.Ordinal)).Findings.Single().Code);
        Assert.Equal("empty", report.Files.Single(f => f.Path.EndsWith("empty.bin", StringComparison.Ordinal)).Kind);
        var patch = report.Files.Single(f => f.Path.EndsWith(".pat", StringComparison.Ordinal));
        Assert.Equal("patch", patch.Kind);
        Assert.Empty(patch.Findings);
    }

    [Fact]
    public async Task Truncated_log_is_corruption()
    {
        using var temp = new TempDirectory();
        var bytes = File.ReadAllBytes(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"));
        await File.WriteAllBytesAsync(temp.Combine("SRU0001A.log"), bytes[..(10 * 4096)]);

        var report = await _service.VerifyAsync(new VerifyFilesRequest([temp.Path]));

        var f = Assert.Single(Assert.Single(report.Files).Findings);
        Assert.Equal(FindingCodes.TruncatedFile, f.Code);
        Assert.Equal("65536", f.Expected);
        Assert.Equal("40960", f.Actual);
    }

    internal static TempDirectory CopySet(string folder)
    {
        var temp = new TempDirectory();
        foreach (var f in Directory.GetFiles(TestData.Ese(folder)))
        {
            var target = temp.Combine(Path.GetFileName(f));
            File.Copy(f, target);
            File.SetAttributes(target, FileAttributes.Normal);
        }

        return temp;
    }

    private static void RewriteLogHeader(string path, Action<byte[]> change)
    {
        var bytes = File.ReadAllBytes(path);
        var header = bytes[..4096];
        change(header);
        XorChecksum.Stamp(header);
        header.CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
    }

    private static string Describe(FileVerificationReport report) =>
        string.Join(Environment.NewLine, report.CrossFileFindings.Concat(report.Files.SelectMany(f => f.Findings)).Select(f => $"{f.File}: {f.Code} {f.Message}"));

    private sealed class SyncProgress(Action<OperationProgress> report) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => report(value);
    }
}
