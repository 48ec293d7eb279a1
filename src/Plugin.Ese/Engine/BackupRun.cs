using System.Globalization;
using System.Text;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.Locking;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Staging;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>
/// One backup's phase one and everything it holds: the target's lock, the set's work directory (<see cref="ISetTarget"/>)
/// and the source's session. Whatever was not handed over to the two-phase state machine when the run ends is released
/// on dispose, in the reverse order it was taken: the session (which aborts it if nobody completed it), the work
/// directory (removed unless published), the lock. So the engine's flow needs no flags to know what to undo.
/// </summary>
internal sealed class BackupRun : IAsyncDisposable
{
    private readonly TargetLock _lock;
    private readonly TimeProvider _time;
    private readonly long _clock;
    private readonly List<(string Phase, TimeSpan At)> _phases = [];
    private ISetTarget? _work;
    private ISourceSession? _session;
    private bool _handedOver;
    private bool _disposed;

    /// <param name="setId">The set's id.</param>
    /// <param name="kind">Full, incremental or copy.</param>
    /// <param name="staging">The host's staging directory (full path).</param>
    /// <param name="target">The target, found once for this run.</param>
    /// <param name="source">The source that found it.</param>
    /// <param name="targetLock">The target's lock, now the run's.</param>
    /// <param name="time">The clock.</param>
    /// <param name="startedAt">When the backup began (the manifest's start).</param>
    /// <param name="startedTimestamp">The <see cref="TimeProvider.GetTimestamp"/> it began at (for the phase timings).</param>
    public BackupRun(string setId, BackupKind kind, string staging, BackupTarget target, IBackupSource source, TargetLock targetLock, TimeProvider time, DateTimeOffset startedAt, long startedTimestamp)
    {
        SetId = setId;
        Kind = kind;
        Staging = staging;
        Target = target;
        Source = source;
        _lock = targetLock;
        _time = time;
        _clock = startedTimestamp;
        StartedAt = startedAt;
    }

    public string SetId { get; }

    public BackupKind Kind { get; }

    /// <summary>The host's staging directory (full path).</summary>
    public string Staging { get; }

    /// <summary>The target: as found, then as the source read it when it began (<see cref="Refresh"/>).</summary>
    public BackupTarget Target { get; private set; }

    public IBackupSource Source { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>The copy strategy the host asked for, if any.</summary>
    public string? RequestedStrategy { get; init; }

    /// <summary>Where the host asked to search (the request's search paths).</summary>
    public IReadOnlyList<string> SearchPaths { get; init; } = [];

    /// <summary>True when the target is the one the host carried in the request, taken without a search.</summary>
    public bool CarriedTarget { get; init; }

    /// <summary>The target's chain in the host's catalog when the run began (empty until read).</summary>
    public IReadOnlyList<CatalogEntry> Chain { get; set; } = [];

    /// <summary>Where the set is written; set once by <see cref="Attach(ISetTarget)"/>.</summary>
    public ISetTarget Work => _work ?? throw new InvalidOperationException("The run has no set target yet.");

    /// <summary>The source's session; set once by <see cref="Attach(ISourceSession)"/>.</summary>
    public ISourceSession Session => _session ?? throw new InvalidOperationException("The run has no source session yet.");

    /// <summary>The target as the source found it when it began (same id); the manifest records this one.</summary>
    public void Refresh(BackupTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        Target = string.Equals(target.Id, Target.Id, StringComparison.Ordinal) ? target : throw new ArgumentException($"The source began target {target.Id}, not {Target.Id}.", nameof(target));
    }

    /// <summary>Takes ownership of the set's work directory.</summary>
    public void Attach(ISetTarget work)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _work = _work is null ? work : throw new InvalidOperationException("The run already has a set target.");
    }

    /// <summary>Takes ownership of the source's session.</summary>
    public void Attach(ISourceSession session)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _session = _session is null ? session : throw new InvalidOperationException("The run already has a session.");
    }

    /// <summary>Ends the session without success (nothing is truncated); a run without a session has nothing to abort.</summary>
    public ValueTask AbortAsync(PluginError reason) => _session?.AbortAsync(reason) ?? ValueTask.CompletedTask;

    /// <summary>
    /// Hands the session and the lock to <paramref name="keeper"/>, which holds the set until the host's verdict (the
    /// two-phase state machine): from here on disposing the run leaves them alone. A keeper that throws has taken
    /// nothing, so the run still owns both and its dispose ends the session and releases the lock.
    /// </summary>
    public void HandOver(Action<ISourceSession, TargetLock> keeper)
    {
        ArgumentNullException.ThrowIfNull(keeper);
        keeper(Session, _lock);
        _handedOver = true;
    }

    /// <summary>Notes that a phase ended now (for the run's timing line in the log).</summary>
    public void Mark(string phase) => _phases.Add((phase, _time.GetElapsedTime(_clock)));

    /// <summary>How long each phase took, in milliseconds, e.g. <c>find 12, chain 3, begin 40, copy 1830, ...</c>.</summary>
    public string Timings()
    {
        var text = new StringBuilder();
        var previous = TimeSpan.Zero;
        foreach (var (phase, at) in _phases)
        {
            text.Append(text.Length == 0 ? string.Empty : ", ").Append(phase).Append(' ')
                .Append((at - previous).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture));
            previous = at;
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            if (!_handedOver && _session is not null)
            {
                await _session.DisposeAsync();
            }
        }
        finally
        {
            try
            {
                _work?.Dispose();
            }
            finally
            {
                if (!_handedOver)
                {
                    _lock.Dispose();
                }
            }
        }
    }
}
