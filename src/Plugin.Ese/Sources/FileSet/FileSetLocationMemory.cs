using System.Globalization;
using System.Text;
using EseBackupPlugin.Ese.Engine.Locking;
using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Ese.Sources.FileSet;

/// <summary>
/// Where file-set targets were discovered, kept in one small file in the plugin's state directory so that a
/// target id from discovery is a handle: a later backup by that id (in this plugin lifetime or a later one)
/// finds the files without the host passing search paths again, and sees every other location the same log
/// stream was found at. It is a memory of places to look, never a source of truth: each place is scanned
/// again before it is used, and places that no longer hold the stream are forgotten.
/// </summary>
/// <remarks>
/// One line per (target id, location), tab-separated, rewritten atomically (a temporary file in the same
/// directory, flushed, then renamed over the old one) under an exclusive lock file, so that several processes
/// sharing the state directory never lose each other's entries or read half a file. Failing to read or write
/// it (a read-only state directory) is logged and otherwise ignored: discovery and backups by search path
/// work without it.
/// </remarks>
internal sealed class FileSetLocationMemory(string path, TimeProvider time, ILogger logger)
{
    private const string Header = "# EseBackupPlugin file-set target locations v1: targetId<TAB>location<TAB>lastSeenUtcTicks";
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);

    /// <summary>How long a sighting stays fresh: within it, the same target at the same place is not rewritten.</summary>
    private static readonly TimeSpan RefreshAfter = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();

    /// <summary>The file.</summary>
    public string Path { get; } = System.IO.Path.GetFullPath(path ?? throw new ArgumentNullException(nameof(path)));

    /// <summary>Every remembered location of <paramref name="targetId"/> (an unqualified id), most recently seen first (to within <see cref="RefreshAfter"/>).</summary>
    public IReadOnlyList<string> LocationsOf(string targetId)
    {
        lock (_gate)
        {
            return [.. Read().Where(e => e.TargetId == targetId).OrderByDescending(e => e.LastSeen).Select(e => e.Location)];
        }
    }

    /// <summary>Records that each target was found at its location now.</summary>
    public void Remember(IReadOnlyCollection<(string TargetId, string Location)> seen)
    {
        if (seen.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow().UtcTicks;
        Update(entries =>
        {
            // Seeing again what was seen a moment ago changes nothing worth a rewrite (and its device flush): a backup
            // finds its target by discovery and then scans it again, seconds apart.
            if (seen.All(s => entries.Any(e => e.TargetId == s.TargetId && e.Location == s.Location && now - e.LastSeen < RefreshAfter.Ticks)))
            {
                return false;
            }

            foreach (var (id, location) in seen)
            {
                entries.RemoveAll(e => e.TargetId == id && e.Location == location);
                entries.Add(new Entry(id, location, now));
            }

            return true;
        });
    }

    /// <summary>Forgets a location that no longer holds the target.</summary>
    public void Forget(string targetId, string location) =>
        Update(entries => entries.RemoveAll(e => e.TargetId == targetId && e.Location == location) > 0);

    private void Update(Func<List<Entry>, bool> change)
    {
        lock (_gate)
        {
            try
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                using var fileLock = AcquireLock();
                if (fileLock is null)
                {
                    logger.LogWarning("Target locations were not remembered: {Lock} stayed locked for {Seconds} s.", Path + ".lock", LockWait.TotalSeconds);
                    return;
                }

                var entries = Read();
                if (change(entries))
                {
                    Write(entries);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(ex, "Target locations could not be remembered in {Path}; backups by id then need the host's search paths.", Path);
            }
        }
    }

    private FileLock? AcquireLock()
    {
        var deadline = time.GetUtcNow() + LockWait;
        while (true)
        {
            var held = FileLock.TryAcquire(Path + ".lock");
            if (held is not null || time.GetUtcNow() >= deadline)
            {
                return held;
            }

            Thread.Sleep(10);
        }
    }

    private List<Entry> Read()
    {
        var entries = new List<Entry>();
        string[] lines;
        try
        {
            if (!File.Exists(Path))
            {
                return entries;
            }

            lines = File.ReadAllLines(Path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            logger.LogWarning(ex, "Remembered target locations in {Path} cannot be read.", Path);
            return entries;
        }

        foreach (var line in lines)
        {
            var parts = line.Split('\t');
            if (line.Length == 0 || line[0] == '#' || parts.Length < 3
                || !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ticks)
                || !System.IO.Path.IsPathFullyQualified(parts[1]))
            {
                continue; // a damaged line must not hide the others; it is dropped at the next rewrite
            }

            entries.Add(new Entry(parts[0], parts[1], ticks));
        }

        return entries;
    }

    private void Write(List<Entry> entries)
    {
        var text = new StringBuilder().AppendLine(Header);
        foreach (var e in entries.Where(e => IsStorable(e.TargetId) && IsStorable(e.Location)))
        {
            text.Append(e.TargetId).Append('\t').Append(e.Location).Append('\t').Append(e.LastSeen.ToString(CultureInfo.InvariantCulture)).AppendLine();
        }

        var temp = $"{Path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(new UTF8Encoding(false).GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, Path, overwrite: true);
    }

    // A tab or line break in a path would split its line; such a path is simply not remembered.
    private static bool IsStorable(string text) => text.IndexOfAny(['\t', '\n', '\r']) < 0;

    private sealed record Entry(string TargetId, string Location, long LastSeen);
}
