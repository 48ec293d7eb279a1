using System.Runtime.CompilerServices;
using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Windows.Esent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>
/// The in-process instance source: ESE instances living in this process (<see cref="TargetKind.InProcessInstance"/>),
/// backed up by esent.dll itself. Two strategies (<see cref="EsentStrategies"/>): <c>jet-backup-instance</c>
/// (<see cref="EsentBackupInstanceSession"/>) and <c>jet-streaming</c> (<see cref="EsentStreamingSession"/>).
/// </summary>
/// <remarks>
/// <para>Discovery lists the instances JetGetInstanceInfoW reports (only instances of this process exist
/// for these APIs, reference §0.1). <see cref="OpenFileSetAsync"/> creates such an instance over an
/// idle file set (system/log paths and base name from the set, recovery on, JetInit3, databases
/// attached), so ESE itself can back the set up. The file sets of <see cref="EsentSourceOptions.FileSets"/>
/// are opened that way on the first discovery (a failed one is tried again at the next) and listed like
/// every other instance; disposing the source terminates them.</para>
/// <para>Completion of a staged set normally needs the live session. A <c>jet-backup-instance</c> set is the
/// exception: ESE already did everything during phase one, so <see cref="ResumeForCompletionAsync"/> can
/// complete it in another process. A streaming set cannot be completed once its session is gone: the
/// engine then reports <c>SessionLost</c>, and the session was ended as aborted when its process let go
/// of it (nothing truncated).</para>
/// <para>Target ids come from the log signature (see <see cref="EsentTargetIdentity"/>).</para>
/// <para>Works on Windows; elsewhere it reports itself unavailable, unless the native path was enabled for
/// the ABI fake (<see cref="EsentSourceOptions.NativeLibraryDirectory"/> or <see cref="EsentSourceOptions.UseNativeLibraryOffWindows"/>,
/// see <see cref="EsentNativeGate"/>).</para>
/// </remarks>
internal sealed class EsentInstanceSource : IBackupSource, IAsyncDisposable
{
    private readonly EsentSourceOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _fileSetGate = new(1, 1);
    private readonly EsentOpenInstance?[] _fileSets;
    private object? _backend;
    private bool _disposed;

    /// <summary>Creates the source.</summary>
    /// <param name="options">Options (strategy default, read buffer size, native path off Windows).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="timeProvider">Clock for report times.</param>
    public EsentInstanceSource(EsentSourceOptions options, ILogger<EsentInstanceSource>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _fileSets = new EsentOpenInstance?[options.FileSets.Count];
        EsentNativeGate.Configure(options);
    }

    /// <summary>Why configured file sets could not be opened at the last discovery (empty when all are open).</summary>
    public IReadOnlyList<PluginError> FileSetErrors { get; private set; } = [];

    /// <inheritdoc />
    public TargetKind Kind => TargetKind.InProcessInstance;

