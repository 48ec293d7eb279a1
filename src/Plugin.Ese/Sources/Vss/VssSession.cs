using System.Runtime.CompilerServices;
using System.Text;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Engine.Ports;
using Microsoft.Extensions.Logging;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

namespace EseBackupPlugin.Ese.Sources.Vss;

/// <summary>
/// One VSS backup of one writer component, from the engine's side. It exists only once the shadow copies do:
/// its files are read from the shadow devices. The verdict reaches the writer as follows:
/// <list type="bullet">
/// <item><see cref="OnStagedAsync"/> (every page and log verified and staged): SetBackupSucceeded(true) for every
/// added component, and the Backup Components Document for the manifest.</item>
/// <item><see cref="CompleteAsync"/> with success: BackupComplete — writers of full/incremental backups truncate now.</item>
/// <item><see cref="AbortAsync"/>, or completion without success: SetBackupSucceeded(false) and AbortBackup — no
/// writer truncates, and no BackupComplete is sent.</item>
/// </list>
/// Either way the snapshot set is deleted and the requester object released at the end.
/// </summary>
internal sealed class VssSession : ISourceSession
{
    private readonly VssBackupRequester _requester;
    private readonly IReadOnlyList<SourceFile> _files;
    private readonly BackupKind _kind;
    private readonly string _targetId;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<VssSession> _onEnded;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private TruncationPlan? _plan;
    private bool _staged;
    private bool _ended;
    private bool _disposed;

    internal VssSession(
        VssBackupRequester requester,
        IReadOnlyList<SourceFile> files,
        BackupKind kind,
        string targetId,
        TimeProvider time,
        ILogger logger,
        Action<VssSession> onEnded)
    {
        _requester = requester;
        _files = files;
        _kind = kind;
        _targetId = targetId;
        _time = time;
        _logger = logger;
        _onEnded = onEnded;
    }

    public string Strategy => VssSource.StrategyName;

    /// <summary>The files this session offers (for tests and diagnostics).</summary>
    public IReadOnlyList<SourceFile> Files => _files;

    /// <summary>The requester behind the session (state, snapshot set, volumes).</summary>
    internal VssBackupRequester Requester => _requester;

    /// <summary>The Backup Components Document saved after BackupComplete (carries stamps written during the backup).</summary>
    public string? FinalBackupComponentsDocument { get; private set; }

    /// <summary>Whether the session was completed or aborted.</summary>
    public bool HasEnded => _ended;

