using System.Text;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

public class WriterMetadataParserTests
{
    private static VssWriterMetadata NoSql(string file) => VssWriterMetadataParser.ParseFile(TestData.Vss("diskshadow-no_sql", file));

    public static TheoryData<string> AllWriterDocuments()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(TestData.VssRoot, "WM*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(TestData.VssRoot, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllWriterDocuments))]
    public void Every_real_writer_document_parses_with_identity_and_is_not_an_ese_writer(string relativePath)
    {
        var wm = VssWriterMetadataParser.ParseFile(Path.Combine(TestData.VssRoot, relativePath));

        Assert.NotEqual(Guid.Empty, wm.WriterId);
        Assert.NotEqual(Guid.Empty, wm.InstanceId);
        Assert.False(string.IsNullOrWhiteSpace(wm.FriendlyName));
        Assert.Equal("1.2", wm.DocumentVersion);
        // The DiskShadow machine ran no ESE-based writer: none may be taken for one.
        Assert.Null(EseWriterCatalog.Recognize(wm));
        Assert.Empty(VssTargetFactory.CreateTargets(wm));
    }

    [Fact]
    public void The_fixture_folder_holds_the_documents_this_suite_expects()
    {
        // Eleven documents of the first DiskShadow run and one of the second (more may be added later).
        Assert.True(AllWriterDocuments().Count >= 12);
    }

    [Fact]
    public void Task_scheduler_document_with_crlf_and_no_logical_path()
    {
        var raw = File.ReadAllText(TestData.Vss("diskshadow-no_sql", "WM0.xml"));
        Assert.Contains("\r\n", raw, StringComparison.Ordinal);

        var wm = NoSql("WM0.xml");
        Assert.Equal(new Guid("D61D61C8-D73A-4EEE-8CDD-F6F9786B7124"), wm.WriterId);
        Assert.Equal("Task Scheduler Writer", wm.FriendlyName);
        Assert.Equal(VssUsageType.BootableSystemState, wm.Usage);
        Assert.Equal(VssSourceType.Other, wm.DataSource);
        Assert.Equal(VssRestoreMethod.RestoreAtRebootIfCannotReplace, wm.RestoreMethod!.Method);
        Assert.Equal(VssWriterRestore.Never, wm.RestoreMethod.WriterRestore);
        Assert.False(wm.RestoreMethod.RebootRequired);

        var c = Assert.Single(wm.Components);
        Assert.Equal(VssComponentType.FileGroup, c.Type);
        Assert.Equal("", c.LogicalPath);
        Assert.Equal("TasksStore", c.Name);
        Assert.Equal("TasksStore", c.FullName);
        Assert.Equal("Tasks Store", c.Caption);
        Assert.False(c.Selectable);
        Assert.Equal(2, c.Files.Count);
        Assert.All(c.Files, f => Assert.True(f.Recursive));
        Assert.Equal(@"%WinDir%\System32\Tasks", c.Files[0].Path);
        Assert.Equal("*", c.Files[0].FileSpec);
        // 3855 = 0xF0F = all backup types | all snapshot types.
        Assert.Equal(VssFileSpecBackupType.AllBackupRequired | VssFileSpecBackupType.AllSnapshotRequired, c.Files[0].BackupTypeMask);
        Assert.True(c.Files[0].AppliesTo(VssBackupType.Incremental));
    }

    [Fact]
    public void Wildcards_with_question_marks_are_kept_verbatim()
    {
        var c = Assert.Single(NoSql("WM2.xml").Components);
        Assert.Equal(8, c.Files.Count);
        Assert.Equal("Perfc???.dat", c.Files[0].FileSpec);
        Assert.All(c.Files, f => Assert.False(f.Recursive));
        Assert.True(c.Selectable);
    }

    [Fact]
    public void Asr_writer_logical_paths_multiline_captions_and_empty_components()
    {
        var wm = NoSql("WM4.xml");
        Assert.Equal("ASR Writer", wm.FriendlyName);
        Assert.True(wm.RestoreMethod!.RebootRequired);
        Assert.Equal(10, wm.Components.Count);

        var volumes = wm.Components.Where(c => c.LogicalPath == "Volumes").ToList();
        Assert.Equal(4, volumes.Count);
        // XML normalises the CR LF inside the attribute; the text of both lines survives.
        Assert.Contains("Critical volumes are those which ASR must restore.", volumes[0].Caption, StringComparison.Ordinal);
        Assert.Contains("if it is a critical volume.", volumes[0].Caption, StringComparison.Ordinal);
        Assert.Equal(2, volumes.Count(v => v.Selectable));
        Assert.All(volumes, v => Assert.Empty(v.Files));

        var bcd = Assert.Single(wm.Components, c => c.Name == "BCD");
        Assert.Equal(@"BCD\BCD", bcd.FullName);
        var file = Assert.Single(bcd.Files);
        Assert.Equal(@"\\?\Volume{c7463aba-f40d-11e9-80c7-806e6f6e6963}\Boot", file.Path);
        Assert.Equal("*.*", file.FileSpec);
        Assert.True(file.Recursive);
        Assert.Equal(4, wm.Components.Count(c => c.LogicalPath == "Disks" && c.SelectableForRestore));
    }

    [Fact]
    public void Sql_writer_schema_instance_usage_and_flags()
    {
        var wm = NoSql("WM5.xml");
        Assert.Equal("SqlServerWriter", wm.FriendlyName);
        Assert.Equal("Microsoft SQL Server 2017:SQLWriter", wm.InstanceName);
        Assert.Equal(VssUsageType.UserData, wm.Usage);
        Assert.Equal(VssSourceType.TransactedDb, wm.DataSource);
        // 881 = 0x371.
        Assert.Equal(
            VssBackupSchema.Differential | VssBackupSchema.Copy | VssBackupSchema.Timestamped | VssBackupSchema.LastModify
                | VssBackupSchema.WriterSupportsNewTarget | VssBackupSchema.WriterSupportsRestoreWithMove,
            wm.BackupSchema);
        Assert.Equal(VssWriterRestore.Always, wm.RestoreMethod!.WriterRestore);
        Assert.Equal(6, wm.Components.Count);
        Assert.All(wm.Components, c =>
        {
            Assert.Equal("WIN2012-SQL17-2", c.LogicalPath);
            Assert.Equal(VssComponentFlags.AppRollbackRecovery, c.Flags);
            Assert.True(c.NotifyOnBackupComplete);
            Assert.True(c.Selectable);
            Assert.Equal(2, c.Files.Count);
            Assert.All(c.Files, f => Assert.False(f.Recursive));
        });
    }

    [Fact]
    public void Second_sql_instance_interleaves_exclude_files_between_components()
    {
        var first = NoSql("WM5.xml");
        var second = VssWriterMetadataParser.ParseFile(TestData.Vss("diskshadow-with_sql", "WM4.xml"));

        Assert.Equal(first.WriterId, second.WriterId);
        Assert.NotEqual(first.InstanceId, second.InstanceId);
        Assert.Equal(5, second.Components.Count);
        Assert.Equal(2, second.ExcludeFiles.Count);
        Assert.Equal("NonNimbleDatabase.mdf", second.ExcludeFiles[0].FileSpec);
        Assert.Equal("local1", second.Components[^1].Name);
    }

    [Fact]
    public void Exclude_from_snapshot_only_document_has_no_components_and_no_restore_method()
    {
        var wm = NoSql("WM6.xml");
        Assert.Empty(wm.Components);
        Assert.Null(wm.RestoreMethod);
        Assert.Equal(17, wm.ExcludeFromSnapshot.Count);
        Assert.Contains(wm.ExcludeFromSnapshot, d => d.Path == @"\System Volume Information\Heat" && d.Recursive);
        Assert.Empty(wm.ExcludeFiles);
    }

    [Fact]
    public void Exclude_files_only_document()
    {
        var wm = NoSql("WM7.xml");
        Assert.Equal("BITS Writer", wm.FriendlyName);
        Assert.Empty(wm.Components);
        Assert.Null(wm.RestoreMethod);
        Assert.Equal(3, wm.ExcludeFiles.Count);
        Assert.True(wm.ExcludeFiles[2].Recursive);
    }

    [Fact]
    public void Restore_method_after_backup_locations_is_still_read()
    {
        var raw = File.ReadAllText(TestData.Vss("diskshadow-no_sql", "WM8.xml"));
        Assert.True(raw.IndexOf("<RESTORE_METHOD", StringComparison.Ordinal) > raw.IndexOf("<BACKUP_LOCATIONS", StringComparison.Ordinal));

        var wm = NoSql("WM8.xml");
        Assert.Equal(VssRestoreMethod.RestoreAtReboot, wm.RestoreMethod!.Method);
        Assert.True(wm.RestoreMethod.RebootRequired);
        Assert.Equal("WMI", Assert.Single(wm.Components).Name);
    }

    [Fact]
    public void Registry_writer_file_group_and_exclude_files()
    {
        var wm = NoSql("WM9.xml");
        var c = Assert.Single(wm.Components);
        Assert.Equal(9, c.Files.Count);
        Assert.Equal(5, wm.ExcludeFiles.Count);
        Assert.All(wm.ExcludeFiles, d => Assert.EndsWith(".LOG", d.FileSpec, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_megabyte_system_writer_document_streams_in_bounded_memory()
    {
        var path = TestData.Vss("diskshadow-no_sql", "WM3.xml");
        Assert.True(new FileInfo(path).Length > 2_000_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var wm = VssWriterMetadataParser.ParseFile(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal("System Writer", wm.FriendlyName);
        Assert.Equal(2, wm.Components.Count);
        Assert.True(wm.FileDescriptorCount > 18_000, $"only {wm.FileDescriptorCount} file descriptors");
        Assert.Equal(wm.FileDescriptorCount, File.ReadAllText(path).Split("<FILE_LIST ").Length - 1);
        // A DOM of this document alone costs far more; the streaming pass keeps only the records.
        Assert.True(allocated < 16L * 1024 * 1024, $"parsing allocated {allocated:N0} bytes");

        var identity = VssWriterMetadataParser.ParseIdentity(File.ReadAllText(path));
        Assert.Equal(wm.WriterId, identity.WriterId);
        Assert.Empty(identity.Components);
    }

    [Fact]
    public void Utf16_without_bom_and_utf8_with_bom_give_the_same_document()
    {
        var bytes = File.ReadAllBytes(TestData.Vss("diskshadow-no_sql", "WM0.xml"));
        var text = Encoding.UTF8.GetString(bytes);
        using var temp = new TempDirectory();

        var utf16 = temp.Combine("wm-utf16.xml");
        File.WriteAllBytes(utf16, Encoding.Unicode.GetBytes(text));
        var utf8Bom = temp.Combine("wm-utf8bom.xml");
        File.WriteAllBytes(utf8Bom, [.. Encoding.UTF8.GetPreamble(), .. bytes]);

        var a = NoSql("WM0.xml");
        foreach (var copy in new[] { utf16, utf8Bom })
        {
            var b = VssWriterMetadataParser.ParseFile(copy);
            Assert.Equal(a.WriterId, b.WriterId);
            Assert.Equal(a.Components.Single().Files, b.Components.Single().Files);
        }
    }

    [Fact]
    public void Dependencies_alternate_locations_and_restore_details_are_kept()
    {
        const string Xml = """
            <WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2">
              <BACKUP_LOCATIONS>
                <DATABASE logicalPath="a\b" componentName="db" caption="" restoreMetadata="yes" notifyOnBackupComplete="yes" selectable="yes" selectableForRestore="yes" componentFlags="1">
                  <DATABASE_FILES path="D:\db" filespec="x.edb" filespecBackupType="257" alternatePath="E:\alt"/>
                  <DEPENDENCY writerId="{4969d978-be47-48b0-b100-f328f07ac1e0}" logicalPath="" componentName="Other"/>
                </DATABASE>
              </BACKUP_LOCATIONS>
              <RESTORE_METHOD method="STOP_RESTART_SERVICE" service="NTDS" writerRestore="ifReplaceFails" rebootRequired="no">
                <ALTERNATE_LOCATION_MAPPING path="D:\db" filespec="*.edb" recursive="no" alternatePath="F:\restore"/>
              </RESTORE_METHOD>
              <IDENTIFICATION writerId="6F5B15B5-DA24-4D88-B737-63063E3A1F86" instanceId="6F5B15B5-DA24-4D88-B737-63063E3A1F87" friendlyName="Certificate Authority"/>
            </WRITER_METADATA>
            """;
        var wm = VssWriterMetadataParser.Parse(Xml);

        // IDENTIFICATION last is still read.
        Assert.Equal("Certificate Authority", wm.FriendlyName);
        var c = Assert.Single(wm.Components);
        Assert.Equal(@"a\b\db", c.FullName);
        Assert.True(c.RestoreMetadata && c.NotifyOnBackupComplete && c.SelectableForRestore);
        Assert.Equal(VssComponentFlags.BackupRecovery, c.Flags);
        var db = Assert.Single(c.DatabaseFiles);
        Assert.Equal(@"E:\alt", db.AlternatePath);
        Assert.Equal(VssFileSpecBackupType.FullBackupRequired | VssFileSpecBackupType.FullSnapshotRequired, db.BackupTypeMask);
        Assert.Equal(new VssComponentDependency(new Guid("4969d978-be47-48b0-b100-f328f07ac1e0"), "", "Other"), Assert.Single(c.Dependencies));
        Assert.Equal(VssRestoreMethod.StopRestoreStart, wm.RestoreMethod!.Method);
        Assert.Equal("NTDS", wm.RestoreMethod.Service);
        Assert.Equal(VssWriterRestore.IfReplaceFails, wm.RestoreMethod.WriterRestore);
        Assert.Equal(@"F:\restore", Assert.Single(wm.AlternateLocationMappings).AlternatePath);
        Assert.Equal("certsvc", EseWriterCatalog.Recognize(wm)!.Key);
    }

    [Fact]
    public void Documents_that_are_not_writer_metadata_are_refused()
    {
        Assert.Throws<FormatException>(() => VssWriterMetadataParser.Parse("<BACKUP_COMPONENTS/>"));
        Assert.Throws<FormatException>(() => VssWriterMetadataParser.Parse("<WRITER_METADATA><BACKUP_LOCATIONS><FILE_LIST path=\"x\" filespec=\"y\"/></BACKUP_LOCATIONS></WRITER_METADATA>"));
        Assert.Throws<FormatException>(() => VssWriterMetadataParser.Parse("<WRITER_METADATA><IDENTIFICATION writerId=\"not-a-guid\"/></WRITER_METADATA>"));
        Assert.ThrowsAny<System.Xml.XmlException>(() => VssWriterMetadataParser.Parse("<WRITER_METADATA><BACKUP_LOCATIONS>"));
    }
}
