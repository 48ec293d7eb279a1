using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Engine.FileSystem;

namespace EseBackupPlugin.Ese.Engine.TwoPhase;

/// <summary>Where a staged set is in its life (the two-phase state machine).</summary>
internal enum StagedSetState
{
    /// <summary>Phase one done; waiting for the host's verdict.</summary>
    [JsonStringEnumMemberName("staged")]
    Staged,

    /// <summary>A verdict is being applied; <see cref="JournalEntry.Intent"/> lists what truncation is about to remove.</summary>
    [JsonStringEnumMemberName("completing")]
    Completing,

    /// <summary>The verdict was applied; <see cref="JournalEntry.Report"/> is the truth.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,

    /// <summary>Ended without a verdict of success (by the host, or because its lease ran out); every log kept.</summary>
    [JsonStringEnumMemberName("abandoned")]
    Abandoned,
}

/// <summary>The plugin's durable record of one staged set.</summary>
internal sealed record JournalEntry
{
    public required string SetId { get; init; }

    public required string TargetId { get; init; }

    public required BackupKind Kind { get; init; }

    public required TargetKind TargetKind { get; init; }

    public required string Strategy { get; init; }

    public required DateTimeOffset StagedAt { get; init; }

    public required DateTimeOffset LeaseExpiresAt { get; init; }

    public required StagedSetState State { get; init; }

    /// <summary>The first verdict (true = the host stored the set); null while staged.</summary>
    public bool? Verdict { get; init; }

    /// <summary>True when the set was abandoned because its lease ended (not by the host).</summary>
    public bool LeaseExpired { get; init; }

    /// <summary>What truncation was about to remove, written before the first removal.</summary>
    public IReadOnlyList<TruncatedLog>? Intent { get; init; }

    /// <summary>The recorded outcome once completed or abandoned.</summary>
    public TruncationReport? Report { get; init; }

    /// <summary>True once the host's catalog accepted <see cref="Report"/>.</summary>
    public bool CatalogRecorded { get; init; }

    public SetRef Set => new(SetId, TargetId, Kind);
}

/// <summary>
/// The plugin's own journal of the sets it staged: one small JSON file per set in <c>&lt;StateDirectory&gt;/sets</c>,
/// replaced atomically (temporary file, fsync, rename, fsync of the directory) on every change, so that after a crash
/// the plugin still knows whether it staged a set, which verdict it got and what was removed. Changes of one set are
/// serialised by the caller (the target lock across processes, a per-set gate within one).
/// </summary>
internal sealed class SetJournal
{
    private readonly IStagingFileSystem _fileSystem;

    public SetJournal(string stateDirectory, IStagingFileSystem? fileSystem = null)
    {
        Directory = Path.Combine(Path.GetFullPath(stateDirectory), "sets");
        _fileSystem = fileSystem ?? PhysicalStagingFileSystem.Buffered;
    }

    /// <summary>The journal's directory.</summary>
    public string Directory { get; }

    /// <summary>The set's record, or <see langword="null"/> when this plugin never staged it.</summary>
    /// <exception cref="IOException">The record exists but cannot be read or parsed (the message names the file).</exception>
    public JournalEntry? Read(string setId)
    {
        var path = PathOf(setId);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var entry = JsonSerializer.Deserialize(File.ReadAllBytes(path), JournalJsonContext.Default.JournalEntry);
            return entry is not null && entry.SetId == setId ? entry : throw new IOException($"Journal record '{path}' is not the record of set {setId}.");
        }
        catch (JsonException ex)
        {
            throw new IOException($"Journal record '{path}' is damaged: {ex.Message}", ex);
        }
    }

    /// <summary>Every record (for diagnostics and tests).</summary>
    public IReadOnlyList<JournalEntry> ReadAll() =>
        !System.IO.Directory.Exists(Directory) ? [] :
        [.. System.IO.Directory.EnumerateFiles(Directory, "*.json")
            .Select(f => JsonSerializer.Deserialize(File.ReadAllBytes(f), JournalJsonContext.Default.JournalEntry))
            .OfType<JournalEntry>()];

    /// <summary>Replaces the set's record durably.</summary>
    /// <exception cref="IOException">The record could not be written.</exception>
    public void Write(JournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        System.IO.Directory.CreateDirectory(Directory);
        var path = PathOf(entry.SetId);
        var temp = path + ".tmp";
        var bytes = JournalWriter.Write(entry);
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        _fileSystem.SyncDirectory(Directory);
    }

    /// <summary>Removes the set's record (a set withdrawn before the host ever saw it).</summary>
    public void Delete(string setId)
    {
        File.Delete(PathOf(setId));
        _fileSystem.SyncDirectory(Directory);
    }

    /// <summary>The record's file: the set id when it is a safe file name, else a hash of it.</summary>
    public string PathOf(string setId)
    {
        ArgumentException.ThrowIfNullOrEmpty(setId);
        var safe = setId.Length <= 100 && setId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && setId[0] != '.'
            ? setId
            : "h-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(setId)))[..32];
        return Path.Combine(Directory, safe + ".json");
    }
}

/// <summary>Source-generated JSON for the journal (the plugin also runs trimmed / AOT in the worker).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(JournalEntry))]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
