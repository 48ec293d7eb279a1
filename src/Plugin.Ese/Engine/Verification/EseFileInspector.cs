using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>
/// Everything about one file, like <c>esentutl /mh</c> (database header), <c>/ml</c> (log header and its
/// verification) and <c>/mk</c> (checkpoint). Databases are inspected by their header pages (and last page, for a
/// streaming-backup trailer) only, so inspection of a large database stays cheap; smaller kinds are verified whole.
/// </summary>
internal static class EseFileInspector
{
    /// <summary>Inspects a file. Never throws for I/O: a missing or unreadable file comes back with <see cref="FileInspection.Error"/> set.</summary>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static async Task<FileInspection> InspectAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            return new FileInspection(path, "unknown", []) { Error = IoErrors.NotFound(path) };
        }

        try
        {
            var length = new FileInfo(path).Length;
            var head = await ReadAtAsync(path, 0, (int)Math.Min(length, EseFileSniffer.HeadSize), cancellationToken);
            var identity = EseFileSniffer.Identify(path, length, head);
            if (identity.Kind != EseFileKind.Database)
            {
                var verified = await EseFileVerifier.VerifyAsync(path, cancellationToken: cancellationToken);
                return new FileInspection(path, verified.Kind.ToName(), EseFileDetails.ToJson(verified, length, verified: true))
                {
                    Findings = verified.Findings,
                };
            }

            var findings = new FindingCollector();
            var selection = identity.DatabaseSelection ?? DatabaseHeaderSelection.Select(head, length);
            DatabaseHeaderChecks.Report(selection, path, findings, FindingSeverity.Corruption);
            BackupTrailer? trailer = null;
            if (selection.PageSize is { } pageSize && length % pageSize == 0 && length >= 3L * pageSize)
            {
                var last = await ReadAtAsync(path, length - pageSize, pageSize, cancellationToken);
                var index = (length / pageSize) - 1;
                if (BackupTrailer.TryRead(last, (uint)(index - 1), out trailer))
                {
                    DatabaseHeaderChecks.CheckTrailer(trailer, selection, index, pageSize, path, findings, FindingSeverity.Corruption);
                }
            }

            var result = new EseVerificationResult
            {
                DisplayPath = path,
                Kind = EseFileKind.Database,
                KindReason = identity.Reason,
                Database = selection.Header,
                HeaderCopyUsed = selection.UsedCopy,
                PageSize = selection.PageSize,
                Trailer = trailer,
            };
            return new FileInspection(path, EseFileKind.Database.ToName(), EseFileDetails.ToJson(result, length, verified: false))
            {
                Findings = findings.ToList(path),
            };
        }
        catch (Exception ex) when (IoErrors.IsIoFailure(ex))
        {
            return new FileInspection(path, "unknown", []) { Error = IoErrors.FromException(ex, path) };
        }
    }

    private static async Task<byte[]> ReadAtAsync(string path, long offset, int count, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
        stream.Position = offset;
        var buffer = new byte[count];
        var n = await stream.ReadAtLeastAsync(buffer, count, throwOnEndOfStream: false, cancellationToken);
        return n == count ? buffer : buffer[..n];
    }
}
