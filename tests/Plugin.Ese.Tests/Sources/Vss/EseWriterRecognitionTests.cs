using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Metadata;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

public class EseWriterRecognitionTests
{
    private static readonly Guid NtdsId = new("B2014C9E-8711-4C5C-A5A9-3CF384484757");
    private static readonly Guid AdamId = new("DD846AAA-A1B6-42A8-AAF8-03DCB6114BFD");

    /// <summary>The documentation fragments carry no IDENTIFICATION; SOURCES.md names their writers.</summary>
    private static VssWriterMetadata Fragment(string file, Guid writerId, string name) =>
        VssWriterMetadataParser.ParseFile(TestData.Vss("docs-examples", file)) with
        {
            WriterId = writerId,
            InstanceId = Guid.NewGuid(),
            FriendlyName = name,
        };

    [Fact]
    public void Ntds_fragment_becomes_one_database_target_with_logs_and_checkpoint()
    {
        var bare = VssWriterMetadataParser.ParseFile(TestData.Vss("docs-examples", "ntds-backup-locations.fragment.xml"));
        Assert.Equal(Guid.Empty, bare.WriterId);
        var component = Assert.Single(bare.Components);
        Assert.Equal(VssComponentType.Database, component.Type);
        Assert.Equal("C:_Windows_NTDS", component.LogicalPath);
        Assert.Equal("ntds", component.Name);
        Assert.False(component.Selectable);
        Assert.Equal(VssComponentFlags.BackupRecovery | VssComponentFlags.AppRollbackRecovery, component.Flags);
        Assert.Single(component.DatabaseFiles);
        Assert.Equal(2, component.LogFiles.Count);

        var wm = Fragment("ntds-backup-locations.fragment.xml", NtdsId, "NTDS");
        Assert.Equal("ntds", EseWriterCatalog.Recognize(wm)!.Key);

        var target = Assert.Single(VssTargetFactory.CreateTargets(wm));
        Assert.Equal(TargetKind.VssWriter, target.Kind);
        Assert.Equal(@"C:\Windows\NTDS\ntds.dit", Assert.Single(target.Databases).Path);
        Assert.Equal(@"C:\Windows\NTDS", target.Logs!.Directory);
        Assert.Equal("edb", target.Logs.BaseName);
        Assert.Equal(@"C:\Windows\NTDS\edb.chk", target.CheckpointPath);
        Assert.Equal(@"C:_Windows_NTDS\ntds", target.Location);
        Assert.Equal([BackupKind.Full, BackupKind.Copy], target.SupportedBackupKinds);
        Assert.Equal(new VssComponentInfo(NtdsId, "NTDS", "C:_Windows_NTDS", "ntds"), target.Vss! with { WriterInstanceId = null, WriterInstanceName = null });
        Assert.False(target.Vss.Selectable);
        Assert.StartsWith("vss-", target.Id, StringComparison.Ordinal);
    }

    [Fact]
    public void Ad_lds_fragment_is_recognised_by_id_and_by_its_instance_name_pattern()
    {
        var wm = Fragment("adam-lds-backup-locations.fragment.xml", AdamId, "ADAM (instance1) Writer");
        Assert.Equal("adlds", EseWriterCatalog.Recognize(wm)!.Key);
        Assert.Equal("adlds", EseWriterCatalog.Recognize(Guid.Empty, "ADAM (instance7) Writer")!.Key);

        var target = Assert.Single(VssTargetFactory.CreateTargets(wm));
        Assert.Equal(@"C:\Program Files\Microsoft ADAM\instance1\data\adamntds.dit", Assert.Single(target.Databases).Path);
        Assert.Equal("edb", target.Logs!.BaseName);
        Assert.Equal(@"C:\Program Files\Microsoft ADAM\instance1\data\edb.chk", target.CheckpointPath);
    }

