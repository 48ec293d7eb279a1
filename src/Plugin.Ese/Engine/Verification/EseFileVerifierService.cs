using System.Diagnostics;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>
/// Verifies files and directories (recursively): every ESE file is identified and verified unit by unit, then the
/// files are checked against each other (log sequences, signatures, required logs). Errors are data: a path that does
/// not exist or a file that cannot be read is reported, never thrown.
/// </summary>
internal sealed class EseFileVerifierService
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);

    private readonly OnePassCopier _copier;

    /// <param name="copier">The copier whose verify-only pass reads every file (the plugin's own, so verify reads as a backup does).</param>
    public EseFileVerifierService(OnePassCopier? copier = null)
    {
        _copier = copier ?? EseFileVerifier.DefaultCopier;
    }

    /// <summary>Runs the verification.</summary>
    /// <exception cref="OperationCanceledException">Cancelled (after a <see cref="ProgressPhase.Fail"/> report).</exception>
    public async Task<FileVerificationReport> VerifyAsync(
        VerifyFilesRequest request, IProgress<OperationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<PluginError>();
        var files = Expand(request.Paths, errors);
        var lengths = files.Select(f => SafeLength(f)).ToArray();
        var bytesTotal = lengths.Sum();
        var clock = Stopwatch.StartNew();
        progress?.Report(new OperationProgress(OperationKind.Verify, ProgressPhase.Begin, 0, files.Count, 0, bytesTotal));

        var verifications = new List<FileVerification>(files.Count);
        var results = new List<EseVerificationResult>(files.Count);
        long bytesDone = 0;
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var path = files[i];
                var before = bytesDone;
                var lastReport = clock.Elapsed;
                var fileIndex = i;
                var perFile = progress is null ? null : new InlineProgress(done =>
                {
                    if (clock.Elapsed - lastReport < ProgressInterval)
                    {
                        return;
                    }

                    lastReport = clock.Elapsed;
                    progress.Report(Progress(ProgressPhase.Progress, fileIndex, files.Count, before + done, bytesTotal, clock, path));
                });
                try
                {
                    var result = await EseFileVerifier.VerifyAsync(_copier, path, path, perFile, cancellationToken);
                    results.Add(result);
                    verifications.Add(ToContract(result));
                    bytesDone += result.Bytes;
                }
                catch (Exception ex) when (IoErrors.IsIoFailure(ex))
                {
                    verifications.Add(new FileVerification(path, "unknown") { Error = IoErrors.FromException(ex, path) });
                    bytesDone += lengths[i];
                }

                progress?.Report(Progress(ProgressPhase.Progress, i + 1, files.Count, bytesDone, bytesTotal, clock, path));
            }
        }
        catch (OperationCanceledException)
        {
            progress?.Report(Progress(ProgressPhase.Fail, verifications.Count, files.Count, bytesDone, bytesTotal, clock, null) with { Message = "Cancelled." });
            throw;
        }

        var crossFile = request.CrossFileChecks ? CrossFileChecker.Check(results) : [];
        progress?.Report(Progress(ProgressPhase.Complete, files.Count, files.Count, bytesDone, bytesTotal, clock, null));
        return new FileVerificationReport
        {
            Files = verifications,
            CrossFileFindings = crossFile,
            Errors = errors,
        };
    }

    /// <summary>Maps a verification result to the contract's per-file record.</summary>
    public static FileVerification ToContract(EseVerificationResult result) => new(result.DisplayPath, result.Kind.ToName())
    {
        Unit = result.Unit.ToName(),
        UnitsChecked = result.UnitsChecked,
        UnitsUninitialized = result.UnitsUninitialized,
        Bytes = result.Bytes,
        Findings = result.Findings,
    };

    private static List<string> Expand(IReadOnlyList<string> paths, List<PluginError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new List<string>();
        foreach (var p in paths)
        {
            if (Directory.Exists(p))
            {
                var options = new EnumerationOptions
                {
                    RecurseSubdirectories = true,
                    IgnoreInaccessible = true,
                    AttributesToSkip = FileAttributes.ReparsePoint,
                };
                foreach (var f in Directory.EnumerateFiles(p, "*", options).Order(StringComparer.Ordinal))
                {
                    if (seen.Add(Path.GetFullPath(f)))
                    {
                        files.Add(f);
                    }
                }
            }
            else if (File.Exists(p))
            {
                if (seen.Add(Path.GetFullPath(p)))
                {
                    files.Add(p);
                }
            }
            else
            {
                errors.Add(IoErrors.NotFound(p));
            }
        }

        return files;
    }

    private static long SafeLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (Exception ex) when (IoErrors.IsIoFailure(ex))
        {
            return 0;
        }
    }

    private static OperationProgress Progress(ProgressPhase phase, int filesDone, int filesTotal, long bytesDone, long bytesTotal, Stopwatch clock, string? current) =>
        new(OperationKind.Verify, phase, filesDone, filesTotal, bytesDone, bytesTotal)
        {
            CurrentFile = current,
            BytesPerSecond = clock.Elapsed.TotalSeconds > 0 ? bytesDone / clock.Elapsed.TotalSeconds : 0,
        };

    // Progress<T> posts to the thread pool; the byte counter is needed synchronously while the file is read.
    private sealed class InlineProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
