using System.Formats.Tar;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Json;

namespace EseBackupPlugin.HostSample.Repository;

/// <summary>One set found outside the catalog: its manifest and the directory holding it.</summary>
internal sealed record FoundSet(BackupManifest Manifest, string Directory);

/// <summary>
/// Sets gathered from <c>--from</c> arguments, with no catalog: a set directory, a directory holding several sets (searched
/// a few levels deep, as restic and borg restore them under their original paths), a tar file, or a tar stream on standard
/// input (<c>-</c>). Tar streams are extracted into a scratch directory that is removed on dispose. Chains are rebuilt from
/// the manifests' chain links.
/// </summary>
internal sealed class SetSources : IDisposable
{
    private const int SearchDepth = 6;
    private readonly List<string> _scratch = [];
    private readonly string _scratchParent;

    private SetSources(string scratchParent)
    {
        _scratchParent = scratchParent;
    }

    public List<FoundSet> Sets { get; } = [];

    /// <summary>Why gathering stopped; <see langword="null"/> when every argument held sets.</summary>
    public PluginError? Error { get; private set; }

    /// <summary>Gathers the sets; the error names the first argument that held something unusable.</summary>
    /// <param name="froms">The <c>--from</c> values.</param>
    /// <param name="standardInput">Opens standard input (for <c>-</c>).</param>
    /// <param name="scratchParent">Where tar streams are extracted (a sibling of the restore destination: same file system).</param>
    /// <param name="ct">Cancels.</param>
    public static async Task<SetSources> LoadAsync(IReadOnlyList<string> froms, Func<Stream> standardInput, string scratchParent, CancellationToken ct)
    {
        var sources = new SetSources(scratchParent);
        if (froms.Count(f => f == "-") > 1)
        {
            sources.Error = new PluginError(ErrorCodes.InvalidParameter, "Standard input ('-') can be given to --from only once.");
            return sources;
        }

        foreach (var from in froms)
        {
            var error = from == "-"
                ? await sources.AddTarAsync(standardInput(), "standard input", ct)
                : File.Exists(from) ? await sources.AddTarFileAsync(from, ct)
                : Directory.Exists(from) ? sources.AddDirectory(Path.GetFullPath(from))
                : new PluginError(ErrorCodes.SetNotFound, $"--from '{from}' is neither a set directory, a directory of sets, a tar file nor '-'.") { File = from };
            if (error is not null)
            {
                sources.Error = error;
                return sources;
            }
        }

        return sources;
    }

    private async Task<PluginError?> AddTarFileAsync(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return await AddTarAsync(file, path, ct);
    }

    private PluginError? AddDirectory(string directory)
    {
        var before = Sets.Count;
        var error = Search(directory, 0);
        if (error is null && Sets.Count == before)
        {
            return new PluginError(ErrorCodes.SetNotFound, $"No backup set (a directory holding {BackupManifest.FileName}) under '{directory}'.") { File = directory };
        }

        return error;
    }

