using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The database header (<c>DBFILEHDR</c>): the first page of a database file, repeated as a shadow copy in the second
/// page. 748 bytes are used; the rest of the page is zero and still covered by the checksum.
/// </summary>
/// <remarks>Reading never validates; <see cref="DatabaseHeaderSelection"/> decides which copy is valid.</remarks>
internal sealed record DatabaseHeader
{
    /// <summary>Bytes of the page the structure uses.</summary>
    public const int UsedSize = 748;

    /// <summary>The magic number at offset 4.</summary>
    public const uint Magic = 0x89ABCDEF;

    /// <summary>File type value at offset 667 for a database.</summary>
    public const uint DatabaseFileType = 1;

    /// <summary>File type value ESE reserves for temporary databases.</summary>
    public const uint TemporaryDatabaseFileType = 5;

    /// <summary>The format version of every modern database.</summary>
    public const uint CurrentFormatVersion = 0x620;

    /// <summary>Offset of the page-size field (0 means 4096).</summary>
    public const int PageSizeOffset = 236;

    /// <summary>Offset of the 4-byte file type shared by database, log, checkpoint and flush-map headers.</summary>
    public const int FileTypeOffset = 667;

    /// <summary>Offset of the magic.</summary>
    public const int MagicOffset = 4;

    /// <summary>Flag in byte 208: catalog shadowing disabled (ESE's own temporary database is created this way).</summary>
    public const uint CatalogShadowingDisabledFlag = 0x01;

    private const int FormatVersionOffset = 8;
    private const int AttributesOffset = 12;
    private const int DbTimeDirtiedOffset = 16;
    private const int DatabaseSignatureOffset = 24;
    private const int StateOffset = 52;
    private const int ConsistentPositionOffset = 56;
    private const int ConsistentTimeOffset = 64;
    private const int AttachTimeOffset = 72;
    private const int AttachPositionOffset = 80;
    private const int DetachTimeOffset = 88;
    private const int DetachPositionOffset = 96;
    private const int DatabaseIdOffset = 104;
    private const int LogSignatureOffset = 108;
    private const int FullBackupPreviousOffset = 136;
    private const int IncrementalBackupPreviousOffset = 160;
    private const int FullBackupCurrentOffset = 184;
    private const int FlagsOffset = 208;
    private const int ObjidLastOffset = 212;
    private const int OsMajorOffset = 216;
    private const int OsMinorOffset = 220;
    private const int OsBuildOffset = 224;
    private const int OsServicePackOffset = 228;
    private const int FormatRevisionOffset = 232;
    private const int RepairCountOffset = 240;
    private const int RepairTimeOffset = 244;
    private const int DbTimeLastScrubOffset = 280;
    private const int ScrubTimeOffset = 288;
    private const int GenMinRequiredOffset = 296;
    private const int GenMaxRequiredOffset = 300;
    private const int UpgradeFormatPagesOffset = 304;
    private const int UpgradeFreePagesOffset = 308;
    private const int UpgradeSpaceMapPagesOffset = 312;
    private const int SnapshotBackupCurrentOffset = 316;
    private const int CreateVersionOffset = 340;
    private const int CreateRevisionOffset = 344;
    private const int GenMaxRequiredCreatedOffset = 348;
    private const int FullBackupPreviousTypeOffset = 356;
    private const int IncrementalBackupPreviousTypeOffset = 360;
    private const int RepairCountBeforeDefragOffset = 364;
    private const int EccFixSucceededOffset = 368;
    private const int EccFixFailedOffset = 384;
    private const int BadChecksumOffset = 400;
    private const int GenMaxCommittedOffset = 416;
    private const int CopyBackupPreviousOffset = 420;
    private const int DifferentialBackupPreviousOffset = 444;
    private const int CopyBackupPreviousTypeOffset = 468;
    private const int DifferentialBackupPreviousTypeOffset = 472;
    private const int IncrementalReseedOffset = 476;
    private const int PagesPatchedOffset = 492;
    private const int SortVersionOffset = 508;
    private const int DbscanPreviousTimeOffset = 516;
    private const int DbscanStartTimeOffset = 524;
    private const int DbscanHighestContinuousPageOffset = 532;
    private const int GenRecoveringOffset = 536;
    private const int ExtendCountOffset = 540;
    private const int LastExtendTimeOffset = 544;
    private const int ShrinkCountOffset = 552;
    private const int LastShrinkTimeOffset = 556;
    private const int LastReAttachTimeOffset = 564;
    private const int LastReAttachPositionOffset = 572;
    private const int TrimCountOffset = 580;
    private const int HeaderFlushSignatureOffset = 584;
    private const int FlushMapHeaderFlushSignatureOffset = 612;
    private const int GenMinConsistentOffset = 640;
    private const int FormatUpdateMinorOffset = 644;
    private const int HighestAttachedEngineFormatOffset = 648;
    private const int DbscanHighestPageOffset = 652;
    private const int LastResizePositionOffset = 656;
    private const int GenMaxRequiredTimeOffset = 672;
    private const int GenPreRedoMinConsistentOffset = 680;
    private const int GenPreRedoMinRequiredOffset = 684;
    private const int RevertFlushSignatureOffset = 688;
    private const int RevertCountOffset = 716;
    private const int RevertFromTimeOffset = 720;
    private const int RevertToTimeOffset = 728;
    private const int RevertPageCountOffset = 736;
    private const int CommitBeforeRevertPositionOffset = 740;

