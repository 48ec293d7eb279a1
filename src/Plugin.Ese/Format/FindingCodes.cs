namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// Stable finding codes (PascalCase). Hosts and operators match on these names, so they never change once
/// published; new conditions get new names.
/// </summary>
internal static class FindingCodes
{
    /// <summary>A header copy (database, log, checkpoint, flush map) fails its checksum; for databases the primary copy.</summary>
    public const string HeaderChecksumMismatch = nameof(HeaderChecksumMismatch);

    /// <summary>The database or checkpoint shadow header fails its checksum or differs from the primary.</summary>
    public const string ShadowHeaderMismatch = nameof(ShadowHeaderMismatch);

    /// <summary>A header checksums fine but holds impossible values (magic, file type, page size, geometry).</summary>
    public const string HeaderInvalid = nameof(HeaderInvalid);

    /// <summary>A database page fails its checksum.</summary>
    public const string PageChecksumMismatch = nameof(PageChecksumMismatch);

    /// <summary>A database page is intact but belongs to another page number.</summary>
    public const string PageNumberMismatch = nameof(PageNumberMismatch);

    /// <summary>The streaming-backup trailer page does not match the header's signatures.</summary>
    public const string BackupTrailerMismatch = nameof(BackupTrailerMismatch);

    /// <summary>Pages of ESE's temporary database carry no checksums and were not verified.</summary>
    public const string TemporaryDatabasePagesNotVerified = nameof(TemporaryDatabasePagesNotVerified);

    /// <summary>The file is shorter than its structure requires.</summary>
    public const string TruncatedFile = nameof(TruncatedFile);

    /// <summary>The file is longer than its header declares.</summary>
    public const string ExtraBytes = nameof(ExtraBytes);

    /// <summary>The bytes streamed differ from what the file's start promised (the file changed while being read).</summary>
    public const string FileChangedDuringRead = nameof(FileChangedDuringRead);

    /// <summary>A log file header fails its checksum.</summary>
    public const string LogHeaderChecksumMismatch = nameof(LogHeaderChecksumMismatch);

    /// <summary>A v8 log segment fails its checksum (and is not a shadow copy or never written).</summary>
    public const string LogSegmentChecksumMismatch = nameof(LogSegmentChecksumMismatch);

    /// <summary>A v8 log segment is intact but names a later position than its place in the file.</summary>
    public const string LogSegmentPositionMismatch = nameof(LogSegmentPositionMismatch);

    /// <summary>A valid v8 log segment follows the end of the written log (a hole in the log).</summary>
    public const string LogSegmentAfterEnd = nameof(LogSegmentAfterEnd);

    /// <summary>A v7 LRCHECKSUM record fails its checksum.</summary>
    public const string LogRecordChecksumMismatch = nameof(LogRecordChecksumMismatch);

    /// <summary>The v7 LRCHECKSUM chain is broken (wrong record type, range outside the file).</summary>
    public const string LogRecordChainBroken = nameof(LogRecordChainBroken);

    /// <summary>The generation in a log's name differs from its header.</summary>
    public const string LogGenerationMismatch = nameof(LogGenerationMismatch);

    /// <summary>A log belongs to another log stream than the rest of its sequence.</summary>
    public const string LogSignatureMismatch = nameof(LogSignatureMismatch);

    /// <summary>Consecutive logs do not follow each other: tmPrevGen of N+1 is not tmCreate of N.</summary>
    public const string LogNotContiguous = nameof(LogNotContiguous);

    /// <summary>Generations are missing inside a log sequence.</summary>
    public const string LogGenerationGap = nameof(LogGenerationGap);

    /// <summary>Two files hold the same generation.</summary>
    public const string DuplicateLogGeneration = nameof(DuplicateLogGeneration);

    /// <summary>The accumulated segment checksum of generation N disagrees with generation N+1's header.</summary>
    public const string LogSequenceChecksumMismatch = nameof(LogSequenceChecksumMismatch);

    /// <summary>Generations a dirty database requires are missing from its log stream.</summary>
    public const string RequiredLogMissing = nameof(RequiredLogMissing);

    /// <summary>A dirty database requires logs, but no log of its stream was among the verified files.</summary>
    public const string RequiredLogsNotVerified = nameof(RequiredLogsNotVerified);

    /// <summary>Generations with committed changes (beyond the required ones) are missing.</summary>
    public const string CommittedLogMissing = nameof(CommittedLogMissing);

    /// <summary>The log that ends a database's required range was created at another time than the header recorded.</summary>
    public const string RequiredLogCreationTimeMismatch = nameof(RequiredLogCreationTimeMismatch);

    /// <summary>A dirty database's log signature matches none of the logs beside it.</summary>
    public const string DatabaseLogSignatureMismatch = nameof(DatabaseLogSignatureMismatch);

    /// <summary>The checkpoint's log signature differs from its logs.</summary>
    public const string CheckpointSignatureMismatch = nameof(CheckpointSignatureMismatch);

    /// <summary>The checkpoint's generation is not among its logs.</summary>
    public const string CheckpointLogMissing = nameof(CheckpointLogMissing);

    /// <summary>The file is not an ESE file.</summary>
    public const string NotEseFile = nameof(NotEseFile);

    /// <summary>The file is empty.</summary>
    public const string EmptyFile = nameof(EmptyFile);

    /// <summary>More findings existed than a report keeps; the rest were counted only.</summary>
    public const string FindingsLimitReached = nameof(FindingsLimitReached);
}
