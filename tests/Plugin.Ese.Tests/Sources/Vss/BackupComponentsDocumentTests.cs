using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

public class BackupComponentsDocumentTests
{
    [Fact]
    public void DiskShadow_backup_components_document_parses_back()
    {
        var xml = File.ReadAllText(TestData.Vss("diskshadow-no_sql", "BCDocument.xml"));
        var doc = VssBackupComponentsDocument.Parse(xml);

        Assert.Same(xml, doc.Xml);
        Assert.Equal("1.2", doc.Version);
        Assert.True(doc.BootableSystemStateBackup);
        Assert.True(doc.SelectComponents);
        Assert.False(doc.PartialFileSupport);
        Assert.Equal(VssBackupType.Full, doc.BackupType);
        Assert.Equal(new Guid("e109943b-232e-4b52-8dc4-62b7de94761b"), doc.SnapshotSetId);
        Assert.Equal(7, doc.Writers.Count);
        Assert.Equal(8, doc.Writers.Sum(w => w.Components.Count));

        var system = Assert.Single(doc.Writers, w => w.WriterId == new Guid("e8132975-6f93-4464-a53e-1050253ae220"));
        Assert.Equal(new Guid("ce678d65-95d0-4bea-a43d-2a288bc94500"), system.InstanceId);
        Assert.Equal(["System Files", "Win32 Services Files"], system.Components.Select(c => c.Name));
        Assert.All(system.Components, c =>
        {
            Assert.Equal(VssComponentType.FileGroup, c.Type);
            Assert.Equal("", c.LogicalPath);
            Assert.Null(c.BackupSucceeded);
        });

        var tasks = doc.FindComponent(new Guid("d61d61c8-d73a-4eee-8cdd-f6f9786b7124"), "", "tasksstore");
        Assert.NotNull(tasks);
        Assert.Null(doc.FindComponent(new Guid("d61d61c8-d73a-4eee-8cdd-f6f9786b7124"), "x", "TasksStore"));
    }

    [Fact]
    public void Writer_documents_named_in_the_manifest_match_the_backup_components_document()
    {
        var doc = VssBackupComponentsDocument.Parse(File.ReadAllText(TestData.Vss("diskshadow-no_sql", "BCDocument.xml")));
        foreach (var entry in doc.Writers)
        {
            var wm = Directory.EnumerateFiles(TestData.Vss("diskshadow-no_sql"), "WM*.xml")
                .Select(VssWriterMetadataParser.ParseFile)
                .Single(w => w.InstanceId == entry.InstanceId);
            Assert.Equal(wm.WriterId, entry.WriterId);
            Assert.All(entry.Components, c => Assert.Contains(wm.Components, x => x.Name == c.Name && x.LogicalPath == c.LogicalPath));
        }
    }

    [Fact]
    public void Success_flags_stamps_and_writer_private_metadata_are_read()
    {
        const string Xml = """
            <BACKUP_COMPONENTS xmlns="x-schema:#VssComponentMetadata" version="1.2" bootableSystemStateBackup="no" selectComponents="yes" backupType="copy" partialFileSupport="no" snapshotSetId="{11111111-2222-3333-4444-555555555555}">
              <WRITER_COMPONENTS instanceId="aaaaaaaa-2222-3333-4444-555555555555" writerId="b2014c9e-8711-4c5c-a5a9-3cf384484757" instanceName="x" backupSchema="2">
                <COMPONENT logicalPath="C:_Windows_NTDS" componentName="ntds" componentType="database" backupSucceeded="yes" backupStamp="stamp-1">
                  <BACKUP_METADATA xmlns="" metadata="expires=2027-01-01"/>
                </COMPONENT>
                <COMPONENT componentName="other" componentType="filegroup" backupSucceeded="no"/>
                <BACKUP_METADATA xmlns="">writer level</BACKUP_METADATA>
              </WRITER_COMPONENTS>
            </BACKUP_COMPONENTS>
            """;
        var doc = VssBackupComponentsDocument.Parse(Xml);
        Assert.Equal(VssBackupType.Copy, doc.BackupType);
        var writer = Assert.Single(doc.Writers);
        Assert.Equal(VssBackupSchema.Incremental, writer.BackupSchema);
        Assert.Equal("writer level", writer.BackupMetadata);
        var ntds = doc.FindComponent(new Guid("b2014c9e-8711-4c5c-a5a9-3cf384484757"), "C:_Windows_NTDS", "ntds")!;
        Assert.Equal(VssComponentType.Database, ntds.Type);
        Assert.True(ntds.BackupSucceeded);
        Assert.Equal("stamp-1", ntds.BackupStamp);
        Assert.Equal("expires=2027-01-01", ntds.BackupMetadata);
        Assert.False(writer.Components[1].BackupSucceeded);
    }

    [Fact]
    public void A_writer_metadata_document_is_not_a_backup_components_document()
    {
        Assert.Throws<FormatException>(() => VssBackupComponentsDocument.Parse(File.ReadAllText(TestData.Vss("diskshadow-no_sql", "WM0.xml"))));
    }

    [Fact]
    public void DiskShadow_manifest_in_utf16_without_bom_parses()
    {
        var path = TestData.Vss("diskshadow-no_sql", "Manifest.xml");
        var head = File.ReadAllBytes(path).AsSpan(0, 4).ToArray();
        Assert.Equal(new byte[] { (byte)'<', 0, (byte)'M', 0 }, head);

        var manifest = DiskShadowManifest.ParseFile(path);
        Assert.Equal(new Guid("e109943b-232e-4b52-8dc4-62b7de94761b"), manifest.ShadowCopySetId);
        Assert.Equal("WIN2012-SQL17-2", manifest.MachineName);
        var copy = Assert.Single(manifest.ShadowCopies);
        Assert.Equal(@"C:\", copy.OriginalVolume);
        Assert.Equal("LocVolumeShadow", copy.Alias);
        Assert.Equal("BCDocument.xml", manifest.BackupComponentsFile);
        Assert.Equal(11, manifest.DeclaredWriterCount);
        Assert.Equal(11, manifest.Writers.Count);
        Assert.Equal("Task Scheduler Writer", manifest.Writers[0].Name);
        Assert.Equal("WM0.xml", manifest.Writers[0].MetadataFileName);
        Assert.Equal("{c1749777-4753-44f0-a078-05c23c8771fa}", manifest.Aliases["LocVolumeShadow"]);

        // Every writer document the manifest names exists beside it and carries the same writer name.
        foreach (var writer in manifest.Writers)
        {
            var wm = VssWriterMetadataParser.ParseFile(TestData.Vss("diskshadow-no_sql", writer.MetadataFileName));
            Assert.Equal(writer.Name, wm.FriendlyName);
        }
    }
}
