using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The checkpoint file's structure (<c>CHECKPOINT</c>): 4096 bytes, written twice (offset 0 and 4096), each copy with
/// its own XOR checksum. Recovery starts replaying at <see cref="Checkpoint"/>.
/// </summary>
internal sealed record CheckpointHeader
{
    /// <summary>Size of one copy.</summary>
    public const int Size = 4096;

    /// <summary>Size of the file (two copies).</summary>
    public const int FileSize = 2 * Size;

    /// <summary>File type value at offset 667 for a checkpoint.</summary>
    public const uint CheckpointFileType = 4;

    /// <summary>Flag in <see cref="VersionFlags"/>: the attach-info list is present.</summary>
    public const byte AttachInfoPresentFlag = 0x01;

    private const int LastFullBackupCheckpointOffset = 4;
    private const int CheckpointOffset = 12;
    private const int SignatureOffset = 20;
    private const int DbmsOffset = 48;
    private const int FullBackupOffset = 615;
    private const int FullBackupTimeOffset = 623;
    private const int IncrementalBackupOffset = 631;
    private const int IncrementalBackupTimeOffset = 639;
    private const int VersionOffset = 647;
    private const int DbConsistencyOffset = 648;
    private const int FileTypeOffset = 667;
    private const int AttachInfoOffset = 679;

    /// <summary>Stored checksum.</summary>
    public uint Checksum { get; init; }

    /// <summary>Checkpoint at the last full backup.</summary>
    public LogPosition LastFullBackupCheckpoint { get; init; }

    /// <summary>Where recovery starts; its generation is the checkpoint generation.</summary>
    public LogPosition Checkpoint { get; init; }

    /// <summary>Log stream identity (<c>signLog</c>).</summary>
    public EseSignature Signature { get; init; }

    /// <summary>Instance parameters.</summary>
    public required DbmsParameters Dbms { get; init; }

    /// <summary>Mark of a full backup in progress.</summary>
    public LogPosition FullBackup { get; init; }

    /// <summary>Time of that mark.</summary>
    public LogTime FullBackupTime { get; init; }

    /// <summary>Mark of an incremental backup in progress.</summary>
    public LogPosition IncrementalBackup { get; init; }

    /// <summary>Time of that mark.</summary>
    public LogTime IncrementalBackupTime { get; init; }

    /// <summary><c>fVersion</c>: 0x1 means the attach-info list is present.</summary>
    public byte VersionFlags { get; init; }

    /// <summary>Database consistency position.</summary>
    public LogPosition DbConsistency { get; init; }

    /// <summary>File type at offset 667 (<see cref="CheckpointFileType"/>).</summary>
    public uint FileType { get; init; }

    /// <summary>Databases attached at the checkpoint.</summary>
    public required AttachInfoList AttachedDatabases { get; init; }

    /// <summary>The checkpoint generation.</summary>
    public int CheckpointGeneration => Checkpoint.Generation;

    /// <summary>Circular logging was on.</summary>
    public bool CircularLogging => Dbms.CircularLogging;

