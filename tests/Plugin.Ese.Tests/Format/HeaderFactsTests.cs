using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>Parsed header facts equal the facts SOURCES.md states (decoded independently by hand and by esedbinfo).</summary>
public class HeaderFactsTests
{
    [Theory]
    [MemberData(nameof(RealFiles.DatabaseNames), MemberType = typeof(RealFiles))]
    public async Task Database_header_facts_match_sources(string name)
    {
        var file = RealFiles.Get(name);
        var result = await EseFileVerifier.VerifyAsync(file.Path);
        var h = result.Database!;

        Assert.Equal(HeaderCopy.Primary, result.HeaderCopyUsed);
        Assert.Equal(file.PageSize, h.PageSize);
        Assert.Equal(file.PageSize, result.PageSize);
        Assert.Equal(file.State, h.State);
        Assert.Equal(0x620u, h.FormatVersion);
        Assert.Equal(file.FormatRevision, h.FormatRevision);
        Assert.Equal(0x620u, h.CreateVersion);
        Assert.Equal(file.CreateRevision, h.CreateRevision);
        Assert.Equal(file.RequiredRange, h.RequiredLogRange);
        Assert.True(h.HasValidMagic);
        Assert.Equal(DatabaseHeader.DatabaseFileType, h.FileType);
    }

    [Fact]
    public async Task Database_creation_times_match_sources()
    {
        // SOURCES.md: "created 2022-03-05 16:20:02" (Win11 SRUM), "2014-06-07 23:09:07" (XP catdb, local time).
        var srum = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-win11-dirty-with-logs", "SRUDB.dat"));
        Assert.Equal(new DateTimeOffset(2022, 3, 5, 16, 20, 2, TimeSpan.Zero), Truncate(srum.Database!.Created.ToDateTimeOffset()));
        var xp = await EseFileVerifier.VerifyAsync(TestData.Ese("catroot2-winxp-with-logs", "{127D0A1D-4EF2-11D1-8608-00C04FC295EE}", "catdb"));
        Assert.Equal(new DateTimeOffset(2014, 6, 7, 23, 9, 7, TimeSpan.Zero), Truncate(xp.Database!.Created.ToDateTimeOffset()));
    }

    [Fact]
    public async Task Xp_databases_use_legacy_page_checksums_and_newer_ones_xe()
    {
        var xp = await EseFileVerifier.VerifyAsync(TestData.Ese("catroot2-winxp-with-logs", "{F750E6C3-38EE-11D1-85E5-00C04FC295EE}", "catdb"));
        Assert.True(xp.LegacyChecksumPages > 0);
        Assert.Equal(0, xp.XeChecksumPages);

        var win10 = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-win10-clean-with-logs", "SRUDB.dat"));
        Assert.True(win10.XeChecksumPages > 0);
        Assert.Equal(0, win10.LegacyChecksumPages);
    }

    [Theory]
    [MemberData(nameof(RealFiles.LogNames), MemberType = typeof(RealFiles))]
    public async Task Log_header_facts_match_sources(string name)
    {
        var file = RealFiles.Get(name);
        var result = await EseFileVerifier.VerifyAsync(file.Path);
        var h = result.Log!;

        Assert.True(result.LogHeaderValid);
        Assert.Equal(file.Generation, h.Generation);
        Assert.Equal(file.LogVersion, h.Version.ToString());
        Assert.Equal(LogFileHeader.LogFileType, h.FileType);
        Assert.Equal(4096, h.DatabasePageSize);
        Assert.Equal(new FileInfo(file.Path).Length, h.DeclaredFileLength);
        if (h.Version.IsSegmentFormat)
        {
            // SOURCES.md: v8 logs have 4096-byte sectors, 16 of them.
            Assert.Equal(4096, h.SectorSize);
            Assert.Equal(16, h.FileSectors);
            Assert.Equal(Unit.Segment, Map(result.Unit));
        }
        else
        {
            // SOURCES.md: XP logs have 512-byte sectors, 128 KiB files.
            Assert.Equal(512, h.SectorSize);
            Assert.Equal(256, h.FileSectors);
            Assert.Equal(8, h.HeaderSectors);
            Assert.Equal(Unit.Record, Map(result.Unit));
            Assert.True(result.UnitsChecked > 0);
        }
    }

