using System.Runtime.InteropServices;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>
/// Pins every structure's size and field offsets, and every constant's value, to the tables of
/// reference/ese-backup-api.md §1–§4. Offsets for x86 are asserted when the test runs as a 32-bit process.
/// </summary>
public class EsentLayoutTests
{
    private static readonly bool Is64 = IntPtr.Size == 8;

    private static int Off<T>(string field) => (int)Marshal.OffsetOf<T>(field);

    [Fact]
    public unsafe void Byte_packed_structs_match_the_reference()
    {
        Assert.Equal(8, Marshal.SizeOf<JetLgpos>());
        Assert.Equal(8, sizeof(JetLgpos));
        Assert.Equal(0, Off<JetLgpos>(nameof(JetLgpos.Ib)));
        Assert.Equal(2, Off<JetLgpos>(nameof(JetLgpos.Isec)));
        Assert.Equal(4, Off<JetLgpos>(nameof(JetLgpos.Generation)));

        Assert.Equal(8, Marshal.SizeOf<JetLogTime>());
        Assert.Equal(5, Off<JetLogTime>(nameof(JetLogTime.YearSince1900)));
        Assert.Equal(7, Off<JetLogTime>(nameof(JetLogTime.Filler2)));

        Assert.Equal(28, Marshal.SizeOf<JetSignature>());
        Assert.Equal(28, sizeof(JetSignature));
        Assert.Equal(0, Off<JetSignature>(nameof(JetSignature.Random)));
        Assert.Equal(4, Off<JetSignature>(nameof(JetSignature.CreateTime)));
        Assert.Equal(12, Off<JetSignature>(nameof(JetSignature.ComputerName)));

        Assert.Equal(24, Marshal.SizeOf<JetBkInfo>());
        Assert.Equal(0, Off<JetBkInfo>(nameof(JetBkInfo.Mark)));
        Assert.Equal(8, Off<JetBkInfo>(nameof(JetBkInfo.MarkTime)));
        Assert.Equal(16, Off<JetBkInfo>(nameof(JetBkInfo.GenLow)));
        Assert.Equal(20, Off<JetBkInfo>(nameof(JetBkInfo.GenHigh)));
    }

    [Fact]
    public unsafe void Snprog_and_loginfo_are_the_same_on_every_platform()
    {
        Assert.Equal(12, Marshal.SizeOf<JetSnProg>());
        Assert.Equal(0, Off<JetSnProg>(nameof(JetSnProg.StructSize)));
        Assert.Equal(4, Off<JetSnProg>(nameof(JetSnProg.UnitsDone)));
        Assert.Equal(8, Off<JetSnProg>(nameof(JetSnProg.UnitsTotal)));

        Assert.Equal(20, Marshal.SizeOf<JetLogInfoW>());
        Assert.Equal(20, sizeof(JetLogInfoW));
        Assert.Equal(0, Off<JetLogInfoW>(nameof(JetLogInfoW.Size)));
        Assert.Equal(4, Off<JetLogInfoW>(nameof(JetLogInfoW.GenLow)));
        Assert.Equal(8, Off<JetLogInfoW>(nameof(JetLogInfoW.GenHigh)));
        Assert.Equal(12, Off<JetLogInfoW>(nameof(JetLogInfoW.BaseName)));
        Assert.Equal(20u, JetLogInfoW.Create().Size);
    }

    [Fact]
    public unsafe void Instance_info_matches_the_reference()
    {
        Assert.Equal(Is64 ? 48 : 24, Marshal.SizeOf<JetInstanceInfoW>());
        Assert.Equal(Is64 ? 48 : 24, sizeof(JetInstanceInfoW));
        Assert.Equal(0, Off<JetInstanceInfoW>(nameof(JetInstanceInfoW.InstanceId)));
        Assert.Equal(Is64 ? 8 : 4, Off<JetInstanceInfoW>(nameof(JetInstanceInfoW.InstanceName)));
        Assert.Equal(Is64 ? 16 : 8, Off<JetInstanceInfoW>(nameof(JetInstanceInfoW.DatabaseCount)));
        Assert.Equal(Is64 ? 24 : 12, Off<JetInstanceInfoW>(nameof(JetInstanceInfoW.DatabaseFileNames)));
        Assert.Equal(Is64 ? 32 : 16, Off<JetInstanceInfoW>(nameof(JetInstanceInfoW.DatabaseDisplayNames)));
        Assert.Equal(Is64 ? 40 : 20, Off<JetInstanceInfoW>(nameof(JetInstanceInfoW.DatabaseSlvFileNamesObsolete)));
    }