    /// <summary>Reads one copy (4096 bytes).</summary>
    /// <exception cref="ArgumentException">Fewer than 4096 bytes.</exception>
    public static CheckpointHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException("A checkpoint copy needs 4096 bytes.", nameof(source));
        }

        return new CheckpointHeader
        {
            Checksum = BinaryPrimitives.ReadUInt32LittleEndian(source),
            LastFullBackupCheckpoint = LogPosition.Read(source[LastFullBackupCheckpointOffset..]),
            Checkpoint = LogPosition.Read(source[CheckpointOffset..]),
            Signature = EseSignature.Read(source[SignatureOffset..]),
            Dbms = DbmsParameters.Read(source[DbmsOffset..]),
            FullBackup = LogPosition.Read(source[FullBackupOffset..]),
            FullBackupTime = LogTime.Read(source[FullBackupTimeOffset..]),
            IncrementalBackup = LogPosition.Read(source[IncrementalBackupOffset..]),
            IncrementalBackupTime = LogTime.Read(source[IncrementalBackupTimeOffset..]),
            VersionFlags = source[VersionOffset],
            DbConsistency = LogPosition.Read(source[DbConsistencyOffset..]),
            FileType = BinaryPrimitives.ReadUInt32LittleEndian(source[FileTypeOffset..]),
            AttachedDatabases = AttachInfo.ReadList(source.Slice(AttachInfoOffset, AttachInfo.ListAreaSize)),
        };
    }

    /// <summary>Writes one copy (clears 4096 bytes, stamps the XOR checksum).</summary>
    public void Write(Span<byte> destination)
    {
        var h = destination[..Size];
        h.Clear();
        LastFullBackupCheckpoint.Write(h[LastFullBackupCheckpointOffset..]);
        Checkpoint.Write(h[CheckpointOffset..]);
        Signature.Write(h[SignatureOffset..]);
        Dbms.Write(h[DbmsOffset..]);
        FullBackup.Write(h[FullBackupOffset..]);
        FullBackupTime.Write(h[FullBackupTimeOffset..]);
        IncrementalBackup.Write(h[IncrementalBackupOffset..]);
        IncrementalBackupTime.Write(h[IncrementalBackupTimeOffset..]);
        h[VersionOffset] = VersionFlags;
        DbConsistency.Write(h[DbConsistencyOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[FileTypeOffset..], FileType);
        AttachInfo.WriteList(AttachedDatabases.Entries, h.Slice(AttachInfoOffset, AttachInfo.ListAreaSize));
        XorChecksum.Stamp(h);
    }

    /// <summary>Writes the whole 8192-byte file image: both copies identical.</summary>
    public void WriteFile(Span<byte> destination)
    {
        Write(destination[..Size]);
        destination[..Size].CopyTo(destination.Slice(Size, Size));
    }
}

/// <summary>Which checkpoint copy is valid, chosen like the database header (primary preferred).</summary>
/// <param name="UsedCopy">The copy in use.</param>
/// <param name="Header">That copy; when neither is valid, the primary as read (if 4096 bytes exist).</param>
/// <param name="PrimaryValid">Primary checksum matches.</param>
/// <param name="ShadowValid">Shadow checksum matches.</param>
/// <param name="ShadowPresent">The file holds a second copy.</param>
/// <param name="CopiesIdentical">Both valid and byte-identical.</param>
/// <param name="PrimaryStored">Stored primary checksum.</param>
/// <param name="PrimaryComputed">Computed primary checksum.</param>
/// <param name="ShadowStored">Stored shadow checksum.</param>
/// <param name="ShadowComputed">Computed shadow checksum.</param>
internal sealed record CheckpointSelection(
    HeaderCopy UsedCopy,
    CheckpointHeader? Header,
    bool PrimaryValid,
    bool ShadowValid,
    bool ShadowPresent,
    bool CopiesIdentical,
    uint PrimaryStored,
    uint PrimaryComputed,
    uint ShadowStored,
    uint ShadowComputed) : IHeaderCopies
{
    /// <summary>Runs the selection over the start of a checkpoint file.</summary>
    public static CheckpointSelection Select(ReadOnlySpan<byte> file)
    {
        const int size = CheckpointHeader.Size;
        if (file.Length < size)
        {
            return new CheckpointSelection(HeaderCopy.None, null, false, false, false, false, 0, 0, 0, 0);
        }

        var primary = file[..size];
        var ps = XorChecksum.ReadStored(primary);
        var pc = XorChecksum.Compute(primary);
        var shadowPresent = file.Length >= 2 * size;
        uint ss = 0, sc = 0;
        if (shadowPresent)
        {
            ss = XorChecksum.ReadStored(file[size..]);
            sc = XorChecksum.Compute(file.Slice(size, size));
        }

        var pOk = ps == pc;
        var sOk = shadowPresent && ss == sc;
        var used = pOk ? HeaderCopy.Primary : sOk ? HeaderCopy.Shadow : HeaderCopy.None;
        var header = CheckpointHeader.Read(used == HeaderCopy.Shadow ? file.Slice(size, size) : primary);
        var identical = pOk && sOk && primary.SequenceEqual(file.Slice(size, size));
        return new CheckpointSelection(used, header, pOk, sOk, shadowPresent, identical, ps, pc, ss, sc);
    }
}