    [Fact]
    public async Task Log_times_and_circular_logging_match_sources()
    {
        // SOURCES.md: SRU.log of the Win11 set was created 2022-07-03 02:10:42; SRU00001.log of Server 2022 has no previous-generation time.
        var log = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-win11-dirty-with-logs", "SRU.log"));
        Assert.Equal(new DateTimeOffset(2022, 7, 3, 2, 10, 42, TimeSpan.Zero), Truncate(log.Log!.Created.ToDateTimeOffset()));
        Assert.True(log.Log.Created.IsUtc);

        var first = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-server2022-first-generations", "SRU00001.log"));
        Assert.True(first.Log!.PreviousGenerationCreated.IsZero);
    }

    [Theory]
    [InlineData("srum-win11-dirty-with-logs/SRU.chk", 92, 8, 0)]
    [InlineData("srum-win10-clean-with-logs/SRU.chk", 32, 14, 0)]
    [InlineData("srum-server2022-first-generations/SRU.chk", 2, 2, 0)]
    [InlineData("catroot2-winxp-with-logs/edb.chk", 131, 47, 204)]
    [InlineData("ntds-temp-win2012r2/edb.chk", 3, 755, 0)]
    public async Task Checkpoint_positions_match_sources(string name, int generation, int sector, int offset)
    {
        var result = await EseFileVerifier.VerifyAsync(RealFiles.Get(name).Path);

        Assert.Equal(HeaderCopy.Primary, result.HeaderCopyUsed);
        Assert.Equal(new LogPosition((ushort)offset, (ushort)sector, generation), result.Checkpoint!.Checkpoint);
        Assert.Equal(CheckpointHeader.CheckpointFileType, result.Checkpoint.FileType);
    }

    [Fact]
    public async Task Log_signature_in_database_matches_logs_and_checkpoint()
    {
        // SOURCES.md: in the with-logs folders the database's log signature equals every log's and the checkpoint's.
        var db = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-win10-clean-with-logs", "SRUDB.dat"));
        var chk = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-win10-clean-with-logs", "SRU.chk"));
        var log = await EseFileVerifier.VerifyAsync(TestData.Ese("srum-win10-clean-with-logs", "SRU0001A.log"));

        Assert.Equal(db.Database!.LogSignature, chk.Checkpoint!.Signature);
        Assert.Equal(db.Database.LogSignature, log.Log!.Signature);
        Assert.False(db.Database.LogSignature.IsZero);
    }

    [Theory]
    [MemberData(nameof(RealFiles.DatabaseNames), MemberType = typeof(RealFiles))]
    public async Task Database_header_round_trips_byte_for_byte(string name)
    {
        var file = RealFiles.Get(name);
        var pageSize = file.PageSize!.Value;
        var original = new byte[pageSize];
        await using (var s = File.OpenRead(file.Path))
        {
            await s.ReadExactlyAsync(original);
        }

        var rewritten = new byte[pageSize];
        DatabaseHeader.Read(original).WritePage(rewritten);

        Assert.Equal(original, rewritten);
    }

    [Theory]
    [MemberData(nameof(RealFiles.LogNames), MemberType = typeof(RealFiles))]
    public async Task Log_header_round_trips_byte_for_byte(string name)
    {
        var original = new byte[LogFileHeader.Size];
        await using (var s = File.OpenRead(RealFiles.Get(name).Path))
        {
            await s.ReadExactlyAsync(original);
        }

        var rewritten = new byte[LogFileHeader.Size];
        LogFileHeader.Read(original).Write(rewritten);

        Assert.Equal(original, rewritten);
    }

    private static DateTimeOffset? Truncate(DateTimeOffset? t) =>
        t is { } v ? new DateTimeOffset(v.Year, v.Month, v.Day, v.Hour, v.Minute, v.Second, TimeSpan.Zero) : null;

    private enum Unit
    {
        Other,
        Segment,
        Record,
    }

    private static Unit Map(VerificationUnit unit) => unit switch
    {
        VerificationUnit.Segment => Unit.Segment,
        VerificationUnit.Record => Unit.Record,
        _ => Unit.Other,
    };
}
