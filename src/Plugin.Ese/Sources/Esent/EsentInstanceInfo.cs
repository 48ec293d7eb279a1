using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Errors;

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
    EseSignature? LogSignature)
{
    /// <summary>The stable target id (see <see cref="EsentTargetIdentity"/>).</summary>
    public string Id => (LogSignature is { } s ? EsentTargetIdentity.FromLogSignature(s) : null) ?? EsentTargetIdentity.FromNames(Name, Databases);

    /// <summary>Extension of the instance's logs: <c>.log</c> with ESE98 file names (JET_paramLegacyFileNames bit 0x1), else <c>.jtx</c>.</summary>
    public string LogExtension => (LegacyFileNames & 0x1) != 0 ? ".log" : ".jtx";

    /// <summary>The archived name ESE gives generation <paramref name="generation"/>: 5 hex digits with 8.3 name compatibility (bit 0x2), else 8.</summary>
    public string ArchivedLogName(long generation) => LogFileName.ArchivedName(BaseName, generation, LogExtension, eightDigits: (LegacyFileNames & 0x2) == 0);

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
            warnings.Add(Errors.EseErrorMapper.Detected(JetErr.JET_errLoggingDisabled, $"{Label} runs with logging off (JET_paramRecovery = off): ESE refuses to back it up."));
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

        var currentLog = Path.Combine(LogDirectory, BaseName + LogExtension);
        var checkpoint = Path.Combine(SystemDirectory, BaseName + ((LegacyFileNames & 0x1) != 0 ? ".chk" : ".jcp"));
        var current = EseHeaderFiles.TryReadLog(currentLog);
        var checkpointFacts = EseHeaderFiles.TryReadCheckpoint(checkpoint);

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
                LogSignature = LogSignature?.ToString(),
                Present = present,
                Missing = missing,
                CurrentGeneration = current?.Generation,
                CircularLogging = CircularLogging,
                CheckpointGeneration = checkpointFacts?.CheckpointGeneration,
            },
            CheckpointPath = File.Exists(checkpoint) ? checkpoint : null,
            SupportedBackupKinds = kinds,
            Warnings = warnings,
        };
    }

    private TargetDatabase DescribeDatabase(string path)
    {
        var header = EseHeaderFiles.TryReadDatabase(path);
        return new TargetDatabase(path)
        {
            PageSize = header?.PageSize ?? PageSize,
            State = header?.State.ToString(),
            DatabaseSignature = header?.DatabaseSignature.ToString(),
            RequiredLogRange = header?.RequiredLogRange is { } r ? new GenerationRange(r.Low, r.High) : null,
            Size = File.Exists(path) ? new FileInfo(path).Length : null,
        };
    }
}