    /// <summary>Stored header checksum (offset 0).</summary>
    public uint Checksum { get; init; }

    /// <summary>Magic (offset 4); <see cref="Magic"/> when valid.</summary>
    public uint MagicValue { get; init; }

    /// <summary>Format version (major), 0x620 for every modern database.</summary>
    public uint FormatVersion { get; init; }

    /// <summary>Obsolete attribute (0 = database; 1 was the SLV streaming file).</summary>
    public uint Attributes { get; init; }

    /// <summary>Highest DBTIME handed out.</summary>
    public ulong DbTimeDirtied { get; init; }

    /// <summary>Identity of the database (<c>signDb</c>); its time is the creation time.</summary>
    public EseSignature DatabaseSignature { get; init; }

    /// <summary>Raw state value.</summary>
    public uint StateValue { get; init; }

    /// <summary>Where the database was last made consistent.</summary>
    public LogPosition ConsistentPosition { get; init; }

    /// <summary>When it was last made consistent.</summary>
    public LogTime ConsistentTime { get; init; }

    /// <summary>Last attach time.</summary>
    public LogTime AttachTime { get; init; }

    /// <summary>Last attach position.</summary>
    public LogPosition AttachPosition { get; init; }

    /// <summary>Last detach time.</summary>
    public LogTime DetachTime { get; init; }

    /// <summary>Last detach position.</summary>
    public LogPosition DetachPosition { get; init; }

    /// <summary>Slot used at the last attach.</summary>
    public uint DatabaseId { get; init; }

    /// <summary>The log stream this database belongs to (<c>signLog</c>); zero when never logged.</summary>
    public EseSignature LogSignature { get; init; }

    /// <summary>Last successful full backup (logs truncated).</summary>
    public BackupInfo FullBackupPrevious { get; init; }

    /// <summary>Last successful incremental backup; cleared by a new full.</summary>
    public BackupInfo IncrementalBackupPrevious { get; init; }

    /// <summary>Only set inside a streamed backup copy: the backup in progress when the header was captured.</summary>
    public BackupInfo FullBackupCurrent { get; init; }

    /// <summary>Flags dword at 208 (byte 208: shadowing/upgrade flags; byte 211: build marks).</summary>
    public uint Flags { get; init; }

    /// <summary>Highest object id.</summary>
    public uint ObjidLast { get; init; }

