using System.Collections.Concurrent;
using EseBackupPlugin.Ese.Engine.Locking;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Engine;

/// <summary>A staged set whose source session waits for the host's verdict (phase two).</summary>
internal sealed record PendingBackup(string SetId, ISourceSession Session, TargetLock? Lock) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        try
        {
            await Session.DisposeAsync();
        }
        finally
        {
            Lock?.Dispose();
        }
    }
}

/// <summary>Sessions between phase one and phase two, by set id.</summary>
internal sealed class PendingBackups : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, PendingBackup> _pending = new(StringComparer.Ordinal);

    public void Add(PendingBackup backup)
    {
        if (!_pending.TryAdd(backup.SetId, backup))
        {
            throw new InvalidOperationException($"Set '{backup.SetId}' is already pending completion.");
        }
    }

    public PendingBackup? Take(string setId) => _pending.TryRemove(setId, out var p) ? p : null;

    public int Count => _pending.Count;

    /// <summary>
    /// Ends every session the host never completed, as aborted: a host that never completes must not lose
    /// logs, and engines (esent, VSS) must not be left holding a backup open.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var key in _pending.Keys.ToList())
        {
            if (_pending.TryRemove(key, out var p))
            {
                try
                {
                    await p.Session.AbortAsync(null);
                }
                finally
                {
                    await p.DisposeAsync();
                }
            }
        }
    }
}
