using System.Buffers.Binary;
using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Vss;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.Ese.Tests.Vss;

/// <summary>
/// One simulated machine for a test: a temp "volume" holding a real ESE set (srum-win10-clean-with-logs: database,
/// logs 25..31, current log generation 32, checkpoint at 32) in the directory of a simulated ESE writer, plus the
/// real DiskShadow writer documents as the machine's other writers.
/// </summary>
internal sealed class FakeVssWorld : IDisposable
{
    public static readonly Guid NtdsWriterId = new("B2014C9E-8711-4C5C-A5A9-3CF384484757");
    public static readonly Guid ExchangeWriterId = new("76FE1AC4-15F7-4BCD-987E-8E1ACB462FB7");
    public static readonly Guid SystemWriterId = new("E8132975-6F93-4464-A53E-1050253AE220");
    public const string EseSet = "srum-win10-clean-with-logs";

    public FakeVssWorld(string writerName = "NTDS", Guid? writerId = null, VssBackupSchema schema = VssBackupSchema.Undefined, bool otherWriters = true, bool logsOnSecondVolume = false)
    {
        VssFake.Reset();
        Temp = new TempDirectory("esebackup-vss-");
        VolumeRoot = Temp.Combine("volume");
        ShadowRoot = Temp.Combine("shadows");
        DatabaseDirectory = Path.Combine(VolumeRoot, "Windows", "NTDS");
        Directory.CreateDirectory(DatabaseDirectory);
        Directory.CreateDirectory(ShadowRoot);
        foreach (var file in Directory.EnumerateFiles(TestData.Ese(EseSet)))
        {
            var copy = Path.Combine(DatabaseDirectory, Path.GetFileName(file));
            File.Copy(file, copy);
            File.SetAttributes(copy, FileAttributes.Normal);
        }

        LogDirectory = DatabaseDirectory;
        if (logsOnSecondVolume)
        {
            LogDirectory = Temp.Combine("volume2", "Logs");
            Directory.CreateDirectory(LogDirectory);
            foreach (var file in Directory.EnumerateFiles(DatabaseDirectory).Where(f => !f.EndsWith("SRUDB.dat", StringComparison.Ordinal)))
            {
                File.Move(file, Path.Combine(LogDirectory, Path.GetFileName(file)));
            }
        }

        WriterId = writerId ?? NtdsWriterId;
        WriterName = writerName;
        LogicalPath = DatabaseDirectory.Replace('/', '_').Replace(':', '_');
        WriterDocument = Temp.Combine("ese-writer.xml");
        File.WriteAllText(WriterDocument, $"""
            <WRITER_METADATA xmlns="x-schema:#VssWriterMetadataInfo" version="1.2" backupSchema="{(int)schema}">
              <IDENTIFICATION writerId="{WriterId}" instanceId="{InstanceId}" friendlyName="{writerName}" usage="BOOTABLE_SYSTEM_STATE" dataSource="TRANSACTION_DB" majorVersion="1" minorVersion="0"/>
              <RESTORE_METHOD method="RESTORE_IF_CAN_BE_REPLACED" writerRestore="never" rebootRequired="yes"/>
              <BACKUP_LOCATIONS>
                <DATABASE logicalPath="{LogicalPath}" componentName="ntds" caption="" restoreMetadata="no" notifyOnBackupComplete="no" selectable="no" selectableForRestore="no" componentFlags="3">
                  <DATABASE_FILES path="{DatabaseDirectory}" filespec="SRUDB.dat" filespecBackupType="3855"/>
                  <DATABASE_LOGFILES path="{LogDirectory}" filespec="SRU*.log" filespecBackupType="3855"/>
                  <DATABASE_LOGFILES path="{LogDirectory}" filespec="SRU.chk" filespecBackupType="3855"/>
                </DATABASE>
              </BACKUP_LOCATIONS>
            </WRITER_METADATA>
            """);

        Volume = VssFake.AddVolume(VolumeRoot, ShadowRoot);
        if (logsOnSecondVolume)
        {
            SecondVolume = VssFake.AddVolume(Temp.Combine("volume2"), ShadowRoot);
        }
        if (otherWriters)
        {
            foreach (var file in Directory.EnumerateFiles(TestData.Vss("diskshadow-no_sql"), "WM*.xml").Order(StringComparer.Ordinal))
            {
                OtherWriters[Path.GetFileName(file)] = VssFake.AddWriterFile(file);
            }
        }

        EseWriter = VssFake.AddWriterFile(WriterDocument);
        Options = new VssSourceOptions
        {
            AsyncTimeout = TimeSpan.FromSeconds(5),
            AsyncWaitSlice = TimeSpan.FromMilliseconds(20),
            SnapshotSetRetryDelay = TimeSpan.FromMilliseconds(10),
            SnapshotSetRetryMaxDelay = TimeSpan.FromMilliseconds(40),
            SnapshotSetRetryDeadline = TimeSpan.FromSeconds(2),
        };
    }