    /// <summary>OS major version recorded for index/NLS versioning.</summary>
    public uint OsMajorVersion { get; init; }

    /// <summary>OS minor version.</summary>
    public uint OsMinorVersion { get; init; }

    /// <summary>OS build number.</summary>
    public uint OsBuildNumber { get; init; }

    /// <summary>OS service pack.</summary>
    public uint OsServicePack { get; init; }

    /// <summary>Format update (major), the "revision" esedbinfo prints after the version.</summary>
    public uint FormatRevision { get; init; }

    /// <summary>Raw page-size field (0 means 4096).</summary>
    public uint PageSizeField { get; init; }

    /// <summary>Times the database was repaired.</summary>
    public uint RepairCount { get; init; }

    /// <summary>Time of the last repair.</summary>
    public LogTime RepairTime { get; init; }

    /// <summary>DBTIME of the last scrub.</summary>
    public ulong DbTimeLastScrub { get; init; }

    /// <summary>Time of the last scrub.</summary>
    public LogTime ScrubTime { get; init; }

    /// <summary>Lowest log generation needed to recover (about the checkpoint).</summary>
    public int GenMinRequired { get; init; }

    /// <summary>Highest log generation needed to recover.</summary>
    public int GenMaxRequired { get; init; }

    /// <summary>Pages to upgrade from the 5.5 format.</summary>
    public uint UpgradeFormatPages { get; init; }

    /// <summary>Free pages during upgrade.</summary>
    public uint UpgradeFreePages { get; init; }

    /// <summary>Space-map pages during upgrade.</summary>
    public uint UpgradeSpaceMapPages { get; init; }

    /// <summary>Non-empty when the file came from a VSS snapshot backup.</summary>
    public BackupInfo SnapshotBackupCurrent { get; init; }

    /// <summary>Format version of the engine that created the database.</summary>
    public uint CreateVersion { get; init; }

    /// <summary>Format update of the engine that created the database.</summary>
    public uint CreateRevision { get; init; }

    /// <summary>Creation time of the <see cref="GenMaxRequired"/> log (<c>logtimeGenMaxCreate</c>).</summary>
    public LogTime GenMaxRequiredCreated { get; init; }

    /// <summary>Type of <see cref="FullBackupPrevious"/>.</summary>
    public BackupInfoType FullBackupPreviousType { get; init; }

    /// <summary>Type of <see cref="IncrementalBackupPrevious"/>.</summary>
    public BackupInfoType IncrementalBackupPreviousType { get; init; }

    /// <summary>Repair count before the last defragmentation.</summary>
    public uint RepairCountBeforeDefrag { get; init; }

    /// <summary>ECC single-bit fixes that succeeded.</summary>
    public HeaderCounter EccFixSucceeded { get; init; }

    /// <summary>ECC fixes that failed.</summary>
    public HeaderCounter EccFixFailed { get; init; }

    /// <summary>Uncorrectable checksum errors.</summary>
    public HeaderCounter BadChecksums { get; init; }

    /// <summary>Last log generation with committed changes for this database.</summary>
    public int GenMaxCommitted { get; init; }

    /// <summary>Last copy backup (full, logs not truncated).</summary>
    public BackupInfo CopyBackupPrevious { get; init; }

    /// <summary>Last differential backup (incremental, logs not truncated).</summary>
    public BackupInfo DifferentialBackupPrevious { get; init; }

    /// <summary>Type of <see cref="CopyBackupPrevious"/>.</summary>
    public BackupInfoType CopyBackupPreviousType { get; init; }

    /// <summary>Type of <see cref="DifferentialBackupPrevious"/>.</summary>
    public BackupInfoType DifferentialBackupPreviousType { get; init; }

    /// <summary>Incremental reseeds.</summary>
    public HeaderCounter IncrementalReseeds { get; init; }

    /// <summary>Pages patched by reseed.</summary>
    public HeaderCounter PagesPatched { get; init; }