    [Fact]
    public unsafe void Restore_map_and_restore_info_match_the_reference()
    {
        Assert.Equal(Is64 ? 16 : 8, Marshal.SizeOf<JetRstMapW>());
        Assert.Equal(0, Off<JetRstMapW>(nameof(JetRstMapW.DatabaseName)));
        Assert.Equal(Is64 ? 8 : 4, Off<JetRstMapW>(nameof(JetRstMapW.NewDatabaseName)));

        Assert.Equal(Is64 ? 48 : 32, Marshal.SizeOf<JetRstInfoW>());
        Assert.Equal(Is64 ? 48 : 32, sizeof(JetRstInfoW));
        Assert.Equal(0, Off<JetRstInfoW>(nameof(JetRstInfoW.StructSize)));
        Assert.Equal(Is64 ? 8 : 4, Off<JetRstInfoW>(nameof(JetRstInfoW.RestoreMap)));
        Assert.Equal(Is64 ? 16 : 8, Off<JetRstInfoW>(nameof(JetRstInfoW.RestoreMapCount)));
        Assert.Equal(Is64 ? 20 : 12, Off<JetRstInfoW>(nameof(JetRstInfoW.StopPosition)));
        Assert.Equal(Is64 ? 28 : 20, Off<JetRstInfoW>(nameof(JetRstInfoW.StopTime)));
        Assert.Equal(Is64 ? 40 : 28, Off<JetRstInfoW>(nameof(JetRstInfoW.Status)));
    }

    [Fact]
    public void Handle_types_are_pointer_sized()
    {
        Assert.Equal(IntPtr.Size, Marshal.SizeOf<nuint>());
        Assert.Equal(unchecked((nuint)(-1)), JetConstants.InstanceNil);
        Assert.Equal(unchecked((nuint)(-1)), JetConstants.SesidNil);
    }

    [Theory]
    [InlineData((uint)JetBackupGrbit.Incremental, 0x1u)]
    [InlineData((uint)JetBackupGrbit.KeepOldLogs, 0x2u)]
    [InlineData((uint)JetBackupGrbit.Atomic, 0x4u)]
    [InlineData((uint)JetBackupGrbit.FullWithAllLogs, 0x8u)]
    [InlineData((uint)JetBackupGrbit.Snapshot, 0x10u)]
    [InlineData((uint)JetBackupGrbit.Surrogate, 0x20u)]
    [InlineData((uint)JetBackupGrbit.InternalCopy, 0x40u)]
    public void Backup_grbits(uint actual, uint value) => Assert.Equal(value, actual);

    [Theory]
    [InlineData((uint)JetBackupEndGrbit.Normal, 0x1u)]
    [InlineData((uint)JetBackupEndGrbit.Abort, 0x2u)]
    [InlineData((uint)JetBackupEndGrbit.TruncateDone, 0x100u)]
    [InlineData((uint)JetBackupEndGrbit.NoDbHeaderUpdate, 0x200u)]
    public void End_grbits(uint actual, uint value) => Assert.Equal(value, actual);

    [Fact]
    public void Snapshot_grbits()
    {
        Assert.Equal(0x1u, (uint)JetSnapshotGrbit.IncrementalSnapshot);
        Assert.Equal(0x2u, (uint)JetSnapshotGrbit.CopySnapshot);
        Assert.Equal(0x4u, (uint)JetSnapshotGrbit.ContinueAfterThaw);
        Assert.Equal(0x8u, (uint)JetSnapshotGrbit.ExplicitPrepare);
        Assert.Equal(0x1u, (uint)JetSnapshotGrbit.AllDatabasesSnapshot);
        Assert.Equal(0x1u, (uint)JetSnapshotGrbit.AbortSnapshot);
    }

    [Theory]
    [InlineData((uint)JetInitGrbit.ReplayIgnoreMissingDB, 0x4u)]
    [InlineData((uint)JetInitGrbit.RecoveryWithoutUndo, 0x8u)]
    [InlineData((uint)JetInitGrbit.TruncateLogsAfterRecovery, 0x10u)]
    [InlineData((uint)JetInitGrbit.ReplayMissingMapEntryDB, 0x20u)]
    [InlineData((uint)JetInitGrbit.LogStreamMustExist, 0x40u)]
    [InlineData((uint)JetInitGrbit.ReplayIgnoreLostLogs, 0x80u)]
    [InlineData((uint)JetInitGrbit.AllowMissingCurrentLog, 0x100u)]
    [InlineData((uint)JetInitGrbit.AllowSoftRecoveryOnBackup, 0x200u)]
    [InlineData((uint)JetInitGrbit.SkipLostLogsEvent, 0x400u)]
    [InlineData((uint)JetInitGrbit.ExternalRecoveryControl, 0x800u)]
    [InlineData((uint)JetInitGrbit.KeepDbAttachedAtEndOfRecovery, 0x1000u)]
    public void Init_grbits(uint actual, uint value) => Assert.Equal(value, actual);

