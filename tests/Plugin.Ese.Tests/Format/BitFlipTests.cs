using CsCheck;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>
/// Property: one bit flipped anywhere in a used page, log segment, log record or header of a real file is reported,
/// at exactly that place. Each file gets many random positions; the expected place comes from <see cref="CorruptionModel"/>.
/// </summary>
public class BitFlipTests
{
    public static TheoryData<string> FlippableNames() =>
    [
        .. RealFiles.All
            .Where(f => f.Kind is EseFileKind.Database or EseFileKind.Log or EseFileKind.TemporaryLog or EseFileKind.Checkpoint or EseFileKind.FlushMap)
            .Where(f => f.RelativePath != "ntds-temp-win2012r2/temp.edb")
            .Select(f => f.RelativePath),
    ];

    [Theory]
    [MemberData(nameof(FlippableNames))]
    public void A_flipped_bit_is_reported_where_it_is(string name)
    {
        var file = RealFiles.Get(name);
        var bytes = File.ReadAllBytes(file.Path);
        var model = CorruptionModel.Build(bytes, file.Kind, file.PageSize);
        Assert.NotEmpty(model.Regions);
        var expectedSeverity = file.Kind == EseFileKind.TemporaryLog ? FindingSeverity.Warning : FindingSeverity.Corruption;

        Gen.Select(Gen.Int[0, model.Regions.Count - 1], Gen.Long, Gen.Int).Sample(
            (regionIndex, r, seed) =>
            {
                var region = model.Regions[regionIndex];
                var bit = (region.Start * 8) + (long)((ulong)r % (ulong)(region.Length * 8));
                var result = model.VerifyWithFlip(file.FileName, bit, new Random(seed));
                region.AssertReported(result, bit);
                Assert.Equal(expectedSeverity, result.Findings.Single(f => f.Severity != FindingSeverity.Info).Severity);
            },
            iter: file.Gzipped ? 40 : 200,
            threads: 1);
    }

    [Fact]
    public void A_flip_that_turns_a_flush_maps_file_type_into_a_logs_keeps_it_a_flush_map()
    {
        // Found by the property above (seed 0TbgmLLEehz1): bit 2 of the type at offset 667 makes 7 (flush map) a 3 (log).
        var file = RealFiles.Get("srum-win11-dirty-with-logs/SRUDB.jfm");
        var model = CorruptionModel.Build(File.ReadAllBytes(file.Path), file.Kind, file.PageSize);

        var result = model.VerifyWithFlip(file.FileName, (DatabaseHeader.FileTypeOffset * 8) + 2, new Random(1));

        Assert.Equal(EseFileKind.FlushMap, result.Kind);
        Assert.Equal(FindingCodes.HeaderChecksumMismatch, result.Findings.Single(f => f.Severity != FindingSeverity.Info).Code);
    }

    [Theory]
    [MemberData(nameof(RealFiles.AllNames), MemberType = typeof(RealFiles))]
    public void Chunking_never_changes_the_verdict(string name)
    {
        var file = RealFiles.Get(name);
        var bytes = File.ReadAllBytes(file.Path);
        Gen.Int.Sample(
            seed =>
            {
                var result = CorruptionModel.VerifyInChunks(bytes, file.FileName, new Random(seed));
                Assert.DoesNotContain(result.Findings, f => f.Severity != FindingSeverity.Info);
                Assert.Equal(bytes.Length, result.Bytes);
            },
            iter: file.Gzipped ? 3 : 10,
            threads: 1);
    }

    [Theory]
    [InlineData("srum-win10-clean-with-logs/SRUDB.dat", 4096, 300)]
    [InlineData("bits-qmgr-win10/qmgr.db", 16384, 40)]
    public async Task A_flip_in_a_copy_on_disk_names_file_page_and_offset(string name, int pageSize, int pgno)
    {
        using var temp = new TempDirectory();
        var copy = temp.Combine(Path.GetFileName(name));
        File.Copy(RealFiles.Get(name).Path, copy);
        File.SetAttributes(copy, FileAttributes.Normal);
        var offset = ((long)(pgno + 1) * pageSize) + 1000;
        await using (var s = new FileStream(copy, FileMode.Open, FileAccess.ReadWrite))
        {
            s.Position = offset;
            var b = s.ReadByte();
            s.Position = offset;
            s.WriteByte((byte)(b ^ 0x10));
        }

        var result = await EseFileVerifier.VerifyAsync(copy);

        var f = Assert.Single(result.Findings);
        Assert.Equal(FindingCodes.PageChecksumMismatch, f.Code);
        Assert.Equal(FindingSeverity.Corruption, f.Severity);
        Assert.Equal(copy, f.File);
        Assert.Equal(pgno, f.Page);
        Assert.Equal((long)(pgno + 1) * pageSize, f.Offset);
        Assert.Equal(-1018, f.EseError);
        Assert.Equal((1000L * 8) + 4, f.CorrectableBit % (pageSize * 8L));
        Assert.NotEqual(f.Expected, f.Actual);
        Assert.Equal(1, result.UnitsCorrupt);
    }
}