    /// <summary>Deprecated sort version.</summary>
    public ulong SortVersion { get; init; }

    /// <summary>When the last background checksum pass finished.</summary>
    public LogTime DbscanPreviousTime { get; init; }

    /// <summary>When the current background checksum pass started.</summary>
    public LogTime DbscanStartTime { get; init; }

    /// <summary>Highest page the background pass covered without a gap.</summary>
    public uint DbscanHighestContinuousPage { get; init; }

    /// <summary>Generation being replayed.</summary>
    public int GenRecovering { get; init; }

    /// <summary>Times the file was extended.</summary>
    public uint ExtendCount { get; init; }

    /// <summary>Last extension.</summary>
    public LogTime LastExtendTime { get; init; }

    /// <summary>Times the file was shrunk.</summary>
    public uint ShrinkCount { get; init; }

    /// <summary>Last shrink.</summary>
    public LogTime LastShrinkTime { get; init; }

    /// <summary>Last re-attach time.</summary>
    public LogTime LastReAttachTime { get; init; }

    /// <summary>Last re-attach position.</summary>
    public LogPosition LastReAttachPosition { get; init; }

    /// <summary>Trim count.</summary>
    public uint TrimCount { get; init; }

    /// <summary>Random per header flush (lost-flush detection).</summary>
    public EseSignature HeaderFlushSignature { get; init; }

    /// <summary>Random per flush-map header flush.</summary>
    public EseSignature FlushMapHeaderFlushSignature { get; init; }

    /// <summary>Lowest generation for consistency (at least <see cref="GenMinRequired"/>).</summary>
    public int GenMinConsistent { get; init; }

    /// <summary>Format update (minor).</summary>
    public uint FormatUpdateMinor { get; init; }

    /// <summary>Highest engine format version that attached (diagnostic).</summary>
    public uint HighestAttachedEngineFormat { get; init; }

    /// <summary>Highest page the background pass reached.</summary>
    public uint DbscanHighestPage { get; init; }

    /// <summary>Position of the last resize.</summary>
    public LogPosition LastResizePosition { get; init; }

    /// <summary>File type at offset 667 (<see cref="DatabaseFileType"/>).</summary>
    public uint FileType { get; init; }

    /// <summary><c>logtimeGenMaxRequired</c>.</summary>
    public LogTime GenMaxRequiredTime { get; init; }

    /// <summary>genMinConsistent before redo.</summary>
    public int GenPreRedoMinConsistent { get; init; }

    /// <summary>genMinRequired before redo.</summary>
    public int GenPreRedoMinRequired { get; init; }

    /// <summary>Revert-snapshot header flush signature.</summary>
    public EseSignature RevertFlushSignature { get; init; }

    /// <summary>Revert count.</summary>
    public uint RevertCount { get; init; }

    /// <summary>Reverted from.</summary>
    public LogTime RevertFromTime { get; init; }

    /// <summary>Reverted to.</summary>
    public LogTime RevertToTime { get; init; }

    /// <summary>Pages reverted.</summary>
    public uint RevertPageCount { get; init; }

    /// <summary>Commit position before the revert.</summary>
    public LogPosition CommitBeforeRevertPosition { get; init; }

    /// <summary>The state by name.</summary>
    public DatabaseState State => DatabaseStates.FromValue(StateValue);

    /// <summary>Page size in bytes (the field's 0 means 4096).</summary>
    public int PageSize => PageSizeFromField(PageSizeField);

    /// <summary>True when offset 4 holds the magic.</summary>
    public bool HasValidMagic => MagicValue == Magic;

    /// <summary>Creation time of the database (the time inside <see cref="DatabaseSignature"/>).</summary>
    public LogTime Created => DatabaseSignature.Created;

    /// <summary>True when catalog shadowing is off.</summary>
    public bool CatalogShadowingDisabled => (Flags & CatalogShadowingDisabledFlag) != 0;

