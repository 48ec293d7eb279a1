using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Ese.Engine.Restore;

/// <summary>One file a restore writes: its manifest entry, where it is read from, the name it gets, the set it comes from.</summary>
internal sealed record PlannedFile(ManifestFile Entry, string SourcePath, string TargetName, string FromSetId);

/// <summary>Everything a restore will write, decided and checked before its first byte.</summary>
/// <param name="Files">In writing order: the first set's databases (and .pat files), the newest copy of every log, optionally the checkpoint.</param>
/// <param name="Destination">The full destination path.</param>
/// <param name="Layout">Where files are laid out: the destination itself, or a folder inside it that ESE restores from.</param>
/// <param name="Overwrite">Whether existing files in the destination may be replaced.</param>
/// <param name="SetCount">How many sets the chain has.</param>
internal sealed record RestorePlan(IReadOnlyList<PlannedFile> Files, string Destination, string Layout, bool Overwrite, int SetCount)
{
    /// <summary>Bytes to write.</summary>
    public long TotalBytes => Files.Sum(p => p.Entry.Size);

    /// <summary>The log generations restored, or <see langword="null"/> without logs.</summary>
    public GenerationRange? LogRange => Files.Where(p => p.Entry.Log is not null).Select(p => p.Entry.Log!.Generation).ToList() is { Count: > 0 } generations
        ? new GenerationRange(generations.Min(), generations.Max())
        : null;
}

/// <summary>
/// The first half of a restore, and the only one that decides: reads the manifests and checks everything a restore
/// needs (one chain, safe and unique paths, every file present, contiguous generations of one log stream, the
/// databases' required logs, a usable destination) without writing anything. <see cref="RestoreWriter"/> then only writes.
/// </summary>
internal static class RestorePlanner
{
    /// <summary>Where a restore through ESE lays its files out, inside the destination.</summary>
    public const string EseLayoutFolder = ".esebackup-restore-layout";

    /// <summary>The plan for <paramref name="request"/>, or the first reason it cannot be restored.</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async Task<(RestorePlan? Plan, PluginError? Error)> PlanAsync(RestoreRequest request, CancellationToken ct)
    {
        if (request.SetDirectories.Count == 0)
        {
            return (null, new PluginError(ErrorCodes.InvalidParameter, "A restore needs at least one set directory."));
        }

        var manifests = new List<(BackupManifest Manifest, string Directory)>();
        foreach (var dir in request.SetDirectories.Select(Path.GetFullPath))
        {
            try
            {
                manifests.Add((await SetReader.ReadManifestAsync(dir, ct), dir));
            }
            catch (PluginException ex)
            {
                return (null, ex.Error);
            }
        }

        List<PlannedFile> files = [];
        var error = CheckChain(manifests);
        if (error is null)
        {
            (files, error) = ChooseFiles(manifests, request.IncludeCheckpoint);
        }

        error ??= CheckLogs(manifests[0].Manifest, files);
        var destination = Path.GetFullPath(request.Destination);
        error ??= CheckDestination(destination, request.Overwrite);
        if (error is not null)
        {
            return (null, error);
        }

        // Files only: the layout is the destination. Through ESE: lay out beside it, then let ESE restore into it.
        var layout = request.Mode == RestoreMode.EseRestore ? Path.Combine(destination, EseLayoutFolder) : destination;
        return (new RestorePlan(files, destination, layout, request.Overwrite, manifests.Count), null);
    }

    private static PluginError? CheckDestination(string destination, bool overwrite)
    {
        if (File.Exists(destination))
        {
            return new PluginError(ErrorCodes.InvalidPath, $"Restore destination '{destination}' is a file.") { File = destination };
        }

        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any() && !overwrite)
        {
            return new PluginError(ErrorCodes.DestinationNotEmpty, $"Restore destination '{destination}' is not empty; choose an empty directory or ask to overwrite.") { File = destination };
        }

