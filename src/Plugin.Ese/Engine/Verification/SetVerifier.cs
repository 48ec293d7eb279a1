using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.Ports;
using EseBackupPlugin.Ese.Engine.Restore;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>
/// Verifies a set directory: the manifest parses and names only safe paths, every file exists with the
/// recorded size and SHA-256, every ESE file passes its page/segment checks again, the logs of the set are
/// contiguous, and nothing unexpected sits beside them.
/// </summary>
internal sealed class SetVerifier(OnePassCopier copier)
{
    public async Task<VerifySetResult> VerifyAsync(VerifySetRequest request, IProgress<OperationProgress>? progress, CancellationToken ct)
    {
        var dir = Path.GetFullPath(request.SetDirectory);
        BackupManifest manifest;
        try
        {
            manifest = await SetReader.ReadManifestAsync(dir, ct);
        }
        catch (PluginException ex)
        {
            return new VerifySetResult { Error = ex.Error };
        }

        var findings = new List<Finding>();
        var results = new List<FileVerification>();
        var total = manifest.Files.Sum(f => f.Size);
        long done = 0;
        progress?.Report(new OperationProgress(OperationKind.Verify, ProgressPhase.Begin, 0, manifest.Files.Count, 0, total));
        foreach (var entry in manifest.Files)
        {
            ct.ThrowIfCancellationRequested();
            var resolved = SetReader.Resolve(dir, entry.Path);
            if (resolved.Error is { } unsafePath)
            {
                findings.Add(new Finding(unsafePath.Code.Name, FindingSeverity.Corruption, unsafePath.Message) { File = entry.Path });
                continue;
            }

            var path = resolved.Path!;
            if (!File.Exists(path))
            {
                findings.Add(new Finding("FileMissing", FindingSeverity.Corruption, $"'{entry.Path}' is listed in the manifest but missing from the set.") { File = path });
                continue;
            }

            CopiedFile copied;
            try
            {
                await using var reader = LocalFileReader.Open(path);
                copied = await copier.CopyAsync(reader, path, Path.GetFileName(path), null, n => done += n, ct);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                results.Add(new FileVerification(path, entry.Role.ToString().ToLowerInvariant()) { Error = ErrorMapping.FromReadFailure(ex, path) });
                continue;
            }

            results.Add(Compare(entry, path, copied));
            progress?.Report(new OperationProgress(OperationKind.Verify, ProgressPhase.Progress, results.Count, manifest.Files.Count, done, total) { CurrentFile = path });
        }

        findings.AddRange(SetReader.CheckLogSequence(manifest, manifest.Files.Where(f => f.Log is not null).ToList()));
        findings.AddRange(Unlisted(dir, manifest));

        var result = new VerifySetResult { Manifest = manifest, Files = results, Findings = findings };
        progress?.Report(new OperationProgress(OperationKind.Verify, result.IsClean ? ProgressPhase.Complete : ProgressPhase.Fail, results.Count, manifest.Files.Count, done, total));
        return result;
    }

    /// <summary>The file's verification record, with a finding when its size or hash differs from the manifest.</summary>
    private static FileVerification Compare(ManifestFile entry, string path, CopiedFile copied)
    {
        var fileFindings = new List<Finding>(copied.Verification.Findings);
        if (copied.Length != entry.Size || !string.Equals(copied.Sha256, entry.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            fileFindings.Add(new Finding(ErrorCodes.HashMismatch.Name, FindingSeverity.Corruption,
                $"'{entry.Path}' does not match its manifest entry (size {copied.Length:N0} vs {entry.Size:N0}, SHA-256 {copied.Sha256} vs {entry.Sha256}).")
            {
                File = path,
                Expected = entry.Sha256,
                Actual = copied.Sha256,
            });
        }

        return new FileVerification(path, copied.Verification.Kind)
        {
            Unit = copied.Verification.Unit,
            UnitsChecked = copied.Verification.UnitsChecked,
            UnitsUninitialized = copied.Verification.UnitsUninitialized,
            Bytes = copied.Length,
            Findings = fileFindings,
        };
    }

    /// <summary>Files in the set directory that its manifest does not list.</summary>
    private static IEnumerable<Finding> Unlisted(string dir, BackupManifest manifest)
    {
        var listed = new HashSet<string>(manifest.Files.Select(f => Path.GetFullPath(Path.Combine(dir, f.Path))), StringComparer.Ordinal);
        foreach (var extra in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(extra) != BackupManifest.FileName && !listed.Contains(Path.GetFullPath(extra)))
            {
                yield return new Finding("UnlistedFile", FindingSeverity.Warning, $"'{Path.GetRelativePath(dir, extra)}' is in the set directory but not in its manifest.") { File = extra };
            }
        }
    }
}