    /// <summary>
    /// ESE's own temporary (scratch) database: state JustCreated and no log stream. ESE writes its pages without
    /// checksums and never reads them back after a restart, so they cannot be verified.
    /// </summary>
    public bool IsTemporaryDatabase => State == DatabaseState.JustCreated && LogSignature.IsZero;

    /// <summary>
    /// Log generations needed to make the database consistent: <c>genMinRequired..genMaxRequired</c> for the dirty
    /// states, <see langword="null"/> otherwise (or when the header names none).
    /// </summary>
    public (int Low, int High)? RequiredLogRange =>
        State.NeedsLogs() && GenMinRequired > 0 && GenMaxRequired >= GenMinRequired ? (GenMinRequired, GenMaxRequired) : null;

    /// <summary>Page size for a raw page-size field (0 means 4096).</summary>
    public static int PageSizeFromField(uint field) => field == 0 ? 4096 : field > int.MaxValue ? int.MaxValue : (int)field;

    /// <summary>True for page sizes an engine can write (2 KiB existed up to Windows 8.1).</summary>
    public static bool IsSupportedPageSize(int pageSize) => pageSize is 2048 or 4096 or 8192 or 16384 or 32768;

    /// <summary>Reads the header from a page (at least <see cref="UsedSize"/> bytes).</summary>
    /// <exception cref="ArgumentException">The span is shorter than the structure.</exception>
    public static DatabaseHeader Read(ReadOnlySpan<byte> page)
    {
        if (page.Length < UsedSize)
        {
            throw new ArgumentException("A database header needs 748 bytes.", nameof(page));
        }

        var first = new DatabaseHeader
        {
            Checksum = U32(page, 0),
            MagicValue = U32(page, MagicOffset),
            FormatVersion = U32(page, FormatVersionOffset),
            Attributes = U32(page, AttributesOffset),
            DbTimeDirtied = U64(page, DbTimeDirtiedOffset),
            DatabaseSignature = EseSignature.Read(page[DatabaseSignatureOffset..]),
            StateValue = U32(page, StateOffset),
            ConsistentPosition = LogPosition.Read(page[ConsistentPositionOffset..]),
            ConsistentTime = LogTime.Read(page[ConsistentTimeOffset..]),
            AttachTime = LogTime.Read(page[AttachTimeOffset..]),
            AttachPosition = LogPosition.Read(page[AttachPositionOffset..]),
            DetachTime = LogTime.Read(page[DetachTimeOffset..]),
            DetachPosition = LogPosition.Read(page[DetachPositionOffset..]),
            DatabaseId = U32(page, DatabaseIdOffset),
            LogSignature = EseSignature.Read(page[LogSignatureOffset..]),
            FullBackupPrevious = BackupInfo.Read(page[FullBackupPreviousOffset..]),
            IncrementalBackupPrevious = BackupInfo.Read(page[IncrementalBackupPreviousOffset..]),
            FullBackupCurrent = BackupInfo.Read(page[FullBackupCurrentOffset..]),
            Flags = U32(page, FlagsOffset),
            ObjidLast = U32(page, ObjidLastOffset),
            OsMajorVersion = U32(page, OsMajorOffset),
            OsMinorVersion = U32(page, OsMinorOffset),
            OsBuildNumber = U32(page, OsBuildOffset),
            OsServicePack = U32(page, OsServicePackOffset),
            FormatRevision = U32(page, FormatRevisionOffset),
            PageSizeField = U32(page, PageSizeOffset),
            RepairCount = U32(page, RepairCountOffset),
            RepairTime = LogTime.Read(page[RepairTimeOffset..]),
            DbTimeLastScrub = U64(page, DbTimeLastScrubOffset),
            ScrubTime = LogTime.Read(page[ScrubTimeOffset..]),
        };
        return WithLaterFields(first, page);
    }