    private PluginError? Search(string directory, int depth)
    {
        var manifest = Path.Combine(directory, BackupManifest.FileName);
        if (File.Exists(manifest))
        {
            return AddSet(directory, manifest);
        }

        if (depth >= SearchDepth)
        {
            return null;
        }

        foreach (var child in Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal))
        {
            // Work directories of interrupted runs are never sets.
            if (Path.GetFileName(child).StartsWith(".esebackup-partial-", StringComparison.Ordinal))
            {
                continue;
            }

            if (Search(child, depth + 1) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private PluginError? AddSet(string directory, string manifestPath)
    {
        BackupManifest manifest;
        try
        {
            manifest = ManifestJson.Deserialize(File.ReadAllBytes(manifestPath), manifestPath);
        }
        catch (PluginException ex)
        {
            return ex.Error;
        }

        if (!Sets.Any(s => s.Manifest.SetId == manifest.SetId))
        {
            Sets.Add(new FoundSet(manifest, directory));
        }

        return null;
    }

    /// <summary>Extracts one set's tar stream, refusing anything but a whole one (manifest last, end-of-archive blocks).</summary>
    private async Task<PluginError?> AddTarAsync(Stream input, string name, CancellationToken ct)
    {
        var directory = Path.Combine(_scratchParent, ".esebackup-from-" + Guid.NewGuid().ToString("N")[..12]);
        _scratch.Add(directory);
        Directory.CreateDirectory(directory);
        var tail = new TrailingZeroCounter(input);
        var sawManifest = false;
        await using (var reader = new TarReader(tail, leaveOpen: true))
        {
            while (true)
            {
                TarEntry? entry;
                try
                {
                    entry = await reader.GetNextEntryAsync(copyData: false, ct);
                }
                catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
                {
                    return Invalid(name, tail.Position, $"it is not a valid tar stream there ({ex.Message})");
                }

                if (entry is null)
                {
                    break;
                }

                if (sawManifest)
                {
                    return Invalid(name, tail.Position, $"'{entry.Name}' follows {BackupManifest.FileName}, which a set's stream has last");
                }

                if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || !IsSafe(entry.Name))
                {
                    return Invalid(name, tail.Position, $"entry '{entry.Name}' ({entry.EntryType}) is not a plain file with a safe relative path");
                }

                var path = Path.Combine(directory, entry.Name.Replace('/', Path.DirectorySeparatorChar));
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                long written;
                await using (var file = File.Create(path))
                {
                    if (entry.DataStream is { } data)
                    {
                        await data.CopyToAsync(file, ct);
                    }

                    written = file.Length;
                }

                if (written != entry.Length)
                {
                    return Invalid(name, tail.Position, $"entry '{entry.Name}' is cut short ({written} of {entry.Length} bytes)");
                }

                sawManifest = entry.Name == BackupManifest.FileName;
            }
        }

        // A stream cut between entries still parses; a whole one ends with the manifest and two zero blocks.
        await tail.DrainAsync(ct);
        if (!sawManifest)
        {
            return Invalid(name, tail.Position, $"it ends without {BackupManifest.FileName}: the backup that wrote it failed or the stream was cut");
        }

        // Two whole zero blocks: a stream cut inside them still has the manifest, but is not a whole block count.
        if (tail.TrailingZeros < 1024 || tail.Position % 512 != 0)
        {
            return Invalid(name, tail.Position, "it has no (whole) end-of-archive blocks: the backup that wrote it failed or the stream was cut");
        }

        return AddSet(directory, Path.Combine(directory, BackupManifest.FileName));
    }

    private static PluginError Invalid(string name, long offset, string why) =>
        new(ErrorCodes.ManifestInvalid, $"The tar stream from {name} is not a whole backup set: {why} (at byte {offset}). Nothing was restored from it.")
        {
            File = name,
            Offset = offset,
        };

    private static bool IsSafe(string name) =>
        name.Length > 0 && !name.StartsWith('/') && !name.Contains('\\', StringComparison.Ordinal) && !name.Contains(':', StringComparison.Ordinal)
        && name.Split('/').All(p => p.Length > 0 && p != "." && p != "..");

    /// <summary>
    /// The chain that restores <paramref name="setId"/> (or, without one, the newest set, which must then be the only
    /// target's), oldest first, following the manifests' previous-set links.
    /// </summary>
    public (IReadOnlyList<FoundSet> Chain, PluginError? Error) ChainEndingAt(string? setId)
    {
        FoundSet? tip;
        if (setId is not null)
        {
            tip = Sets.FirstOrDefault(s => string.Equals(s.Manifest.SetId, setId, StringComparison.OrdinalIgnoreCase));
            if (tip is null)
            {
                return ([], new PluginError(ErrorCodes.SetNotFound, $"Set '{setId}' is not among the sets found ({string.Join(", ", Sets.Select(s => s.Manifest.SetId))})."));
            }
        }
        else
        {
            var targets = Sets.Select(s => s.Manifest.Target.Id).Distinct(StringComparer.Ordinal).ToList();
            if (targets.Count > 1)
            {
                return ([], new PluginError(ErrorCodes.InvalidParameter, $"The sets found belong to {targets.Count} targets ({string.Join(", ", targets)}): name the set to restore."));
            }

            tip = Sets.OrderBy(s => s.Manifest.FinishedAt).ThenBy(s => s.Manifest.Chain.Sequence).LastOrDefault();
            if (tip is null)
            {
                return ([], new PluginError(ErrorCodes.SetNotFound, "No set was found."));
            }
        }

        var chain = new List<FoundSet> { tip };
        while (chain[^1].Manifest.Kind == BackupKind.Incremental)
        {
            var previous = chain[^1].Manifest.Chain.PreviousSetId;
            var found = Sets.FirstOrDefault(s => s.Manifest.SetId == previous);
            if (found is null || chain.Count > Sets.Count)
            {
                return ([], new PluginError(ErrorCodes.SetNotFound, $"Set {chain[^1].Manifest.SetId} is an incremental after set {previous}, which is not among the sets given with --from: add it (and the sets before it)."));
            }

            chain.Add(found);
        }

        chain.Reverse();
        return (chain, null);
    }

    public void Dispose()
    {
        foreach (var dir in _scratch)
        {
            try
            {
                if (Directory.Exists(dir))
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Scratch left behind: its name says what it is.
            }
        }
    }

    /// <summary>A read-only pass-through that counts bytes and the zero bytes at the end of what was read.</summary>
    private sealed class TrailingZeroCounter(Stream inner) : Stream
    {
        private long _position;

        public long TrailingZeros { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public async Task DrainAsync(CancellationToken ct)
        {
            var buffer = new byte[64 * 1024];
            while (await ReadAsync(buffer, ct) > 0)
            {
            }
        }

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer);
            Count(buffer[..n]);
            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            Count(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Count(ReadOnlySpan<byte> data)
        {
            _position += data.Length;
            var lastNonZero = data.LastIndexOfAnyExcept((byte)0);
            TrailingZeros = lastNonZero < 0 ? TrailingZeros + data.Length : data.Length - lastNonZero - 1;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