        return null;
    }

    /// <summary>The sets must form one chain of one target: a full (or copy), then incrementals linked in order.</summary>
    private static PluginError? CheckChain(List<(BackupManifest Manifest, string Directory)> sets)
    {
        var first = sets[0].Manifest;
        if (first.Kind == BackupKind.Incremental)
        {
            return new PluginError(ErrorCodes.InvalidParameter, $"A restore chain must start with a full or copy set; '{sets[0].Directory}' holds incremental set {first.SetId}.") { File = sets[0].Directory };
        }

        for (var i = 1; i < sets.Count; i++)
        {
            var (m, dir) = sets[i];
            var prev = sets[i - 1].Manifest;
            if (m.Kind != BackupKind.Incremental || m.Target.Id != first.Target.Id || m.Chain.ChainId != first.SetId || m.Chain.PreviousSetId != prev.SetId)
            {
                return new PluginError(ErrorCodes.InvalidParameter, $"Set {m.SetId} ('{dir}') does not continue the chain: expected an incremental of target {first.Target.Id} following set {prev.SetId} in chain {first.SetId}.") { File = dir };
            }
        }

        return null;
    }

    /// <summary>Chooses what to write: the full's databases (and .pat files), the newest copy of every log, optionally the checkpoint.</summary>
    private static (List<PlannedFile> Plan, PluginError? Error) ChooseFiles(List<(BackupManifest Manifest, string Directory)> sets, bool includeCheckpoint)
    {
        var plan = new List<PlannedFile>();
        var logs = new SortedDictionary<long, PlannedFile>();
        PlannedFile? checkpoint = null;
        foreach (var (manifest, dir) in sets)
        {
            foreach (var entry in manifest.Files)
            {
                var (path, error) = SetReader.Resolve(dir, entry.Path);
                if (error is not null)
                {
                    return ([], error);
                }

                if (!File.Exists(path))
                {
                    return ([], new PluginError(ErrorCodes.FileNotFound, $"Set {manifest.SetId} lacks '{entry.Path}', listed in its manifest.") { File = path });
                }

                var planned = new PlannedFile(entry, path!, entry.Path, manifest.SetId);
                switch (entry.Role)
                {
                    case FileRole.Log when entry.Log is not null:
                        logs[entry.Log.Generation] = planned; // a later set's copy is the final version
                        break;
                    case FileRole.Checkpoint:
                        checkpoint = planned;
                        break;
                    case FileRole.Database or FileRole.Patch or FileRole.Other when ReferenceEquals(manifest, sets[0].Manifest):
                        plan.Add(planned);
                        break;
                    default:
                        break;
                }
            }
        }

        plan.AddRange(logs.Values);
        if (includeCheckpoint && checkpoint is not null)
        {
            plan.Add(checkpoint);
        }

        var clash = plan.GroupBy(p => p.TargetName, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
        {
            return ([], new PluginError(ErrorCodes.UnsafeManifestPath, $"Two files of the chain would both be restored as '{clash.Key}' ({string.Join(", ", clash.Select(c => c.Entry.Path))}); a restore needs unique names."));
        }

        return (plan, null);
    }

    /// <summary>Log sequence and database requirements, from the manifests, before anything is written.</summary>
    private static PluginError? CheckLogs(BackupManifest first, List<PlannedFile> plan)
    {
        var logs = plan.Where(p => p.Entry.Log is not null).Select(p => p.Entry).ToList();
        var broken = SetReader.CheckLogSequence(first, logs).FirstOrDefault(f => f.Severity == FindingSeverity.Corruption);
        if (broken is not null)
        {
            var code = broken.Code switch
            {
                "LogSignatureMismatch" => ErrorCodes.GivenLogFileHasBadSignature,
                "LogNotContiguous" => ErrorCodes.GivenLogFileIsNotContiguous,
                _ => ErrorCodes.MissingRestoreLogFiles,
            };
            return new PluginError(code, "The chain cannot be restored: " + broken.Message) { Generation = broken.Generation };
        }

        var low = logs.Count > 0 ? logs.Min(l => l.Log!.Generation) : (long?)null;
        var high = logs.Count > 0 ? logs.Max(l => l.Log!.Generation) : (long?)null;
        foreach (var db in plan.Where(p => p.Entry.Database is not null))
        {
            var facts = db.Entry.Database!;
            if (facts.RequiredLogRange is { } need && need.Low > 0 && (low is null || need.Low < low || need.High > high))
            {
                return new PluginError(ErrorCodes.RequiredLogFilesMissing, $"Database '{db.Entry.Path}' needs log generations {need}, but the chain holds {(low is null ? "none" : $"{low}-{high}")}.") { File = db.SourcePath };
            }

            var logSignature = logs.Select(l => l.Log!.LogSignature).FirstOrDefault(s => s is not null);
            if (facts.LogSignature is { } dbLog && logSignature is not null && dbLog != logSignature && logs.Count > 0)
            {
                return new PluginError(ErrorCodes.DatabaseLogSetMismatch, $"Database '{db.Entry.Path}' belongs to log stream {dbLog}, but the chain's logs belong to {logSignature}.") { File = db.SourcePath };
            }
        }

        return null;
    }
}
