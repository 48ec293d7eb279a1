using System.Buffers.Binary;
using System.Runtime.Versioning;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>
/// The interop layer (declarations, struct marshalling, size-first lists, SafeHandles, aligned reads,
/// the status trampoline) against the ABI fake, and the fake's documented behaviour that the source
/// relies on. Every test body opens with the <see cref="EsentNativeGate"/> guard, which is what lets
/// the platform analyzer accept Windows-only calls here.
/// </summary>
[Collection(FakeEsentCollection.Name)]
public sealed class EsentInteropTests : FakeEsentTestBase
{
    private const int Page = 4096;

    [FakeEsentFact]
    public void Instance_lifecycle_names_and_discovery()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var api = EsentApis.Native.Instances;
        Assert.Equal(0, api.CreateInstance("life", "display", out var instance));
        using (instance)
        {
            Assert.Equal(-1086, api.CreateInstance("life", null, out var second));
            second.Dispose();
            Assert.Equal(-1029, EsentApis.Native.Backup.BeginExternalBackup(instance, JetBackupGrbit.None));
            Configure(api, instance);
            Assert.Equal(0, api.Init(instance, JetInitGrbit.None));
            Assert.Equal(-1030, api.Init(instance, JetInitGrbit.None));
            Assert.Equal(-1850, api.SetParameter(instance, JetParam.LogFilePath, 0, "/elsewhere/"));
            Attach(api, instance);

            Assert.Equal(0, api.GetInstanceInfo(out var list));
            var info = Assert.Single(list);
            Assert.Equal("life", info.Name);
            Assert.Equal(instance.Value, info.Instance);
            Assert.Equal([Database], info.DatabaseFiles);

            Assert.Equal(0, api.GetLogSignature(instance, out var signature));
            var expected = File.ReadAllBytes(Path.Combine(SetDirectory, "SRU.chk")).AsSpan(20, 28).ToArray();
            Assert.Equal(expected, signature.ToBytes());
            Assert.Equal(new DateTime(2022, 3, 10, 19, 32, 38, DateTimeKind.Utc).Date, signature.CreateTime.ToDateTimeOffset()!.Value.UtcDateTime.Date);

            Assert.Equal(0, api.Term(instance, JetTermGrbit.Complete));
            Assert.True(instance.IsClosed || instance.IsInvalid || instance.IsClosed);
        }