    /// <summary>The fields from the required generations on (the second half of the header, in offset order).</summary>
    private static DatabaseHeader WithLaterFields(DatabaseHeader first, ReadOnlySpan<byte> page)
    {
        return first with
        {
            GenMinRequired = I32(page, GenMinRequiredOffset),
            GenMaxRequired = I32(page, GenMaxRequiredOffset),
            UpgradeFormatPages = U32(page, UpgradeFormatPagesOffset),
            UpgradeFreePages = U32(page, UpgradeFreePagesOffset),
            UpgradeSpaceMapPages = U32(page, UpgradeSpaceMapPagesOffset),
            SnapshotBackupCurrent = BackupInfo.Read(page[SnapshotBackupCurrentOffset..]),
            CreateVersion = U32(page, CreateVersionOffset),
            CreateRevision = U32(page, CreateRevisionOffset),
            GenMaxRequiredCreated = LogTime.Read(page[GenMaxRequiredCreatedOffset..]),
            FullBackupPreviousType = (BackupInfoType)U32(page, FullBackupPreviousTypeOffset),
            IncrementalBackupPreviousType = (BackupInfoType)U32(page, IncrementalBackupPreviousTypeOffset),
            RepairCountBeforeDefrag = U32(page, RepairCountBeforeDefragOffset),
            EccFixSucceeded = HeaderCounter.Read(page[EccFixSucceededOffset..]),
            EccFixFailed = HeaderCounter.Read(page[EccFixFailedOffset..]),
            BadChecksums = HeaderCounter.Read(page[BadChecksumOffset..]),
            GenMaxCommitted = I32(page, GenMaxCommittedOffset),
            CopyBackupPrevious = BackupInfo.Read(page[CopyBackupPreviousOffset..]),
            DifferentialBackupPrevious = BackupInfo.Read(page[DifferentialBackupPreviousOffset..]),
            CopyBackupPreviousType = (BackupInfoType)U32(page, CopyBackupPreviousTypeOffset),
            DifferentialBackupPreviousType = (BackupInfoType)U32(page, DifferentialBackupPreviousTypeOffset),
            IncrementalReseeds = HeaderCounter.Read(page[IncrementalReseedOffset..]),
            PagesPatched = HeaderCounter.Read(page[PagesPatchedOffset..]),
            SortVersion = U64(page, SortVersionOffset),
            DbscanPreviousTime = LogTime.Read(page[DbscanPreviousTimeOffset..]),
            DbscanStartTime = LogTime.Read(page[DbscanStartTimeOffset..]),
            DbscanHighestContinuousPage = U32(page, DbscanHighestContinuousPageOffset),
            GenRecovering = I32(page, GenRecoveringOffset),
            ExtendCount = U32(page, ExtendCountOffset),
            LastExtendTime = LogTime.Read(page[LastExtendTimeOffset..]),
            ShrinkCount = U32(page, ShrinkCountOffset),
            LastShrinkTime = LogTime.Read(page[LastShrinkTimeOffset..]),
            LastReAttachTime = LogTime.Read(page[LastReAttachTimeOffset..]),
            LastReAttachPosition = LogPosition.Read(page[LastReAttachPositionOffset..]),
            TrimCount = U32(page, TrimCountOffset),
            HeaderFlushSignature = EseSignature.Read(page[HeaderFlushSignatureOffset..]),
            FlushMapHeaderFlushSignature = EseSignature.Read(page[FlushMapHeaderFlushSignatureOffset..]),
            GenMinConsistent = I32(page, GenMinConsistentOffset),
            FormatUpdateMinor = U32(page, FormatUpdateMinorOffset),
            HighestAttachedEngineFormat = U32(page, HighestAttachedEngineFormatOffset),
            DbscanHighestPage = U32(page, DbscanHighestPageOffset),
            LastResizePosition = LogPosition.Read(page[LastResizePositionOffset..]),
            FileType = U32(page, FileTypeOffset),
            GenMaxRequiredTime = LogTime.Read(page[GenMaxRequiredTimeOffset..]),
            GenPreRedoMinConsistent = I32(page, GenPreRedoMinConsistentOffset),
            GenPreRedoMinRequired = I32(page, GenPreRedoMinRequiredOffset),
            RevertFlushSignature = EseSignature.Read(page[RevertFlushSignatureOffset..]),
            RevertCount = U32(page, RevertCountOffset),
            RevertFromTime = LogTime.Read(page[RevertFromTimeOffset..]),
            RevertToTime = LogTime.Read(page[RevertToTimeOffset..]),
            RevertPageCount = U32(page, RevertPageCountOffset),
            CommitBeforeRevertPosition = LogPosition.Read(page[CommitBeforeRevertPositionOffset..]),
        };
    }

