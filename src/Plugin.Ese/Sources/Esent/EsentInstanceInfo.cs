using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>Everything the source knows about one ESE instance of this process (portable data).</summary>
/// <param name="Handle">The <c>JET_INSTANCE</c> value (only meaningful inside this process run).</param>
/// <param name="Name">Instance name.</param>
/// <param name="Databases">Attached databases (logging on).</param>
/// <param name="LogDirectory">JET_paramLogFilePath.</param>
/// <param name="SystemDirectory">JET_paramSystemPath (checkpoint).</param>
/// <param name="BaseName">JET_paramBaseName.</param>
/// <param name="LegacyFileNames">JET_paramLegacyFileNames.</param>
/// <param name="CircularLogging">JET_paramCircularLog.</param>
/// <param name="LoggingOn">JET_paramRecovery is on.</param>
/// <param name="PageSize">JET_paramDatabasePageSize (process-wide).</param>
/// <param name="LogSignature">The log stream's signature, when the engine has one.</param>
internal sealed record EsentInstanceInfo(
    nuint Handle,
    string? Name,
    IReadOnlyList<string> Databases,
    string LogDirectory,
    string SystemDirectory,
    string BaseName,
    uint LegacyFileNames,
    bool CircularLogging,
    bool LoggingOn,
    int PageSize,
    byte[]? LogSignature)
{
    /// <summary>The stable target id (see <see cref="EsentTargetIdentity"/>).</summary>
    public string Id => EsentTargetIdentity.FromLogSignature(LogSignature ?? []) ?? EsentTargetIdentity.FromNames(Name, Databases);

    /// <summary>A name for messages.</summary>
    public string Label => Name is { Length: > 0 } n ? $"ESE instance '{n}'" : "an unnamed ESE instance";

    /// <summary>The oldest archived log generation in the log directory, when there is one.</summary>
    public long? OldestArchivedGeneration()
    {
        var logs = EsentTruncation.ListArchivedLogs(LogDirectory, BaseName);
        return logs.Count == 0 ? null : logs.Keys.First();
    }

    /// <summary>The target the host sees.</summary>
    public BackupTarget ToTarget()
    {
        var warnings = new List<PluginError>();
        if (!LoggingOn)
        {
            warnings.Add(Errors.EseErrorMapper.Detected(-516, $"{Label} runs with logging off (JET_paramRecovery = off): ESE refuses to back it up."));
        }

        var logs = EsentTruncation.ListArchivedLogs(LogDirectory, BaseName);
        var present = new List<GenerationRange>();
        foreach (var gen in logs.Keys)
        {
            if (present.Count > 0 && present[^1].High == gen - 1)
            {
                present[^1] = present[^1] with { High = gen };
            }
            else
            {
                present.Add(new GenerationRange(gen, gen));
            }
        }

        var missing = new List<GenerationRange>();
        for (var i = 1; i < present.Count; i++)
        {
            missing.Add(new GenerationRange(present[i - 1].High + 1, present[i].Low - 1));
        }

        var currentLog = Path.Combine(LogDirectory, BaseName + ((LegacyFileNames & 1) != 0 ? ".log" : ".jtx"));
        var checkpoint = Path.Combine(SystemDirectory, BaseName + ((LegacyFileNames & 1) != 0 ? ".chk" : ".jcp"));
        var current = File.Exists(currentLog) ? EsentFileFacts.TryReadLogHeader(currentLog) : null;
        var checkpointFacts = File.Exists(checkpoint) ? EsentFileFacts.TryReadCheckpoint(checkpoint) : null;

        IReadOnlyList<BackupKind> kinds = !LoggingOn ? [] : CircularLogging ? [BackupKind.Full, BackupKind.Copy] : [BackupKind.Full, BackupKind.Incremental, BackupKind.Copy];
        return new BackupTarget
        {
            Id = Id,
            Kind = TargetKind.InProcessInstance,
            DisplayName = Name is { Length: > 0 } n ? $"{n} (ESE instance, logs {BaseName} in {LogDirectory})" : $"ESE instance (logs {BaseName} in {LogDirectory})",
            Location = Name,
            InstanceName = Name,
            Databases = Databases.Select(DescribeDatabase).ToList(),
            Logs = new TargetLogSet(LogDirectory, BaseName)
            {
                LogSignature = LogSignature is null ? null : EsentFileFacts.SignatureText(LogSignature),
                Present = present,
                Missing = missing,
                CurrentGeneration = current?.Generation,
                CircularLogging = CircularLogging,
                CheckpointGeneration = checkpointFacts?.Generation,
            },
            CheckpointPath = File.Exists(checkpoint) ? checkpoint : null,
            SupportedBackupKinds = kinds,
            Warnings = warnings,
        };
    }

    private TargetDatabase DescribeDatabase(string path)
    {
        var header = File.Exists(path) ? EsentFileFacts.TryReadDatabaseHeader(path) : null;
        return new TargetDatabase(path)
        {
            PageSize = header?.PageSize ?? PageSize,
            State = header is null ? null : StateName(header.State),
            DatabaseSignature = header is null ? null : EsentFileFacts.SignatureText(header.SignDb),
            Size = File.Exists(path) ? new FileInfo(path).Length : null,
        };
    }

    /// <summary>ESE's name for a database state (ese-on-disk.md §3.4).</summary>
    public static string StateName(uint state) => state switch
    {
        1 => "JustCreated",
        2 => "DirtyShutdown",
        3 => "CleanShutdown",
        4 => "BeingConverted",
        5 => "ForceDetach",
        6 => "IncrementalReseedInProgress",
        7 => "DirtyAndPatchedShutdown",
        8 => "RevertInProgress",
        _ => "Unknown" + state.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
