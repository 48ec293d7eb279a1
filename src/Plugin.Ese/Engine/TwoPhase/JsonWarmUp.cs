using System.Text.Json;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Engine.TwoPhase;

/// <summary>
/// Serializes one sample of every record a backup writes at its end (the manifest, the journal entry) to nowhere, on a
/// background thread, while the backup starts.
/// <para>
/// Why: the first serialization of a type builds its JSON metadata, and that is code the runtime compiles on first use
/// (the source generator's metadata is generic over each property's type, which ReadyToRun cannot precompile across
/// the framework's version bubble). Done at the end of a backup it sits on the critical path (~50 ms for the manifest,
/// ~15 ms for the journal entry, measured on a 2-core EPYC); done at the start it runs on the core the still serial
/// start-up leaves idle. The samples fill every optional member so that every nested type is built too.
/// </para>
/// </summary>
internal static class JsonWarmUp
{
    private static int _started;

    /// <summary>Starts the warm-up once per process; later calls do nothing. Never throws and never waits.</summary>
    public static void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(Run);
        }
    }

    /// <summary>Serializes the samples (exposed for tests: both must serialize without error).</summary>
    internal static void Run()
    {
        try
        {
            JsonSerializer.Serialize(Stream.Null, SampleManifest(), ContractJsonContext.Default.BackupManifest);
            JsonSerializer.Serialize(Stream.Null, SampleJournalEntry(), JournalJsonContext.Default.JournalEntry);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            // Only a head start: the real serialization reports its own errors.
        }
    }

    internal static BackupManifest SampleManifest()
    {
        var range = new GenerationRange(1, 2);
        var finding = new Finding("sample", FindingSeverity.Info, "sample") { File = "f", Page = 1, Sector = 1, Offset = 1, Generation = 1, Expected = "e", Actual = "a", CorrectableBit = 1, EseError = 1 };
        return new BackupManifest
        {
            SetId = "s",
            Target = new TargetIdentity("t", TargetKind.FileSet, "t")
            {
                Location = "l",
                InstanceName = "i",
                Vss = new VssComponentInfo(Guid.Empty, "w", "l", "c") { WriterInstanceId = Guid.Empty, WriterInstanceName = "i" },
                LogSignature = "s",
                LogBaseName = "edb",
                DatabaseSignatures = ["s"],
            },
            Kind = BackupKind.Full,
            StartedAt = DateTimeOffset.UnixEpoch,
            FinishedAt = DateTimeOffset.UnixEpoch,
            Chain = new ChainInfo("c", "p", 1),
            Producer = new ProducerInfo("p", "1", "1", "s", "m"),
            Files =
            [
                new ManifestFile("d", FileRole.Database, 1, "h")
                {
                    SourcePath = "d",
                    Database = new DatabaseFacts(8192, 1, 1, "s") { DatabaseSignature = "s", LogSignature = "s", RequiredLogRange = range, CommittedGeneration = 1 },
                    Findings = [finding],
                },
                new ManifestFile("l", FileRole.Log, 1, "h")
                {
                    Log = new LogFacts(1) { LogSignature = "s", Created = DateTimeOffset.UnixEpoch, PreviousGenerationCreated = DateTimeOffset.UnixEpoch, FormatVersion = "v", ReplacesCopyInSetId = "s" },
                },
                new ManifestFile("c", FileRole.Checkpoint, 1, "h") { Checkpoint = new CheckpointFacts(1) { LogSignature = "s" } },
            ],
            LogRange = range,
            Truncation = new TruncationPlan(TruncationMode.OnSuccessfulCompletion, TruncationPerformer.Plugin) { ExpectedRange = range },
            Verification = new VerificationSummary(1, 1, 0, 1, 1),
            VssBackupComponentsDocument = "x",
            Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["k"] = "v" },
        };
    }

    internal static JournalEntry SampleJournalEntry() => new()
    {
        SetId = "s",
        TargetId = "t",
        Kind = BackupKind.Full,
        TargetKind = TargetKind.FileSet,
        Strategy = "s",
        StagedAt = DateTimeOffset.UnixEpoch,
        LeaseExpiresAt = DateTimeOffset.UnixEpoch,
        State = StagedSetState.Staged,
        Verdict = true,
        Intent = [new TruncatedLog("l", 1, 1)],
        Report = new TruncationReport
        {
            SetId = "s",
            TargetId = "t",
            Kind = BackupKind.Full,
            HostSucceeded = true,
            Status = TruncationStatus.Truncated,
            PerformedBy = TruncationPerformer.Plugin,
            Range = new GenerationRange(1, 1),
            At = DateTimeOffset.UnixEpoch,
            Removed = [new TruncatedLog("l", 1, 1)],
            Reason = "r",
            Error = new PluginError(ErrorCodes.DiskIO, "m")
            {
                TargetId = "t",
                File = "f",
                Page = 1,
                Offset = 1,
                Generation = 1,
                NativeStatus = 1,
                Details = new Dictionary<string, string>(StringComparer.Ordinal) { ["k"] = "v" },
            },
        },
    };
}