    /// <summary>Reads the raw page-size field of a header image.</summary>
    public static uint ReadPageSizeField(ReadOnlySpan<byte> page) => U32(page, PageSizeOffset);

    /// <summary>
    /// Writes the whole header page: clears it, writes every field (the checksum field is ignored) and stamps the
    /// XOR checksum over the full page.
    /// </summary>
    public void WritePage(Span<byte> page)
    {
        page.Clear();
        W32(page, MagicOffset, MagicValue);
        W32(page, FormatVersionOffset, FormatVersion);
        W32(page, AttributesOffset, Attributes);
        W64(page, DbTimeDirtiedOffset, DbTimeDirtied);
        DatabaseSignature.Write(page[DatabaseSignatureOffset..]);
        W32(page, StateOffset, StateValue);
        ConsistentPosition.Write(page[ConsistentPositionOffset..]);
        ConsistentTime.Write(page[ConsistentTimeOffset..]);
        AttachTime.Write(page[AttachTimeOffset..]);
        AttachPosition.Write(page[AttachPositionOffset..]);
        DetachTime.Write(page[DetachTimeOffset..]);
        DetachPosition.Write(page[DetachPositionOffset..]);
        W32(page, DatabaseIdOffset, DatabaseId);
        LogSignature.Write(page[LogSignatureOffset..]);
        FullBackupPrevious.Write(page[FullBackupPreviousOffset..]);
        IncrementalBackupPrevious.Write(page[IncrementalBackupPreviousOffset..]);
        FullBackupCurrent.Write(page[FullBackupCurrentOffset..]);
        W32(page, FlagsOffset, Flags);
        W32(page, ObjidLastOffset, ObjidLast);
        W32(page, OsMajorOffset, OsMajorVersion);
        W32(page, OsMinorOffset, OsMinorVersion);
        W32(page, OsBuildOffset, OsBuildNumber);
        W32(page, OsServicePackOffset, OsServicePack);
        W32(page, FormatRevisionOffset, FormatRevision);
        W32(page, PageSizeOffset, PageSizeField);
        W32(page, RepairCountOffset, RepairCount);
        RepairTime.Write(page[RepairTimeOffset..]);
        W64(page, DbTimeLastScrubOffset, DbTimeLastScrub);
        ScrubTime.Write(page[ScrubTimeOffset..]);
        WriteLaterFields(page);
        XorChecksum.Stamp(page);
    }

