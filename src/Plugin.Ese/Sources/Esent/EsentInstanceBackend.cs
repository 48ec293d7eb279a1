using System.Runtime.Versioning;
using System.Text;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Windows.Esent;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>
/// The Windows-only half of <see cref="EsentInstanceSource"/>: everything that talks to esent.dll.
/// Reached only behind <see cref="EsentNativeGate.IsAvailable"/>.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class EsentInstanceBackend
{
    private readonly EsentApis _apis;
    private readonly EsentSourceOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;

    public EsentInstanceBackend(EsentApis apis, EsentSourceOptions options, ILogger logger, TimeProvider time)
    {
        _apis = apis;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>The instances of this process (JetGetInstanceInfoW), described.</summary>
    public (IReadOnlyList<EsentInstanceInfo> Instances, PluginError? Error) ListInstances()
    {
        var err = _apis.Instances.GetInstanceInfo(out var found);
        if (err < 0)
        {
            return ([], EseErrorMapper.ToPluginError(err, "JetGetInstanceInfoW"));
        }

        return (found.Select(Describe).ToList(), null);
    }

    /// <summary>Reads an instance's parameters and log signature.</summary>
    public EsentInstanceInfo Describe(JetInstanceDescription description)
    {
        var instances = _apis.Instances;
        using var handle = SafeJetInstanceHandle.Borrowed(description.Instance);
        string Text(JetParam p, string fallback) => instances.GetParameter(handle, p, out string v) >= 0 && v.Length > 0 ? v : fallback;
        nuint Number(SafeJetInstanceHandle? h, JetParam p, nuint fallback) => instances.GetParameter(h, p, out nuint v) >= 0 ? v : fallback;

        EseSignature? signature = null;
        if (instances.GetLogSignature(handle, out var sig) >= 0 && EseSignature.Read(sig.ToBytes()) is { IsZero: false } read)
        {
            signature = read;
        }

        return new EsentInstanceInfo(
            description.Instance,
            description.Name,
            description.DatabaseFiles,
            FullDirectory(Text(JetParam.LogFilePath, ".")),
            FullDirectory(Text(JetParam.SystemPath, ".")),
            Text(JetParam.BaseName, "edb"),
            (uint)Number(handle, JetParam.LegacyFileNames, 3),
            Number(handle, JetParam.CircularLog, 0) != 0,
            !string.Equals(Text(JetParam.Recovery, "on"), "off", StringComparison.OrdinalIgnoreCase),
            (int)Number(null, JetParam.DatabasePageSize, 4096),
            signature);
    }

    /// <summary>Opens an idle file set in a private instance so ESE itself can back it up.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The instance handle is disposed on every failure path and owned by the returned EsentOpenInstance on success.")]
    public EsentOpenResult OpenFileSet(EsentFileSetSpec spec)
    {
        var (layout, probeError) = EsentFileSetProbe.Probe(spec);
        if (layout is null)
        {
            return new EsentOpenResult(null, probeError);
        }

        var instances = _apis.Instances;
        var name = spec.InstanceName ?? $"EseBackupPlugin-{layout.BaseName}-{EsentTargetIdentity.StableHash(Encoding.UTF8.GetBytes(layout.Directory))[..8]}";
        var label = $"file set {layout.Directory} (instance '{name}')";
        var pageError = EsentParameters.EnsurePageSize(instances, layout.PageSize, label);
        if (pageError is not null)
        {
            return new EsentOpenResult(null, pageError);
        }

        var err = instances.CreateInstance(name, $"EseBackupPlugin: {layout.Directory}", out var handle);
        if (err < 0)
        {
            handle.Dispose();
            return new EsentOpenResult(null, EseErrorMapper.ToPluginError(err, "JetCreateInstance2W", label));
        }

        try
        {
            (err, var failedParam) = ApplySettings(instances, handle, layout, spec.CircularLogging);
            if (err < 0)
            {
                return Failed(err, $"JetSetSystemParameterW({failedParam})");
            }

            err = instances.Init(handle, JetInitGrbit.None);
            if (err < 0)
            {
                return Failed(err, "JetInit3W");
            }

            err = instances.BeginSession(handle, out var session);
            if (err < 0)
            {
                return Failed(err, "JetBeginSessionW");
            }

            // The session must end before a failure terminates the instance: terminating frees the instance's
            // sessions, and ending one afterwards would hand esent.dll a freed session.
            (err, var failedDatabase) = AttachAll(instances, session, layout.Databases);
            if (failedDatabase is not null)
            {
                return Failed(err, "JetAttachDatabaseW", failedDatabase);
            }

            var (all, listError) = ListInstances();
            var info = all.FirstOrDefault(i => i.Handle == handle.Value);
            if (info is null)
            {
                handle.Dispose();
                return new EsentOpenResult(null, listError ?? new PluginError(ErrorCodes.InternalError, $"The private instance for {label} is not listed by JetGetInstanceInfoW."));
            }

            _logger.LogInformation("Opened {Label} with {Count} database(s)", label, layout.Databases.Count);
            return new EsentOpenResult(new EsentOpenInstance(handle, info.ToTarget(), layout, name), null);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        EsentOpenResult Failed(int jetErr, string operation, string? file = null)
        {
            handle.Dispose();
            return new EsentOpenResult(null, EseErrorMapper.ToPluginError(jetErr, operation, label, file));
        }
    }

    /// <summary>The private instance's parameters; the first one ESE refuses ends it.</summary>
    private static (int Err, JetParam Param) ApplySettings(IEsentInstanceApi instances, SafeJetInstanceHandle handle, EsentFileSetLayout layout, bool circularLogging)
    {
        var settings = new List<(JetParam Param, nuint Value, string? Text)>
        {
            (JetParam.SystemPath, 0, EsentParameters.WithSeparator(layout.SystemDirectory)),
            (JetParam.LogFilePath, 0, EsentParameters.WithSeparator(layout.LogDirectory)),
            (JetParam.BaseName, 0, layout.BaseName),
            (JetParam.Recovery, 0, "on"),
            (JetParam.CircularLog, circularLogging ? 1u : 0u, null),
            (JetParam.NoInformationEvent, 1, null),
        };
        if (layout.LogFileSizeKiB is { } kib)
        {
            settings.Add((JetParam.LogFileSize, (nuint)kib, null));
        }

        foreach (var (param, value, text) in settings)
        {
            var err = instances.SetParameter(handle, param, value, text);
            if (err < 0)
            {
                return (err, param);
            }
        }

        return (0, default);
    }

    /// <summary>Attaches every database; the session ends here, before a failure can terminate the instance.</summary>
    private static (int Err, string? FailedDatabase) AttachAll(IEsentInstanceApi instances, nuint session, IReadOnlyList<string> databases)
    {
        // Terminating the instance frees its sessions, and ending one afterwards would hand esent.dll a freed session.
        try
        {
            foreach (var database in databases)
            {
                var err = instances.AttachDatabase(session, database, JetAttachGrbit.None);
                if (err < 0)
                {
                    return (err, database);
                }
            }

            return (0, null);
        }
        finally
        {
            _ = instances.EndSession(session);
        }
    }

    /// <summary>Plans and starts a backup session (see <see cref="EsentInstanceSource"/>).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "The borrowed handle (it never terminates anything) belongs to the session, which disposes it.")]
    public async ValueTask<SourceSessionStart> BeginAsync(SourceBackupContext context, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        var requested = EsentStrategies.Normalize(context.Strategy);
        if (requested is { Length: 0 })
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.InvalidParameter, $"Unknown strategy '{context.Strategy}' for in-process instances; use {string.Join(" or ", EsentStrategies.All)}."));
        }

        var strategy = requested ?? (context.Kind == BackupKind.Copy ? EsentStrategies.Streaming : EsentStrategies.Normalize(_options.DefaultStrategy) is { Length: > 0 } d ? d : EsentStrategies.BackupInstance);

        var (instances, listError) = ListInstances();
        if (listError is not null)
        {
            return SourceSessionStart.Failed(listError);
        }

        // A copy of one identity among several carries an id qualified by its log directory (TargetCopies).
        var info = instances.FirstOrDefault(i => string.Equals(i.Id, context.Target.Id, StringComparison.Ordinal))
            ?? instances.FirstOrDefault(i => i.Id == TargetCopies.IdentityOf(context.Target.Id) && TargetCopies.QualifiedId(i.Id, i.LogDirectory) == context.Target.Id);
        if (info is null)
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.TargetNotFound, $"No ESE instance of this process has id {context.Target.Id} ({context.Target.DisplayName}); it may have been terminated.") { TargetId = context.Target.Id });
        }

        var chainError = CheckChain(context, info);
        if (chainError is not null)
        {
            return SourceSessionStart.Failed(chainError with { TargetId = context.Target.Id });
        }

        var sessionContext = new EsentSessionContext(
            _apis,
            SafeJetInstanceHandle.Borrowed(info.Handle),
            info,
            context,
            new EsentProgress(progress, OperationKind.Backup),
            _options,
            _logger,
            _time);

        if (strategy == EsentStrategies.Streaming)
        {
            var (streaming, error) = EsentStreamingSession.Begin(sessionContext);
            return streaming is null ? SourceSessionStart.Failed(error!) : SourceSessionStart.Started(streaming);
        }

        var (session, runError) = await EsentBackupInstanceSession.RunAsync(sessionContext, cancellationToken);
        return session is null ? SourceSessionStart.Failed(runError!) : SourceSessionStart.Started(session);
    }

    /// <summary>What the host's catalog must hold for an incremental: a completed full, and no lost generations since.</summary>
    private static PluginError? CheckChain(SourceBackupContext context, EsentInstanceInfo info)
    {
        if (context.Kind != BackupKind.Incremental)
        {
            return null;
        }

        if (context.Chain.Count == 0 || context.Chain[0].Manifest.Kind != BackupKind.Full)
        {
            return EseErrorMapper.Detected(JetErr.JET_errMissingFullBackup, $"An incremental backup of {info.Label} needs a completed full backup in the host's catalog first.");
        }

        var newest = context.Chain[^1].Manifest.LogRange?.High;
        var oldest = info.OldestArchivedGeneration();
        if (newest is { } n && oldest is { } o && o > n + 1)
        {
            return new PluginError(
                ErrorCodes.NewFullBackupRequired,
                $"Log generations {n + 1}-{o - 1} of {info.Label} are gone since set {context.Chain[^1].Manifest.SetId} (newest generation {n}); the oldest log on disk is {o}. A new full backup is needed.")
            { Generation = n + 1 };
        }

        return null;
    }

    private static string FullDirectory(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
}
