using System.Buffers.Binary;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Tests.Format;

public class BuildingBlockTests
{
    [Fact]
    public void Log_time_decodes_fields_utc_bit_and_milliseconds()
    {
        // 2022-07-03 02:10:42.645 UTC: ms = 645 = 0b101_0000101 -> low 7 bits 0x05 in byte 6 (above the UTC bit), high 3 bits 0b101 in byte 7.
        byte[] raw = [42, 10, 2, 3, 7, 122, (0x05 << 1) | 1, 0b101 << 1];
        var t = LogTime.Read(raw);

        Assert.True(t.IsUtc);
        Assert.False(t.IsOsSnapshot);
        Assert.Equal(645, t.Millisecond);
        Assert.Equal(new DateTimeOffset(2022, 7, 3, 2, 10, 42, 645, TimeSpan.Zero), t.ToDateTimeOffset());
        Assert.Equal("2022-07-03T02:10:42.645Z", t.ToString());
        Assert.Equal(t, LogTime.FromDateTimeOffset(t.ToDateTimeOffset()!.Value));
    }

    [Fact]
    public void Log_time_handles_unset_invalid_and_snapshot_values()
    {
        Assert.Null(LogTime.None.ToDateTimeOffset());
        Assert.Equal("none", LogTime.None.ToString());
        var invalid = LogTime.Read([0, 0, 0, 31, 2, 100, 0, 0]); // 31 February
        Assert.Null(invalid.ToDateTimeOffset());
        Assert.StartsWith("0x", invalid.ToString(), StringComparison.Ordinal);
        Assert.True(LogTime.FromDateTimeOffset(DateTimeOffset.UnixEpoch, osSnapshot: true).IsOsSnapshot);
        Assert.Throws<ArgumentOutOfRangeException>(() => LogTime.FromDateTimeOffset(new DateTimeOffset(1850, 1, 1, 0, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Log_times_compare_field_by_field_ignoring_the_utc_bit()
    {
        var a = LogTime.FromDateTimeOffset(new DateTimeOffset(2022, 7, 3, 2, 10, 42, 100, TimeSpan.Zero));
        var b = LogTime.FromDateTimeOffset(new DateTimeOffset(2022, 7, 3, 2, 10, 42, 900, TimeSpan.Zero));
        var c = LogTime.FromDateTimeOffset(new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.True(LogTime.Compare(a, b) < 0);
        Assert.True(LogTime.Compare(c, b) > 0);
        Assert.Equal(0, LogTime.Compare(a, new LogTime(a.Raw & ~(1UL << 48))));
    }

    [Fact]
    public void Log_positions_sort_by_generation_then_sector_then_offset()
    {
        var p = new LogPosition(100, 2, 5);
        Assert.True(p < new LogPosition(0, 3, 5));
        Assert.True(p < new LogPosition(0, 0, 6));
        Assert.True(p > new LogPosition(99, 2, 5));
        Assert.Equal("(0x5,2,100)", p.ToString());
        var bytes = new byte[8];
        p.Write(bytes);
        Assert.Equal(p.SortKey, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal(p, LogPosition.Read(bytes));
        Assert.Equal((2 * 4096) + 100, p.FileOffset(4096));
    }

    [Fact]
    public void Signature_text_form_is_stable_and_escapes_odd_name_bytes()
    {
        var created = LogTime.FromDateTimeOffset(new DateTimeOffset(2022, 3, 5, 16, 20, 2, 7, TimeSpan.Zero));
        var s = EseSignature.Create(0x2589C402, created, "DESKTOP-1");
        Assert.Equal("2589c402-2022-03-05T16:20:02.007Z-DESKTOP-1", s.ToString());
        Assert.Equal("DESKTOP-1", s.ComputerName);

        var odd = EseSignature.Create(1, created, "A B/\u00e9");
        Assert.Equal("00000001-2022-03-05T16:20:02.007Z-A%20B%2F%E9", odd.ToString());
        Assert.Equal("none", default(EseSignature).ToString());

        var bytes = new byte[EseSignature.Size];
        s.Write(bytes);
        Assert.Equal(s, EseSignature.Read(bytes));
        bytes[27] = 1;
        Assert.NotEqual(s, EseSignature.Read(bytes));
    }

    [Theory]
    [InlineData("edb.log", "Current", "edb", null)]
    [InlineData("SRU.jtx", "Current", "SRU", null)]
    [InlineData("edb0001A.log", "Archived", "edb", 0x1AL)]
    [InlineData("edb0001a.log", "Archived", "edb", 0x1AL)]
    [InlineData("E0000000101.log", "Archived", "E00", 0x101L)]
    [InlineData("SRU00059.jsl", "Archived", "SRU", 0x59L)]
    [InlineData("edbtmp.log", "Temporary", "edb", null)]
    [InlineData("SRUtmp.jtx", "Temporary", "SRU", null)]
    [InlineData("SRUres00001.jrs", "Reserve", "SRU", null)]
    [InlineData("res1.log", "LegacyReserve", "", null)]
    [InlineData("RES2.LOG", "LegacyReserve", "", null)]
    [InlineData("edb.chk", "Checkpoint", "edb", null)]
    [InlineData("edb.jcp", "Checkpoint", "edb", null)]
    public void Log_file_names_parse(string name, string kind, string baseName, long? generation)
    {
        var parsed = LogFileName.TryParse(name);
        Assert.NotNull(parsed);
        Assert.Equal(kind, parsed.Kind.ToString());
        Assert.Equal(baseName, parsed.BaseName);
        Assert.Equal(generation, parsed.Generation);
    }

    [Theory]
    [InlineData("edb001A.log")]
    [InlineData("edb0001G.log")]
    [InlineData("SRUDB.dat")]
    [InlineData("edbres1.jrs")]
    [InlineData("ed.log")]
    [InlineData("catdb")]
    public void Other_names_are_not_log_names(string name) => Assert.Null(LogFileName.TryParse(name));

    [Fact]
    public void Archived_names_use_five_digits_while_they_fit()
    {
        Assert.Equal("edb0001A.log", LogFileName.ArchivedName("edb", 0x1A));
        Assert.Equal("edbFFFFF.log", LogFileName.ArchivedName("edb", 0xFFFFF));
        Assert.Equal("edb00100000.log", LogFileName.ArchivedName("edb", 0x100000));
    }

    [Fact]
    public void Attach_info_lists_stop_at_the_terminator_and_survive_overruns()
    {
        var area = new byte[AttachInfo.ListAreaSize];
        var entry = new AttachInfo(1, AttachInfo.UnicodeNamesFlag, 5, 6, 7, new LogPosition(0, 1, 2), new LogPosition(0, 3, 4), default, @"C:\db\x.edb");
        AttachInfo.WriteList([entry, entry with { DatabaseId = 2, Path = "y.edb" }], area);
        var list = AttachInfo.ReadList(area);
        Assert.True(list.IsWellFormed);
        Assert.Equal([@"C:\db\x.edb", "y.edb"], list.Entries.Select(e => e.Path));

        // A name length that runs past the area ends the list without throwing.
        BinaryPrimitives.WriteUInt16LittleEndian(area.AsSpan(2), 60000);
        var broken = AttachInfo.ReadList(area);
        Assert.False(broken.IsWellFormed);
        Assert.Empty(broken.Entries);
    }
}