    [Fact]
    public void Target_ids_are_stable_and_distinct()
    {
        var ntds = Assert.Single(VssTargetFactory.CreateTargets(Fragment("ntds-backup-locations.fragment.xml", NtdsId, "NTDS")));
        var again = Assert.Single(VssTargetFactory.CreateTargets(Fragment("ntds-backup-locations.fragment.xml", NtdsId, "NTDS")));
        var adam = Assert.Single(VssTargetFactory.CreateTargets(Fragment("adam-lds-backup-locations.fragment.xml", AdamId, "ADAM (instance1) Writer")));

        // A new instance id (service restart) does not change the id; another component does.
        Assert.Equal(ntds.Id, again.Id);
        Assert.NotEqual(ntds.Id, adam.Id);
        Assert.Equal(VssTargetFactory.TargetId(NtdsId, "C:_Windows_NTDS", "ntds"), VssTargetFactory.TargetId(NtdsId, "c:_windows_ntds", "NTDS"));
        Assert.NotEqual(VssTargetFactory.TargetId(NtdsId, "C:_Windows_NTDS", "ntds"), VssTargetFactory.TargetId(AdamId, "C:_Windows_NTDS", "ntds"));
    }

    [Theory]
    [InlineData("B2014C9E-8711-4C5C-A5A9-3CF384484757", "whatever", "ntds")]
    [InlineData("00000000-0000-0000-0000-000000000000", "NTDS", "ntds")]
    [InlineData("76FE1AC4-15F7-4BCD-987E-8E1ACB462FB7", "Microsoft Exchange Writer", "exchange")]
    [InlineData("00000000-0000-0000-0000-000000000000", "Microsoft Exchange Replica Writer", "exchange-replica")]
    [InlineData("BE9AC81E-3619-421F-920F-4C6FEA9E93AD", "Dhcp Jet Writer", "dhcp")]
    [InlineData("F08C1483-8407-4A26-8C26-6C267A629741", "WINS Jet Writer", "wins")]
    [InlineData("6F5B15B5-DA24-4D88-B737-63063E3A1F86", "Certificate Authority", "certsvc")]
    [InlineData("5382579C-98DF-47A7-AC6C-98A6D7106E09", "TermServLicensing", "rdlicensing")]
    [InlineData("BCEDCF69-E5B4-49ED-9723-7BE9F7CD0992", "EseRecoveryWriter", "ese-recovery")]
    [InlineData("CD3F2362-8BEF-46C7-9181-D62844CDC0B2", "MSSearch Service Writer", "mssearch")]
    public void Known_ese_writers_are_recognised(string id, string name, string key)
    {
        Assert.Equal(key, EseWriterCatalog.Recognize(new Guid(id), name)?.Key);
    }

    [Fact]
    public void Every_writer_id_matches_the_reference_table()
    {
        // The ids are pinned to reference §12 itself, not to a second hand-typed copy (the search writer's id once
        // ended in C062 instead of C0B2, so it was recognised only by its name).
        var reference = VssReference.EseWriterIds();
        Assert.NotEmpty(reference);
        foreach (var writer in EseWriterCatalog.Known.Where(k => k.WriterId is not null))
        {
            var row = reference.Where(r => r.Value == writer.WriterId).Select(r => r.Key).FirstOrDefault();
            Assert.True(row is not null, $"writer '{writer.Key}' has id {writer.WriterId}, which reference §12 does not list");
            Assert.True(writer.MatchesName(row!.Replace("(instanceN)", "(instance1)", StringComparison.Ordinal)), $"reference §12 gives {writer.WriterId} to '{row}', not to '{writer.Key}'");
        }

        foreach (var (name, id) in reference)
        {
            Assert.True(EseWriterCatalog.Recognize(id, "a name nobody uses") is not null, $"'{name}' ({id}) is not recognised by its id");
        }
    }

    [Theory]
    [InlineData("A65FAA63-5EA8-4EBC-9DBD-A0C4DB26912A", "SqlServerWriter")]
    [InlineData("E8132975-6F93-4464-A53E-1050253AE220", "System Writer")]
    [InlineData("00000000-0000-0000-0000-000000000000", "ADAM Writer")]
    [InlineData("00000000-0000-0000-0000-000000000000", "")]
    public void Other_writers_are_not_recognised(string id, string name)
    {
        Assert.Null(EseWriterCatalog.Recognize(new Guid(id), name));
    }

    [Fact]
    public void Search_writer_is_ese_based_but_never_a_target()
    {
        var wm = Fragment("ntds-backup-locations.fragment.xml", new Guid("CD3F2362-8BEF-46C7-9181-D62844CDC0B2"), "MSSearch Service Writer");
        Assert.NotNull(EseWriterCatalog.Recognize(wm));
        Assert.Empty(VssTargetFactory.CreateTargets(wm));
    }