    public TempDirectory Temp { get; }

    public string VolumeRoot { get; }

    public string ShadowRoot { get; }

    public string DatabaseDirectory { get; }

    public string LogDirectory { get; }

    public int? SecondVolume { get; }

    public string LogicalPath { get; }

    public string WriterDocument { get; }

    public Guid WriterId { get; }

    public string WriterName { get; }

    public Guid InstanceId { get; } = Guid.NewGuid();

    public int Volume { get; }

    public int EseWriter { get; }

    public Dictionary<string, int> OtherWriters { get; } = new(StringComparer.Ordinal);

    public InMemoryVssSnapshotSetJournal Journal { get; } = new();

    public VssSourceOptions Options { get; }

    public VssSource CreateSource(VssSourceOptions? options = null, IVssSnapshotSetJournal? journal = null) =>
        new(options ?? Options, journal ?? Journal, VssFake.Api, NullLogger.Instance, TimeProvider.System);

    public static async Task<List<BackupTarget>> DiscoverAsync(VssSource source)
    {
        var list = new List<BackupTarget>();
        await foreach (var t in source.DiscoverAsync(new DiscoveryRequest(), CancellationToken.None))
        {
            list.Add(t);
        }

        return list;
    }

    public async Task<BackupTarget> TargetAsync(VssSource source) => Assert.Single(await DiscoverAsync(source), t => t.Vss!.WriterId == WriterId);

    public SourceBackupContext Context(BackupTarget target, BackupKind kind, IReadOnlyList<Abstractions.Catalog.CatalogEntry>? chain = null) =>
        new(target, kind, null, chain ?? [], "set-" + Guid.NewGuid().ToString("N")[..8], Temp.Combine("work"));

    /// <summary>Archived logs still on the live volume.</summary>
    public IReadOnlyList<string> LiveArchivedLogs =>
        Directory.EnumerateFiles(LogDirectory)
            .Select(f => Path.GetFileName(f))
            .Where(n => Ese.Format.LogFileName.ArchivedGeneration(n) is not null)
            .Order(StringComparer.Ordinal)
            .ToArray();

    public void Dispose()
    {
        VssFake.Reset();
        Temp.Dispose();
    }
}

/// <summary>Stands in for the backup engine: reads every offered file to its end, stages it, and records the ESE facts it would.</summary>
internal static class FakeEngine
{
    public static async Task<IReadOnlyList<ManifestFile>> StageAsync(ISourceSession session, string setDirectory)
    {
        Directory.CreateDirectory(setDirectory);
        var files = new List<ManifestFile>();
        await foreach (var file in session.GetFilesAsync(CancellationToken.None))
        {
            var destination = Path.Combine(setDirectory, file.RelativePath);
            await using (var reader = await file.OpenAsync(CancellationToken.None))
            await using (var output = File.Create(destination))
            {
                var buffer = new byte[64 * 1024];
                int n;
                while ((n = await reader.ReadAsync(buffer, CancellationToken.None)) > 0)
                {
                    await output.WriteAsync(buffer.AsMemory(0, n));
                }
            }

            var bytes = await File.ReadAllBytesAsync(destination);
            var entry = new ManifestFile(file.RelativePath, file.Role, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))) { SourcePath = file.SourcePath };
            entry = file.Role switch
            {
                FileRole.Log => entry with { Log = new LogFacts(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4))) { WasCurrentLog = file.WasCurrentLog } },
                FileRole.Checkpoint => entry with { Checkpoint = new CheckpointFacts(BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(16))) },
                FileRole.Database => entry with { Database = new DatabaseFacts(4096, 0x620, 0x14, "CleanShutdown") },
                _ => entry,
            };
            files.Add(entry);
        }

        return files;
    }

    public static BackupManifest Manifest(BackupTarget target, BackupKind kind, string setId, IReadOnlyList<ManifestFile> files, StagedOutcome outcome)
    {
        var generations = files.Where(f => f.Log is not null).Select(f => f.Log!.Generation).ToList();
        return new BackupManifest
        {
            SetId = setId,
            Target = new TargetIdentity(target.Id, target.Kind, target.DisplayName) { Vss = target.Vss },
            Kind = kind,
            StartedAt = DateTimeOffset.UtcNow,
            FinishedAt = DateTimeOffset.UtcNow,
            Chain = new ChainInfo(setId, null, 0),
            Producer = new ProducerInfo("ese", "0.0.0", "1.0", VssSource.StrategyName, "test"),
            Files = files,
            LogRange = generations.Count == 0 ? null : new GenerationRange(generations.Min(), generations.Max()),
            Truncation = outcome.Truncation,
            Verification = new VerificationSummary(files.Count, 0, 0, 0, 0),
            VssBackupComponentsDocument = outcome.VssBackupComponentsDocument,
        };
    }
}