    public async IAsyncEnumerable<SourceFile> GetFilesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var file in _files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_ended)
            {
                throw new PluginException(new PluginError(ErrorCodes.SessionLost, "The VSS session has ended; its shadow copies are gone.") { TargetId = _targetId });
            }

            yield return file;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public async ValueTask<StagedOutcome> OnStagedAsync(StagedSetInfo staged, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(staged);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ended)
            {
                throw new PluginException(new PluginError(ErrorCodes.SessionLost, "The VSS session has ended; the writer can no longer be told the backup succeeded.") { TargetId = _targetId });
            }

            if (staged.Findings > 0)
            {
                throw new PluginException(new PluginError(ErrorCodes.InternalError, $"OnStagedAsync was called with {staged.Findings} verification finding(s); a VSS backup with findings must be aborted.") { TargetId = _targetId });
            }

            // The copy is verified: only now may the writer hear that its components were backed up.
            await _requester.SetBackupSucceededAsync(true, cancellationToken).ConfigureAwait(false);
            var document = await _requester.SaveBackupComponentsDocumentAsync(cancellationToken).ConfigureAwait(false);
            _plan = VssTruncation.Plan(_kind, staged.Files);
            _staged = true;
            return new StagedOutcome(_plan, null, manifest => manifest with { VssBackupComponentsDocument = document });
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask<TruncationReport> CompleteAsync(BackupManifest manifest, bool hostSucceeded, TruncationIntent intent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(intent);
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ended)
            {
                return VssTruncation.Report(manifest, hostSucceeded, TruncationStatus.Skipped, TruncationPerformer.None, _time.GetUtcNow(), "The VSS session was aborted before completion; the writer was told the backup failed.");
            }

            // AbortBackup and BackupComplete both end the writer's backup: the point of no return. The writer removes
            // its own logs, so there is nothing of ours to list.
            await intent([]).ConfigureAwait(false);
            if (!hostSucceeded || !_staged)
            {
                await EndWithoutSuccessAsync().ConfigureAwait(false);
                var why = hostSucceeded
                    ? "The files were never reported staged; the writer was told the backup failed (AbortBackup, no BackupComplete)."
                    : "The host did not store the set; the writer was told the backup failed (AbortBackup, no BackupComplete), so it truncates nothing.";
                return VssTruncation.Report(manifest, hostSucceeded, TruncationStatus.Skipped, TruncationPerformer.None, _time.GetUtcNow(), why);
            }

            return await CompleteWithSuccessAsync(manifest).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask AbortAsync(PluginError? reason)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_ended)
            {
                return;
            }

            if (reason is not null)
            {
                _logger.LogWarning("VSS backup of {TargetId} aborted: {Reason}", _targetId, reason.ToString());
            }

            await EndWithoutSuccessAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await AbortAsync(null).ConfigureAwait(false);
        _disposed = true;
        _gate.Dispose();
    }

    /// <summary>The writer metadata document staged with the set, as a source file.</summary>
    internal static SourceFile WriterMetadataFile(string xml) => new InMemorySourceFile
    {
        RelativePath = "vss-writer-metadata.xml",
        Role = FileRole.Other,
        Content = Encoding.UTF8.GetBytes(xml),
        Length = Encoding.UTF8.GetByteCount(xml),
    };

    private async Task<TruncationReport> CompleteWithSuccessAsync(BackupManifest manifest)
    {
        var truncates = _kind != BackupKind.Copy;
        var range = manifest.Truncation.ExpectedRange ?? _plan?.ExpectedRange;
        try
        {
            // Past the point of no return: a cancel must not leave the writer half told.
            await _requester.BackupCompleteAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (PluginException e)
        {
            // The data is good, but whether the writer truncated is unknown: say so.
            await EndAsync().ConfigureAwait(false);
            return VssTruncation.Report(
                manifest,
                hostSucceeded: true,
                TruncationStatus.Failed,
                truncates ? TruncationPerformer.VssWriter : TruncationPerformer.None,
                _time.GetUtcNow(),
                "BackupComplete failed; the writer may or may not have truncated its logs.",
                error: e.Error);
        }

        try
        {
            FinalBackupComponentsDocument = await _requester.SaveBackupComponentsDocumentAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (PluginException e)
        {
            _logger.LogWarning("Could not save the final Backup Components Document of {TargetId}: {Error}", _targetId, e.Error.ToString());
        }

        await EndAsync().ConfigureAwait(false);
        var writer = _requester.AddedComponents is [var first, ..] ? first.WriterName : "the writer";
        if (!truncates)
        {
            return VssTruncation.Report(manifest, hostSucceeded: true, TruncationStatus.NotAllowed, TruncationPerformer.None, _time.GetUtcNow(), $"Copy backup: BackupComplete was sent, and {writer} does not truncate after a copy backup.");
        }

        var reason = range is null
            ? $"BackupComplete was sent for a {_kind.ToString().ToLowerInvariant()} backup; {writer} removes the logs it no longer needs inside its service (none below the checkpoint were staged)."
            : $"BackupComplete was sent for a {_kind.ToString().ToLowerInvariant()} backup; {writer} is expected to remove generations {range} (below the checkpoint) inside its service.";
        return VssTruncation.Report(manifest, hostSucceeded: true, TruncationStatus.DelegatedToWriter, TruncationPerformer.VssWriter, _time.GetUtcNow(), reason, range);
    }

    private async Task EndWithoutSuccessAsync()
    {
        try
        {
            await _requester.AbortAsync().ConfigureAwait(false);
        }
        finally
        {
            await EndAsync().ConfigureAwait(false);
        }
    }

    private async Task EndAsync()
    {
        if (_ended)
        {
            return;
        }

        _ended = true;
        try
        {
            await _requester.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _onEnded(this);
        }
    }
}