    [Theory]
    [InlineData((uint)JetTermGrbit.Complete, 0x1u)]
    [InlineData((uint)JetTermGrbit.Abrupt, 0x2u)]
    [InlineData((uint)JetTermGrbit.StopBackup, 0x4u)]
    [InlineData((uint)JetTermGrbit.Dirty, 0x8u)]
    public void Term_grbits(uint actual, uint value) => Assert.Equal(value, actual);

    [Theory]
    [InlineData((uint)JetStopServiceGrbit.All, 0x0u)]
    [InlineData((uint)JetStopServiceGrbit.BackgroundUserTasks, 0x2u)]
    [InlineData((uint)JetStopServiceGrbit.QuiesceCaches, 0x4u)]
    [InlineData((uint)JetStopServiceGrbit.StopAndEmitLog, 0x8u)]
    [InlineData((uint)JetStopServiceGrbit.Resume, 0x80000000u)]
    public void Stop_service_grbits(uint actual, uint value) => Assert.Equal(value, actual);

    [Theory]
    [InlineData((uint)JetSnp.Repair, 2u)]
    [InlineData((uint)JetSnp.Compact, 4u)]
    [InlineData((uint)JetSnp.Restore, 8u)]
    [InlineData((uint)JetSnp.Backup, 9u)]
    [InlineData((uint)JetSnp.Upgrade, 10u)]
    [InlineData((uint)JetSnp.Scrub, 11u)]
    [InlineData((uint)JetSnp.UpgradeRecordFormat, 12u)]
    public void Status_operations(uint actual, uint value) => Assert.Equal(value, actual);

    [Theory]
    [InlineData((uint)JetSnt.Progress, 0u)]
    [InlineData((uint)JetSnt.Fail, 3u)]
    [InlineData((uint)JetSnt.Begin, 5u)]
    [InlineData((uint)JetSnt.Complete, 6u)]
    [InlineData((uint)JetSnt.Requirements, 7u)]
    public void Status_events(uint actual, uint value) => Assert.Equal(value, actual);

    [Theory]
    [InlineData((uint)JetParam.SystemPath, 0u)]
    [InlineData((uint)JetParam.TempPath, 1u)]
    [InlineData((uint)JetParam.LogFilePath, 2u)]
    [InlineData((uint)JetParam.BaseName, 3u)]
    [InlineData((uint)JetParam.EventSource, 4u)]
    [InlineData((uint)JetParam.LogFileSize, 11u)]
    [InlineData((uint)JetParam.LogBuffers, 12u)]
    [InlineData((uint)JetParam.CircularLog, 17u)]
    [InlineData((uint)JetParam.CheckpointDepthMax, 24u)]
    [InlineData((uint)JetParam.Recovery, 34u)]
    [InlineData((uint)JetParam.EnableIndexChecking, 45u)]
    [InlineData((uint)JetParam.DeleteOldLogs, 48u)]
    [InlineData((uint)JetParam.NoInformationEvent, 50u)]
    [InlineData((uint)JetParam.DeleteOutOfRangeLogs, 52u)]
    [InlineData((uint)JetParam.EnableIndexCleanup, 54u)]
    [InlineData((uint)JetParam.LogFileFailoverPath, 61u)]
    [InlineData((uint)JetParam.DatabasePageSize, 64u)]
    [InlineData((uint)JetParam.BackupChunkSize, 66u)]
    [InlineData((uint)JetParam.BackupOutstandingReads, 67u)]
    [InlineData((uint)JetParam.ErrorToString, 70u)]
    [InlineData((uint)JetParam.ZeroDatabaseDuringBackup, 71u)]
    [InlineData((uint)JetParam.CleanupMismatchedLogFiles, 77u)]
    [InlineData((uint)JetParam.OSSnapshotTimeout, 82u)]
    [InlineData((uint)JetParam.ExceptionAction, 98u)]
    [InlineData((uint)JetParam.CreatePathIfNotExist, 100u)]
    [InlineData((uint)JetParam.MaxInstances, 104u)]
    [InlineData((uint)JetParam.AlternateDatabaseRecoveryPath, 113u)]
    [InlineData((uint)JetParam.EnableFileCache, 126u)]
    [InlineData((uint)JetParam.Configuration, 129u)]
    [InlineData((uint)JetParam.EnableAdvanced, 130u)]
    [InlineData((uint)JetParam.LegacyFileNames, 136u)]
    [InlineData((uint)JetParam.EngineFormatVersion, 194u)]
    public void System_parameters(uint actual, uint value) => Assert.Equal(value, actual);