        Assert.Equal(0, api.GetInstanceInfo(out var none));
        Assert.Empty(none);
    }

    [FakeEsentFact]
    public void Parameters_round_trip_and_are_validated()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var api = EsentApis.Native.Instances;
        Assert.Equal(0, api.CreateInstance("params", null, out var instance));
        using (instance)
        {
            Assert.Equal(0, api.SetParameter(instance, JetParam.BaseName, 0, "SRU"));
            Assert.Equal(0, api.GetParameter(instance, JetParam.BaseName, out string baseName));
            Assert.Equal("SRU", baseName);
            Assert.Equal(-1003, api.SetParameter(instance, JetParam.BaseName, 0, "TOOLONG"));
            Assert.Equal(0, api.SetParameter(instance, JetParam.LogFileSize, 64));
            Assert.Equal(0, api.GetParameter(instance, JetParam.LogFileSize, out nuint kib));
            Assert.Equal(64u, (uint)kib);
            Assert.Equal(0, api.SetParameter(null, JetParam.DatabasePageSize, 8192));
            Assert.Equal(0, api.GetParameter(null, JetParam.DatabasePageSize, out nuint page));
            Assert.Equal(8192u, (uint)page);
            Assert.Equal(0, api.SetParameter(null, JetParam.DatabasePageSize, 4096));
            var longPath = "/" + new string('p', 1500) + "/";
            Assert.Equal(0, api.SetParameter(instance, JetParam.SystemPath, 0, longPath[..1000]));
            Assert.Equal(0, api.GetParameter(instance, JetParam.SystemPath, out string path));
            Assert.Equal(longPath[..1000], path);
        }
    }

    [FakeEsentFact]
    public void Page_size_is_set_or_confirmed_once_an_instance_runs()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var api = EsentApis.Native.Instances;
        Assert.Null(EsentParameters.EnsurePageSize(api, Page, "test"));
        using var instance = OpenRaw("pagesize");
        Assert.Null(EsentParameters.EnsurePageSize(api, Page, "test"));   // fixed after init, but it matches
        var error = EsentParameters.EnsurePageSize(api, 2 * Page, "test");
        Assert.Equal(-1850, error!.NativeStatus);
        Assert.Contains($"JET_paramDatabasePageSize = {2 * Page}; the process uses {Page}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, api.GetParameter(null, JetParam.DatabasePageSize, out nuint page));
        Assert.Equal((nuint)Page, page);
    }

    [Fact]
    public void Directories_get_exactly_one_trailing_separator()
    {
        var sep = Path.DirectorySeparatorChar;
        Assert.Equal($"{sep}data{sep}logs{sep}", EsentParameters.WithSeparator($"{sep}data{sep}logs"));
        Assert.Equal($"{sep}data{sep}logs{sep}", EsentParameters.WithSeparator($"{sep}data{sep}logs{sep}"));
    }

    [FakeEsentFact]
    public unsafe void Streamed_database_image_is_header_twice_pages_and_trailer()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var original = File.ReadAllBytes(Database);
        using var instance = OpenRaw("image");
        var backup = EsentApis.Native.Backup;
        Assert.Equal(0, backup.BeginExternalBackup(instance, JetBackupGrbit.None));
        Assert.Equal(0, backup.GetAttachInfo(instance, out var databases));
        Assert.Equal([Database], databases);

        Assert.Equal(0, backup.OpenFile(instance, Database, out var file, out var size));
        var pages = original.Length / Page - 2;
        Assert.Equal((long)(pages + 3) * Page, size);
        var image = new byte[size];
        using (file)
        using (var buffer = new AlignedBuffer(16 * Page, Page))
        {
            long offset = 0;
            while (offset < size)
            {
                Assert.Equal(0, backup.ReadFile(instance, file!, buffer.Pointer, buffer.Length, out var got));
                Assert.True(got > 0);
                buffer.Span[..got].CopyTo(image.AsSpan((int)offset));
                offset += got;
            }

            Assert.Equal(0, backup.ReadFile(instance, file!, buffer.Pointer, buffer.Length, out var after));
            Assert.Equal(0, after);
            Assert.Equal(0, backup.CloseFile(instance, file!));
            Assert.True(file!.IsClosed || file.IsInvalid);
        }

        var header = image.AsSpan(0, Page);
        Assert.True(header.SequenceEqual(image.AsSpan(Page, Page)), "the header must be there twice");
        Assert.True(XorChecksum.IsValid(header), "the header checksum must be recomputed");
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(header[200..]));  // bkinfoFullCur.genLow = checkpoint generation
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(header[204..]));
        for (var i = 4; i < Page; i++)
        {
            if (i is < 184 or >= 208)
            {
                Assert.True(original[i] == header[i], $"header byte {i} changed");
            }
        }

        Assert.True(image.AsSpan(2 * Page, pages * Page).SequenceEqual(original.AsSpan(2 * Page, pages * Page)), "pages must be the database's pages");

        var trailer = image.AsSpan((pages + 2) * Page, Page);
        Assert.True(XorChecksum.IsValid(trailer), "trailer XOR checksum");
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(trailer[8..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(trailer[12..]));
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(trailer[24..]));
        var parsed = BackupTrailer.Read(trailer);
        Assert.Equal(32u, parsed.Backup.GenerationLow);
        Assert.Equal(32u, parsed.Backup.GenerationHigh);
        Assert.Equal(EseSignature.Read(original.AsSpan(24)), parsed.DatabaseSignature);
        Assert.Equal(EseSignature.Read(original.AsSpan(108)), parsed.LogSignature);
        Assert.Equal(LogPosition.Read(header[184..]), parsed.Backup.Mark);

        Assert.Equal(0, backup.EndExternalBackup(instance, JetBackupEndGrbit.Abort));
    }

    [FakeEsentFact]
    public unsafe void Read_rules_alignment_size_one_file_and_order_are_enforced()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using var instance = OpenRaw("rules");
        var backup = EsentApis.Native.Backup;
        Assert.Equal(-520, backup.GetAttachInfo(instance, out _));
        Assert.Equal(-900, backup.BeginExternalBackup(instance, JetBackupGrbit.Atomic));
        Assert.Equal(0, backup.BeginExternalBackup(instance, JetBackupGrbit.None));
        Assert.Equal(-505, backup.BeginExternalBackup(instance, JetBackupGrbit.None));
        Assert.Equal(-521, backup.OpenFile(instance, Path.Combine(SetDirectory, "SRU0001F.log"), out _, out _));
        Assert.Equal(-1203, backup.OpenFile(instance, Path.Combine(SetDirectory, "nothing.edb"), out _, out _));

        Assert.Equal(0, backup.OpenFile(instance, Database, out var opened, out _));
        using var file = opened;
        using var buffer = new AlignedBuffer(8 * Page, Page);
        Assert.Equal(-1011, backup.OpenFile(instance, Database, out _, out _));            // one slot
        Assert.Equal(-1003, backup.ReadFile(instance, file!, buffer.Pointer + 8, 4 * Page, out _)); // unaligned
        Assert.Equal(-1003, backup.ReadFile(instance, file!, buffer.Pointer, 3 * Page + 512, out _)); // not whole pages
        Assert.Equal(-1003, backup.ReadFile(instance, file!, buffer.Pointer, 2 * Page, out _)); // first database read < 3 pages
        Assert.Equal(0, backup.ReadFile(instance, file!, buffer.Pointer, 3 * Page, out var got));
        Assert.Equal(3 * Page, got);
        Assert.Equal(0, backup.ReadFile(instance, file!, buffer.Pointer, Page, out got)); // later reads: one page is enough
        Assert.Equal(Page, got);
        Assert.Equal(-521, backup.GetLogInfo(instance, out _));                            // a file is still open
        Assert.Equal(0, backup.CloseFile(instance, file!));
        Assert.Equal(1, FakeEsent.CallCount("JetCloseFileInstance"));

        Assert.Equal(0, backup.GetLogInfo(instance, out var logs, out var info));
        Assert.Equal(-521, backup.OpenFile(instance, Database, out _, out _));              // databases only before the log phase
        Assert.Equal(0, backup.OpenFile(instance, logs[0], out var openedLog, out var logSize));
        using var log = openedLog;
        Assert.Equal(65536, logSize);
        Assert.Equal(-1003, backup.ReadFile(instance, log!, buffer.Pointer, Page, out _));   // first log read < 2 pages
        Assert.Equal(0, backup.CloseFile(instance, log!));
        Assert.Equal(-616, backup.TruncateLog(instance));                                   // the log was not read to its end
        Assert.Equal(0, backup.EndExternalBackup(instance, JetBackupEndGrbit.Abort));
        Assert.Equal(-520, backup.EndExternalBackup(instance, JetBackupEndGrbit.Abort));
        Assert.Equal(-1003, backup.EndExternalBackup(instance, JetBackupEndGrbit.Normal | JetBackupEndGrbit.Abort));
        Assert.Equal(32u, info.GenLow);
    }

    [FakeEsentFact]
    public unsafe void First_log_info_call_rolls_the_log_and_fixes_the_ranges()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        var oldCurrent = File.ReadAllBytes(Path.Combine(SetDirectory, "SRU.log"));
        using var instance = OpenRaw("roll");
        var backup = EsentApis.Native.Backup;
        Assert.Equal(0, backup.BeginExternalBackup(instance, JetBackupGrbit.None));
        StreamAll(instance, backup, Database);

        Assert.Equal(0, backup.GetLogInfo(instance, out var logs, out var info));
        var archived = Path.Combine(SetDirectory, "SRU00020.log");
        Assert.Equal([archived], logs);
        Assert.Equal((32u, 32u, "SRU"), (info.GenLow, info.GenHigh, info.BaseNameText()));
        Assert.Equal(oldCurrent, File.ReadAllBytes(archived));

        var current = Ese.Sources.EseHeaderFiles.TryReadLog(Path.Combine(SetDirectory, "SRU.log"));
        Assert.NotNull(current);   // the XOR checksum holds
        Assert.Equal(33, current.Generation);
        Assert.Equal(LogTime.Read(oldCurrent.AsSpan(16)), current.PreviousGenerationCreated);
        Assert.Equal(EseSignature.Read(oldCurrent.AsSpan(44)), current.Signature);
        Assert.Equal(65536, new FileInfo(Path.Combine(SetDirectory, "SRU.log")).Length);

        // the same list again (size first), and the truncation list: oldest on disk (25) up to the checkpoint (33)
        Assert.Equal(0, backup.GetLogInfo(instance, out var again));
        Assert.Equal(logs, again);
        Assert.Equal(0, backup.GetTruncateLogInfo(instance, out var truncatable));
        Assert.Equal(Enumerable.Range(25, 8).Select(g => Path.Combine(SetDirectory, $"SRU{g:X5}.log")), truncatable);

        StreamAll(instance, backup, archived);
        Assert.Equal(0, backup.TruncateLog(instance));
        Assert.All(truncatable, p => Assert.False(File.Exists(p), p));
        Assert.Equal(0, backup.EndExternalBackup(instance, JetBackupEndGrbit.Normal | JetBackupEndGrbit.TruncateDone));

        // the end stamped the live header: bkinfoFullPrev = { mark, genLow 32, genHigh 32 }
        var header = Ese.Sources.EseHeaderFiles.ReadHead(Database, Page, out _);
        Assert.True(XorChecksum.IsValid(header));
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(136 + 16)));
        Assert.Equal(32u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(136 + 20)));
    }

    [FakeEsentFact]
    public void Multi_string_lists_are_parsed_strictly()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        Assert.True(EsentMarshal.TryParseMultiString("a\0bc\0\0".AsSpan(), out var items));
        Assert.Equal(["a", "bc"], items);
        Assert.True(EsentMarshal.TryParseMultiString("\0".AsSpan(), out var empty));
        Assert.Empty(empty);
        Assert.False(EsentMarshal.TryParseMultiString("a\0bc".AsSpan(), out _)); // silently truncated by the engine
    }

    [FakeEsentFact]
    public void Legacy_process_wide_calls_refuse_multi_instance_mode()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using var instance = OpenRaw("multi");
        Assert.Equal(-1081, EsentApis.Native.Backup.Backup(Temp.Combine("x"), JetBackupGrbit.None, null, out _));
        Assert.Equal(-1081, EsentApis.Native.Restore.Restore(Temp.Combine("x"), null, out _));
        Assert.Equal(ErrorCodesRunningInMultiInstanceMode(), EseErrorMapper.ToPluginError(-1081, "JetBackupW").Code.Name);
    }

    [FakeEsentFact]
    public void Stop_service_refuses_backups()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using var instance = OpenRaw("stop");
        Assert.Equal(0, EsentApis.Native.Instances.StopService(instance));
        Assert.Equal(-1329, EsentApis.Native.Backup.BeginExternalBackup(instance, JetBackupGrbit.None));
    }

    [FakeEsentFact]
    public void Snapshot_state_machine()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using var instance = OpenRaw("snap");
        var snap = EsentApis.Native.Snapshots;
        Assert.Equal(-2404, snap.Thaw(12345));
        Assert.Equal(0, snap.Prepare(JetSnapshotGrbit.ContinueAfterThaw, out var id));
        Assert.Equal(-2401, snap.Thaw(id));                // not frozen yet
        Assert.Equal(-2401, snap.PrepareInstance(id, instance)); // only with ExplicitPrepare
        Assert.Equal(0, snap.Freeze(id, out var frozen));
        Assert.Equal("snap", Assert.Single(frozen).Name);
        Assert.Equal(0, snap.GetFreezeInfo(id, out var again));
        Assert.Equal([Database], Assert.Single(again).DatabaseFiles);
        Assert.Equal(0, snap.Thaw(id));
        Assert.Equal(0, snap.TruncateLogInstance(id, instance, JetSnapshotGrbit.AllDatabasesSnapshot));
        Assert.False(File.Exists(Path.Combine(SetDirectory, "SRU00019.log")));  // below the checkpoint (32)
        Assert.True(File.Exists(Path.Combine(SetDirectory, "SRU.log")));
        Assert.Equal(0, snap.End(id, JetSnapshotGrbit.None));
        Assert.Equal(-2404, snap.End(id, JetSnapshotGrbit.None));

        Assert.Equal(0, snap.Prepare(JetSnapshotGrbit.ExplicitPrepare, out var explicitId));
        Assert.Equal(0, snap.PrepareInstance(explicitId, instance));
        Assert.Equal(0, snap.Freeze(explicitId, out _));
        Assert.Equal(0, snap.Thaw(explicitId));                                  // without ContinueAfterThaw, thaw ends it
        Assert.Equal(-2404, snap.TruncateLog(explicitId, JetSnapshotGrbit.AllDatabasesSnapshot));
        Assert.Equal(0, snap.Prepare(JetSnapshotGrbit.None, out var aborted));
        Assert.Equal(0, snap.Abort(aborted));
    }

    [FakeEsentFact]
    public void Status_callback_delivers_and_contains_exceptions()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using var instance = OpenRaw("callback");
        var sink = new RecordingSink(throwOn: JetSnt.Complete);
        var dir = Temp.Combine("bi");
        Directory.CreateDirectory(dir);
        var err = EsentApis.Native.Backup.BackupInstance(instance, dir, JetBackupGrbit.Atomic, sink, out var failure);
        Assert.Equal(0, err);                                   // ESE ignores the callback's result
        Assert.IsType<InvalidOperationException>(failure);      // ... the trampoline kept the exception
        Assert.Equal((int)JetErr.JET_errCallbackFailed, FakeEsent.LastCallbackResult()); // what native code saw instead of an exception
        Assert.Equal(2, FakeEsent.CallbackCount());
        Assert.Equal([(JetSnp.Backup, JetSnt.Begin, 0u, 100u), (JetSnp.Backup, JetSnt.Complete, 100u, 100u)], sink.Seen);
    }

    [FakeEsentFact]
    public void JetBackupInstance_directory_rules()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using var instance = OpenRaw("dirs");
        var backup = EsentApis.Native.Backup;
        Assert.Equal(-1023, backup.BackupInstance(instance, Temp.Combine("missing"), JetBackupGrbit.None, null, out _));
        var notEmpty = Temp.Combine("notempty");
        Directory.CreateDirectory(notEmpty);
        File.WriteAllText(Path.Combine(notEmpty, "x"), "x");
        Assert.Equal(-504, backup.BackupInstance(instance, notEmpty, JetBackupGrbit.None, null, out _));
        Assert.Equal(-560, backup.BackupInstance(instance, Temp.Combine("inc0"), JetBackupGrbit.Incremental, null, out _));

        Assert.Equal(0, EsentApis.Native.Instances.SetParameter(instance, JetParam.CreatePathIfNotExist, 1));
        var atomic = Temp.Combine("atomic", "deep");
        Assert.Equal(0, backup.BackupInstance(instance, atomic, JetBackupGrbit.Atomic, null, out _));
        Assert.Equal(["SRU00020.log", "SRUDB.dat", "SRUDB.pat"], Directory.EnumerateFiles(Path.Combine(atomic, "new")).Select(Path.GetFileName).Order());
        Assert.Equal(0, new FileInfo(Path.Combine(atomic, "new", "SRUDB.pat")).Length);
        Assert.True(File.Exists(Path.Combine(SetDirectory, "SRUDB.pat")), "the .pat is created next to the live database");
        Assert.False(Directory.Exists(Path.Combine(atomic, "temp")));

        Assert.Equal(0, backup.BackupInstance(instance, atomic, JetBackupGrbit.Atomic, null, out _));
        Assert.Equal(["SRU00021.log", "SRUDB.dat", "SRUDB.pat"], Directory.EnumerateFiles(Path.Combine(atomic, "new")).Select(Path.GetFileName).Order());
        Assert.False(Directory.Exists(Path.Combine(atomic, "old")), "the previous backup is removed after a successful rotation");

        // non-atomic incremental into a fresh, empty directory: ESE looks at the database headers, not at that directory
        // (backup.cxx's log-name check of the target directory, -515, has no caller that passes a directory)
        var inc = Temp.Combine("inc1");
        Directory.CreateDirectory(inc);
        Assert.Equal(0, backup.BackupInstance(instance, inc, JetBackupGrbit.Incremental, null, out _));
        Assert.Equal(["SRU00022.log"], Directory.EnumerateFiles(inc).Select(Path.GetFileName));
        Assert.Equal(65536, new FileInfo(Path.Combine(inc, "SRU00022.log")).Length);

        // the real incremental check: the oldest log on disk may not lie more than one generation above the newest one
        // the headers' last full or incremental recorded (22). A streaming backup that ends with Abort rolls the log
        // (23 archived) and records nothing; with 23 gone, the next incremental's oldest log is 24: -569.
        Assert.Equal(0, backup.BeginExternalBackup(instance, JetBackupGrbit.None));
        Assert.Equal(0, backup.GetLogInfo(instance, out _));
        Assert.Equal(0, backup.EndExternalBackup(instance, JetBackupEndGrbit.Abort));
        File.Delete(Path.Combine(SetDirectory, "SRU00023.log"));
        var gap = Temp.Combine("inc2");
        Directory.CreateDirectory(gap);
        Assert.Equal(-569, backup.BackupInstance(instance, gap, JetBackupGrbit.Incremental, null, out _));
        Assert.Empty(Directory.EnumerateFileSystemEntries(gap));

        Assert.Equal(0, backup.BeginExternalBackup(instance, JetBackupGrbit.None));
        Assert.Equal(-505, backup.BackupInstance(instance, Temp.Combine("busy"), JetBackupGrbit.Atomic, null, out _));
        Assert.Equal(0, backup.EndExternalBackup(instance, JetBackupEndGrbit.Abort));
    }

    [FakeEsentFact]
    public void Circular_logging_and_logging_off_are_refused()
    {
        if (!EsentNativeGate.IsAvailable)
        {
            throw new PlatformNotSupportedException();
        }

        using (var circular = OpenRaw("circular", circularLogging: true))
        {
            Assert.Equal(-526, EsentApis.Native.Backup.BackupInstance(circular, Temp.Combine("c"), JetBackupGrbit.Incremental, null, out _));
            Assert.Equal(-526, EsentApis.Native.Backup.BeginExternalBackup(circular, JetBackupGrbit.Incremental));
        }

        using var off = OpenRaw("off", recovery: false);
        Assert.Equal(-516, EsentApis.Native.Backup.BackupInstance(off, Temp.Combine("o"), JetBackupGrbit.None, null, out _));
        Assert.Equal(-516, EsentApis.Native.Backup.BeginExternalBackup(off, JetBackupGrbit.None));
    }

    private static string ErrorCodesRunningInMultiInstanceMode() => Abstractions.Errors.ErrorCodes.RunningInMultiInstanceMode.Name;

    [SupportedOSPlatform("windows")]
    private void Configure(IEsentInstanceApi api, SafeJetInstanceHandle instance, bool recovery = true, bool circularLogging = false)
    {
        Assert.Equal(0, api.SetParameter(instance, JetParam.SystemPath, 0, SetDirectory + "/"));
        Assert.Equal(0, api.SetParameter(instance, JetParam.LogFilePath, 0, SetDirectory + "/"));
        Assert.Equal(0, api.SetParameter(instance, JetParam.BaseName, 0, "SRU"));
        Assert.Equal(0, api.SetParameter(instance, JetParam.LogFileSize, 64));
        Assert.Equal(0, api.SetParameter(instance, JetParam.Recovery, 0, recovery ? "on" : "off"));
        Assert.Equal(0, api.SetParameter(instance, JetParam.CircularLog, circularLogging ? 1u : 0u));
    }

    [SupportedOSPlatform("windows")]
    private void Attach(IEsentInstanceApi api, SafeJetInstanceHandle instance)
    {
        Assert.Equal(0, api.BeginSession(instance, out var session));
        Assert.Equal(0, api.AttachDatabase(session, Database, JetAttachGrbit.None));
        Assert.Equal(1007, api.AttachDatabase(session, Database, JetAttachGrbit.None)); // JET_wrnDatabaseAttached
        Assert.Equal(0, api.EndSession(session));
    }

    [SupportedOSPlatform("windows")]
    private SafeJetInstanceHandle OpenRaw(string name, bool recovery = true, bool circularLogging = false)
    {
        var api = EsentApis.Native.Instances;
        Assert.Equal(0, api.CreateInstance(name, null, out var instance));
        Configure(api, instance, recovery, circularLogging);
        Assert.Equal(0, api.Init(instance, JetInitGrbit.None));
        Attach(api, instance);
        return instance;
    }

    [SupportedOSPlatform("windows")]
    private static unsafe void StreamAll(SafeJetInstanceHandle instance, IEsentBackupApi backup, string path)
    {
        Assert.Equal(0, backup.OpenFile(instance, path, out var opened, out var size));
        using var file = opened;
        using var buffer = new AlignedBuffer(16 * Page, Page);
        long total = 0;
        while (total < size)
        {
            Assert.Equal(0, backup.ReadFile(instance, file!, buffer.Pointer, buffer.Length, out var got));
            total += got;
        }

        Assert.Equal(0, backup.CloseFile(instance, file!));
    }

    private sealed class RecordingSink(JetSnt throwOn) : IEsentStatusSink
    {
        public List<(JetSnp, JetSnt, uint, uint)> Seen { get; } = [];

        public void OnStatus(JetSnp snp, JetSnt snt, JetSnProg? progress)
        {
            Seen.Add((snp, snt, progress?.UnitsDone ?? 99, progress?.UnitsTotal ?? 99));
            if (snt == throwOn)
            {
                throw new InvalidOperationException("progress handler bug");
            }
        }
    }
}
