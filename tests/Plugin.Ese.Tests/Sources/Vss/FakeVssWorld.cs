using System.Buffers.Binary;
using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using EseBackupPlugin.Ese.Sources.Vss;
using EseBackupPlugin.Ese.Sources.Vss.Requester;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>
/// One simulated machine for a test (<see cref="FakeVssMachine"/>: a temp "volume" holding a real ESE set in the
/// directory of a simulated ESE writer, plus the real DiskShadow writer documents as the machine's other writers), with
/// the plugin-side pieces the VSS tests use: source options, a journal, a source over the fake.
/// </summary>
internal sealed class FakeVssWorld : FakeVssMachine, IDisposable
{
    public FakeVssWorld(string writerName = "NTDS", Guid? writerId = null, VssBackupSchema schema = VssBackupSchema.Undefined, bool otherWriters = true, bool logsOnSecondVolume = false)
        : this(new TempDirectory("esebackup-vss-"), writerName, writerId, schema, otherWriters, logsOnSecondVolume)
    {
    }

    private FakeVssWorld(TempDirectory temp, string writerName, Guid? writerId, VssBackupSchema schema, bool otherWriters, bool logsOnSecondVolume)
        : base(temp.Path, TestData.Ese(EseSet), otherWriters ? TestData.Vss("diskshadow-no_sql") : null, writerName, writerId, (int)schema, logsOnSecondVolume)
    {
        Temp = temp;
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

    public InMemoryVssSnapshotSetJournal Journal { get; } = new();

    public VssSourceOptions Options { get; }

    public VssSource CreateSource(VssSourceOptions? options = null, ISnapshotSetCatalog? journal = null) =>
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

    public void Dispose()
    {
        FakeVssLibrary.Reset();
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
        return outcome.AddSourceFields(new BackupManifest
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
        });
    }
}
