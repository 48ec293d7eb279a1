using System.Diagnostics;
using System.Globalization;
using System.Text;
using EseBackupPlugin.Abstractions.Catalog;

namespace EseBackupPlugin.Ese.Sources.Vss.Requester;

/// <summary>Records of the snapshot sets this plugin creates (<see cref="SnapshotSetRecord"/>, the contract's type).</summary>
internal static class SnapshotSetRecords
{
    /// <summary>A record for a set created now by the current process.</summary>
    public static SnapshotSetRecord ForCurrentProcess(Guid snapshotSetId, string targetId, DateTimeOffset now)
    {
        using var self = Process.GetCurrentProcess();
        return new SnapshotSetRecord(snapshotSetId, targetId, self.Id, new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero), now);
    }
}

// Where the ids of our snapshot sets are kept between their creation and their deletion, so that sets left behind by
// a crashed or killed worker can be deleted at the next start (reference §1.7): the contract's ISnapshotSetCatalog.
// The composition root passes the host's catalog when it offers that capability, else the file journal below.

/// <summary>A journal that lives as long as the process (tests, hosts with their own persistence).</summary>
internal sealed class InMemoryVssSnapshotSetJournal : ISnapshotSetCatalog
{
    private readonly Lock _lock = new();
    private readonly List<SnapshotSetRecord> _records = [];

    public ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<IReadOnlyList<SnapshotSetRecord>>(_records.ToArray());
        }
    }

    public ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            _records.RemoveAll(r => r.SnapshotSetId == record.SnapshotSetId);
            _records.Add(record);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _records.RemoveAll(r => r.SnapshotSetId == snapshotSetId);
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// A journal in one small text file (one tab-separated record per line), rewritten atomically on every
/// change (write a temporary file, then replace). Safe for one worker process at a time.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The semaphore is only awaited and released, never asked for its wait handle, so it holds nothing to dispose; the journal lives as long as its source.")]
internal sealed class FileVssSnapshotSetJournal(string path) : ISnapshotSetCatalog
{
    private const string Header = "# EseBackupPlugin VSS snapshot sets v1: setId<TAB>processId<TAB>processStartUtcTicks<TAB>recordedUtcTicks<TAB>targetId";
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>The journal file.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path ?? throw new ArgumentNullException(nameof(path)));

    public async ValueTask<IReadOnlyList<SnapshotSetRecord>> GetSnapshotSetsAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask RecordSnapshotSetAsync(SnapshotSetRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var records = (await ReadAsync(cancellationToken).ConfigureAwait(false)).Where(r => r.SnapshotSetId != record.SnapshotSetId).ToList();
            records.Add(record);
            await WriteAsync(records, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask RemoveSnapshotSetAsync(Guid snapshotSetId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var records = await ReadAsync(cancellationToken).ConfigureAwait(false);
            if (records.Any(r => r.SnapshotSetId == snapshotSetId))
            {
                await WriteAsync(records.Where(r => r.SnapshotSetId != snapshotSetId).ToList(), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<IReadOnlyList<SnapshotSetRecord>> ReadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return [];
        }

        var records = new List<SnapshotSetRecord>();
        foreach (var line in await File.ReadAllLinesAsync(Path, Encoding.UTF8, cancellationToken).ConfigureAwait(false))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var parts = line.Split('\t');
            if (parts.Length < 5
                || !Guid.TryParse(parts[0], out var id)
                || !int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
                || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var started)
                || !long.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var recorded))
            {
                // A damaged line must not hide the others; it is dropped at the next rewrite.
                continue;
            }

            records.Add(new SnapshotSetRecord(id, parts[4], pid, new DateTimeOffset(started, TimeSpan.Zero), new DateTimeOffset(recorded, TimeSpan.Zero)));
        }

        return records;
    }

    private async Task WriteAsync(IReadOnlyList<SnapshotSetRecord> records, CancellationToken cancellationToken)
    {
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        var text = new StringBuilder().AppendLine(Header);
        foreach (var r in records)
        {
            text.Append(r.SnapshotSetId.ToString("D")).Append('\t')
                .Append(r.ProcessId.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(r.ProcessStartTime.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(r.RecordedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(r.TargetId.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' '))
                .AppendLine();
        }

        var temp = Path + ".tmp";
        await File.WriteAllTextAsync(temp, text.ToString(), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        File.Move(temp, Path, overwrite: true);
    }
}