    /// <inheritdoc />
    public TargetKindCapabilities Capabilities
    {
        get
        {
            var available = EsentNativeGate.IsAvailable;
            var defaultStrategy = EsentStrategies.Normalize(_options.DefaultStrategy) is { Length: > 0 } d ? d : EsentStrategies.BackupInstance;
            var engineTruncates = defaultStrategy == EsentStrategies.BackupInstance;
            return new TargetKindCapabilities(
                TargetKind.InProcessInstance,
                available,
                available ? null : "esent.dll's backup API exists only on Windows.",
                [BackupKind.Full, BackupKind.Incremental, BackupKind.Copy],
                engineTruncates ? TruncationPerformer.Ese : TruncationPerformer.Plugin,
                engineTruncates,
                [defaultStrategy, .. EsentStrategies.All.Where(s => s != defaultStrategy)]);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<BackupTarget> DiscoverAsync(DiscoveryRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await Task.CompletedTask.ConfigureAwait(false);
        if ((request.Kinds.Count > 0 && !request.Kinds.Contains(TargetKind.InProcessInstance)) || !EsentNativeGate.IsAvailable)
        {
            yield break;
        }

        await OpenConfiguredFileSetsAsync(cancellationToken).ConfigureAwait(false);
        var (instances, error) = Backend.ListInstances();
        if (error is not null)
        {
            _logger.LogWarning("Listing ESE instances failed: {Error}", error);
        }

        // Two instances over copies of one log stream (production and a test restore) have one identity: their ids
        // name their log directories then, never "the first one listed wins".
        foreach (var target in TargetCopies.QualifyDuplicates([.. instances.Select(i => i.ToTarget())], IBackupSource.PlaceOf))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return target;
        }
    }

    /// <summary>
    /// Opens an idle file set in a private instance of this process (soft recovery runs: the files are
    /// in use from then on). Dispose the result to terminate the instance.
    /// </summary>
    public async ValueTask<EsentOpenResult> OpenFileSetAsync(EsentFileSetSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(spec);
        cancellationToken.ThrowIfCancellationRequested();
        if (!EsentNativeGate.IsAvailable)
        {
            return new EsentOpenResult(null, PlatformError("open a file set in a private ESE instance"));
        }

        return await OpenOnWorkerAsync(spec);
    }

    /// <inheritdoc />
    public ValueTask<SourceSessionStart> BeginAsync(SourceBackupContext context, CancellationToken cancellationToken)
        => BeginAsync(context, context.Progress, cancellationToken);

    /// <summary>
    /// Starts a backup, reporting ESE-style progress to <paramref name="progress"/>. The strategy is the
    /// request's, else <see cref="EsentSourceOptions.DefaultStrategy"/> (copy backups always stream).
    /// Up-front failures (target gone, incremental without a full in the chain, lost generations,
    /// ESE refusing to begin) come back as <see cref="SourceSessionStart.Failed"/>.
    /// </summary>
    public async ValueTask<SourceSessionStart> BeginAsync(SourceBackupContext context, IProgress<OperationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        if (context.Target.Kind != TargetKind.InProcessInstance)
        {
            return SourceSessionStart.Failed(new PluginError(ErrorCodes.InvalidParameter, $"Target {context.Target.Id} is a {context.Target.Kind} target, not an in-process ESE instance.") { TargetId = context.Target.Id });
        }

        if (!EsentNativeGate.IsAvailable)
        {
            return SourceSessionStart.Failed(PlatformError("back up an in-process ESE instance") with { TargetId = context.Target.Id });
        }

        return await Backend.BeginAsync(context, progress, cancellationToken);
    }

    /// <summary>
    /// Completes a <c>jet-backup-instance</c> set staged by another process: ESE truncated during phase one, so
    /// phase two only reports that. Streaming sets need their live session: <see langword="null"/>.
    /// </summary>
    public ValueTask<ISourceSession?> ResumeForCompletionAsync(BackupManifest manifest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return ValueTask.FromResult<ISourceSession?>(
            string.Equals(manifest.Producer.Strategy, EsentStrategies.BackupInstance, StringComparison.Ordinal) && manifest.Truncation.Mode == TruncationMode.DuringBackup
                ? new EsentFinishedBackupSession(manifest, _time)
                : null);
    }

    /// <summary>Terminates the private instances of the configured file sets.</summary>
    public async ValueTask DisposeAsync()
    {
        await _fileSetGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            for (var i = 0; i < _fileSets.Length; i++)
            {
                if (_fileSets[i] is { } opened)
                {
                    await opened.DisposeAsync().ConfigureAwait(false);
                    _logger.LogInformation("Terminated the private instance '{Instance}' of {Directory}.", opened.InstanceName, opened.Layout.Directory);
                    _fileSets[i] = null;
                }
            }
        }
        finally
        {
            _fileSetGate.Release();
        }
    }

    /// <summary>Opens every configured file set that is not open yet; failures are logged and tried again next time.</summary>
    private async Task OpenConfiguredFileSetsAsync(CancellationToken cancellationToken)
    {
        if (_fileSets.Length == 0)
        {
            return;
        }

        await _fileSetGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var errors = new List<PluginError>();
            for (var i = 0; i < _fileSets.Length; i++)
            {
                if (_fileSets[i] is not null)
                {
                    continue;
                }

                var spec = _options.FileSets[i];
                var result = await OpenFileSetAsync(spec, cancellationToken).ConfigureAwait(false);
                if (result.Instance is { } opened)
                {
                    _fileSets[i] = opened;
                    continue;
                }

                var error = result.Error ?? new PluginError(ErrorCodes.InternalError, $"The file set {spec.Directory} could not be opened.");
                errors.Add(error);
                _logger.LogWarning("The configured file set {Directory} (EsePlugin:EsentInstances:FileSets:{Index}) could not be opened in a private ESE instance: {Error}", spec.Directory, i, error);
            }

            FileSetErrors = errors;
        }
        finally
        {
            _fileSetGate.Release();
        }
    }

    private static PluginError PlatformError(string what)
        => new(ErrorCodes.PlatformNotSupported, $"Cannot {what} here: esent.dll's backup API exists only on Windows.");

    [SupportedOSPlatform("windows")]
    private Task<EsentOpenResult> OpenOnWorkerAsync(EsentFileSetSpec spec)
    {
        var backend = Backend;
        return Task.Run(() => backend.OpenFileSet(spec), CancellationToken.None);
    }

    [SupportedOSPlatform("windows")]
    private EsentInstanceBackend Backend
        => (EsentInstanceBackend)(_backend ??= new EsentInstanceBackend(EsentApis.Native, _options, _logger, _time));
}