    [Fact]
    public void Other_constants()
    {
        Assert.Equal(0x1u, (uint)JetLegacyFileNames.Ese98FileNames);
        Assert.Equal(0x2u, (uint)JetLegacyFileNames.EightDotThreeSoftCompat);
        Assert.Equal(0x1u, (uint)JetAttachGrbit.ReadOnly);
        Assert.Equal(0u, JetConstants.InstanceMiscInfoLogSignature);
        Assert.Equal(10u, JetConstants.DbInfoFilesize);
        Assert.Equal(14u, JetConstants.DbInfoMisc);
        Assert.Equal(17u, JetConstants.DbInfoPageSize);
        Assert.Equal(21u, JetConstants.DbInfoFilesizeOnDisk);
        Assert.Equal(0u, JetConstants.LogInfoMisc);
        Assert.Equal(1u, JetConstants.LogInfoMisc2);
        Assert.Equal(2u, JetConstants.LogInfoMisc3);
        Assert.Equal(4096, JetConstants.OsPageSize);
    }

    [Fact]
    public unsafe void Aligned_buffer_is_page_aligned_and_sized_in_whole_units()
    {
        using var buffer = new AlignedBuffer(10_000, 4096);
        Assert.Equal(12288, buffer.Length);
        Assert.True(AlignedBuffer.IsAligned(buffer.Pointer));
        using var large = new AlignedBuffer(1, 32768);
        Assert.Equal(32768, large.Length);
        Assert.True(AlignedBuffer.IsAligned(large.Pointer));
        Assert.False(AlignedBuffer.IsAligned(buffer.Pointer + 8));
        Assert.Throws<ArgumentException>(() => new AlignedBuffer(100, 3000));
    }

    [Fact]
    public void Log_time_decodes_utc_and_milliseconds()
    {
        // 2022-03-10 21:10:00.000 UTC as stored in the SRUM log header (bytes 00 0a 15 0a 03 7a 43 0c)
        var t = new JetLogTime { Second = 0, Minute = 0x0a, Hour = 0x15, Day = 0x0a, Month = 3, YearSince1900 = 0x7a, Filler1 = 0x43, Filler2 = 0x0c };
        var value = t.ToDateTimeOffset();
        Assert.NotNull(value);
        Assert.Equal(new DateTime(2022, 3, 10, 21, 10, 0, DateTimeKind.Utc).AddMilliseconds(0x21 | (6 << 7)), value!.Value.UtcDateTime);
        Assert.Null(default(JetLogTime).ToDateTimeOffset());
    }

    [Fact]
    public void Log_time_without_the_utc_bit_is_the_writing_machines_local_time()
    {
        // fTimeIsUTC is bit 0 of bFiller1 (jethdr.w); the same bytes with it clear are a wall-clock time of the zone
        // the engine ran in, not UTC.
        var zone = TimeZoneInfo.CreateCustomTimeZone("esebackup-test+05:30", TimeSpan.FromMinutes(330), "test", "test");
        var utc = new JetLogTime { Second = 0, Minute = 0x0a, Hour = 0x15, Day = 0x0a, Month = 3, YearSince1900 = 0x7a, Filler1 = 0x43, Filler2 = 0x0c };
        var local = utc with { Filler1 = 0x42 };
        Assert.True(utc.IsUtc);
        Assert.False(local.IsUtc);

        var asUtc = utc.ToDateTimeOffset(zone)!.Value;
        var asLocal = local.ToDateTimeOffset(zone)!.Value;
        Assert.Equal(TimeSpan.Zero, asUtc.Offset);
        Assert.Equal(TimeSpan.FromMinutes(330), asLocal.Offset);
        Assert.Equal(asUtc.DateTime, asLocal.DateTime); // the same wall-clock fields
        Assert.Equal(asUtc.UtcDateTime - TimeSpan.FromMinutes(330), asLocal.UtcDateTime); // a different moment
        Assert.Equal(asUtc.Millisecond, asLocal.Millisecond); // the flag is not part of the milliseconds
    }
}