    /// <summary>The fields from the required generations on (the second half of the header, in offset order).</summary>
    private void WriteLaterFields(Span<byte> page)
    {
        W32(page, GenMinRequiredOffset, (uint)GenMinRequired);
        W32(page, GenMaxRequiredOffset, (uint)GenMaxRequired);
        W32(page, UpgradeFormatPagesOffset, UpgradeFormatPages);
        W32(page, UpgradeFreePagesOffset, UpgradeFreePages);
        W32(page, UpgradeSpaceMapPagesOffset, UpgradeSpaceMapPages);
        SnapshotBackupCurrent.Write(page[SnapshotBackupCurrentOffset..]);
        W32(page, CreateVersionOffset, CreateVersion);
        W32(page, CreateRevisionOffset, CreateRevision);
        GenMaxRequiredCreated.Write(page[GenMaxRequiredCreatedOffset..]);
        W32(page, FullBackupPreviousTypeOffset, (uint)FullBackupPreviousType);
        W32(page, IncrementalBackupPreviousTypeOffset, (uint)IncrementalBackupPreviousType);
        W32(page, RepairCountBeforeDefragOffset, RepairCountBeforeDefrag);
        EccFixSucceeded.Write(page[EccFixSucceededOffset..]);
        EccFixFailed.Write(page[EccFixFailedOffset..]);
        BadChecksums.Write(page[BadChecksumOffset..]);
        W32(page, GenMaxCommittedOffset, (uint)GenMaxCommitted);
        CopyBackupPrevious.Write(page[CopyBackupPreviousOffset..]);
        DifferentialBackupPrevious.Write(page[DifferentialBackupPreviousOffset..]);
        W32(page, CopyBackupPreviousTypeOffset, (uint)CopyBackupPreviousType);
        W32(page, DifferentialBackupPreviousTypeOffset, (uint)DifferentialBackupPreviousType);
        IncrementalReseeds.Write(page[IncrementalReseedOffset..]);
        PagesPatched.Write(page[PagesPatchedOffset..]);
        W64(page, SortVersionOffset, SortVersion);
        DbscanPreviousTime.Write(page[DbscanPreviousTimeOffset..]);
        DbscanStartTime.Write(page[DbscanStartTimeOffset..]);
        W32(page, DbscanHighestContinuousPageOffset, DbscanHighestContinuousPage);
        W32(page, GenRecoveringOffset, (uint)GenRecovering);
        W32(page, ExtendCountOffset, ExtendCount);
        LastExtendTime.Write(page[LastExtendTimeOffset..]);
        W32(page, ShrinkCountOffset, ShrinkCount);
        LastShrinkTime.Write(page[LastShrinkTimeOffset..]);
        LastReAttachTime.Write(page[LastReAttachTimeOffset..]);
        LastReAttachPosition.Write(page[LastReAttachPositionOffset..]);
        W32(page, TrimCountOffset, TrimCount);
        HeaderFlushSignature.Write(page[HeaderFlushSignatureOffset..]);
        FlushMapHeaderFlushSignature.Write(page[FlushMapHeaderFlushSignatureOffset..]);
        W32(page, GenMinConsistentOffset, (uint)GenMinConsistent);
        W32(page, FormatUpdateMinorOffset, FormatUpdateMinor);
        W32(page, HighestAttachedEngineFormatOffset, HighestAttachedEngineFormat);
        W32(page, DbscanHighestPageOffset, DbscanHighestPage);
        LastResizePosition.Write(page[LastResizePositionOffset..]);
        W32(page, FileTypeOffset, FileType);
        GenMaxRequiredTime.Write(page[GenMaxRequiredTimeOffset..]);
        W32(page, GenPreRedoMinConsistentOffset, (uint)GenPreRedoMinConsistent);
        W32(page, GenPreRedoMinRequiredOffset, (uint)GenPreRedoMinRequired);
        RevertFlushSignature.Write(page[RevertFlushSignatureOffset..]);
        W32(page, RevertCountOffset, RevertCount);
        RevertFromTime.Write(page[RevertFromTimeOffset..]);
        RevertToTime.Write(page[RevertToTimeOffset..]);
        W32(page, RevertPageCountOffset, RevertPageCount);
        CommitBeforeRevertPosition.Write(page[CommitBeforeRevertPositionOffset..]);
    }

    private static uint U32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt32LittleEndian(b[offset..]);

    private static int I32(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadInt32LittleEndian(b[offset..]);

    private static ulong U64(ReadOnlySpan<byte> b, int offset) => BinaryPrimitives.ReadUInt64LittleEndian(b[offset..]);

    private static void W32(Span<byte> b, int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(b[offset..], value);

    private static void W64(Span<byte> b, int offset, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(b[offset..], value);
}