    [Fact]
    public void Incremental_is_offered_only_when_the_writer_schema_declares_it()
    {
        var wm = Fragment("ntds-backup-locations.fragment.xml", new Guid("76FE1AC4-15F7-4BCD-987E-8E1ACB462FB7"), "Microsoft Exchange Writer")
            with { BackupSchema = VssBackupSchema.Incremental | VssBackupSchema.Differential };
        var target = Assert.Single(VssTargetFactory.CreateTargets(wm));
        Assert.Contains(BackupKind.Incremental, target.SupportedBackupKinds);
    }

    [Fact]
    public void Recovery_writer_file_groups_count_as_databases_but_logs_do_not()
    {
        const string Xml = """
            <WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2" backupSchema="33686">
              <IDENTIFICATION writerId="bcedcf69-e5b4-49ed-9723-7be9f7cd0992" instanceId="11111111-2222-3333-4444-555555555555" friendlyName="EseRecoveryWriter" usage="USER_DATA" dataSource="TRANSACTION_DB" majorVersion="1" minorVersion="0"/>
              <BACKUP_LOCATIONS>
                <FILE_GROUP componentName="Db" caption="" restoreMetadata="no" notifyOnBackupComplete="no" selectable="yes" selectableForRestore="yes" componentFlags="3">
                  <FILE_LIST path="D:\data" filespec="app.dat" recursive="no" filespecBackupType="3855"/>
                  <FILE_LIST path="D:\data" filespec="abc*.log" recursive="no" filespecBackupType="3855"/>
                  <FILE_LIST path="D:\data" filespec="abc.chk" recursive="no" filespecBackupType="3855"/>
                </FILE_GROUP>
              </BACKUP_LOCATIONS>
            </WRITER_METADATA>
            """;
        var target = Assert.Single(VssTargetFactory.CreateTargets(VssWriterMetadataParser.Parse(Xml)));
        Assert.Equal(@"D:\data\app.dat", Assert.Single(target.Databases).Path);
        Assert.Equal("abc", target.Logs!.BaseName);
        Assert.Equal(@"D:\data\abc.chk", target.CheckpointPath);
    }

    [Theory]
    [InlineData("edb0001A.log", nameof(LogSideFileKind.ArchivedLog))]
    [InlineData("E0000000001.log", nameof(LogSideFileKind.ArchivedLog))]
    [InlineData("SRU00019.log", nameof(LogSideFileKind.ArchivedLog))]
    [InlineData("edb.log", nameof(LogSideFileKind.CurrentLog))]
    [InlineData("edb.chk", nameof(LogSideFileKind.Checkpoint))]
    [InlineData("edbtmp.log", nameof(LogSideFileKind.ReserveOrTemporary))]
    [InlineData("SRUtmp.log", nameof(LogSideFileKind.ReserveOrTemporary))]
    [InlineData("edbres00001.jrs", nameof(LogSideFileKind.ReserveOrTemporary))]
    [InlineData("res1.log", nameof(LogSideFileKind.ReserveOrTemporary))]
    [InlineData("edb001.log", nameof(LogSideFileKind.Other))]
    [InlineData("notes.txt", nameof(LogSideFileKind.Other))]
    public void Log_side_file_names_are_classified_by_ese_rules(string name, string kind)
    {
        Assert.Equal(Enum.Parse<LogSideFileKind>(kind), EseFileNames.ClassifyLogSideFile(name));
    }

    [Fact]
    public void Archived_log_names_round_trip()
    {
        var name = Ese.Format.LogFileName.TryParse("SRU0001F.log")!;
        Assert.Equal(("SRU", 31L, 5), (name.BaseName, name.Generation!.Value, name.GenerationDigits));
        Assert.Equal(31L, Ese.Format.LogFileName.ArchivedGeneration("SRU0001F.log", "sru"));
        Assert.Null(Ese.Format.LogFileName.ArchivedGeneration("SRU0001F.log", "edb"));
        Assert.Equal("SRU00020.log", Ese.Format.LogFileName.ArchivedName("SRU", 32, ".log"));
        Assert.Equal("edb00100000.log", Ese.Format.LogFileName.ArchivedName("edb", 0x100000, ".log"));
        Assert.Equal("E000000002A.log", Ese.Format.LogFileName.ArchivedName("E00", 42, ".log", eightDigits: true));
    }
}
