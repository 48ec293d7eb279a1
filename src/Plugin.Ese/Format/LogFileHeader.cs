using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The transaction log file header (<c>LGFILEHDR</c>): 4096 bytes at offset 0, not shadowed, protected by the XOR
/// checksum over all 4096 bytes.
/// </summary>
internal sealed record LogFileHeader
{
    /// <summary>Size of the header (and of the checksummed region).</summary>
    public const int Size = 4096;

    /// <summary>File type value at offset 667 for a log.</summary>
    public const uint LogFileType = 3;

    private const int GenerationOffset = 4;
    private const int SectorSizeOffset = 8;
    private const int HeaderSectorsOffset = 10;
    private const int FileSectorsOffset = 12;
    private const int PageSizeOffset = 14;
    private const int CreatedOffset = 16;
    private const int PreviousCreatedOffset = 24;
    private const int VersionMajorOffset = 32;
    private const int VersionMinorOffset = 36;
    private const int VersionUpdateMajorOffset = 40;
    private const int SignatureOffset = 44;
    private const int DbmsOffset = 72;
    private const int FlagsOffset = 639;
    private const int CheckpointOffset = 640;
    private const int VersionUpdateMinorOffset = 648;
    private const int SectorSizeMismatchOffset = 652;
    private const int PreviousChecksumOffset = 653;
    private const int EngineFormatVersionOffset = 661;
    private const int FileTypeOffset = 667;
    private const int AttachInfoOffset = 671;

    /// <summary>Stored checksum.</summary>
    public uint Checksum { get; init; }

    /// <summary>Log generation (<c>lGeneration</c>).</summary>
    public int Generation { get; init; }

    /// <summary>Sector size (<c>cbSec</c>): 4096 for v8, the volume sector size (usually 512) for v7.</summary>
    public ushort SectorSize { get; init; }

    /// <summary>Header size in sectors (<c>csecHeader</c>).</summary>
    public ushort HeaderSectors { get; init; }

    /// <summary>File size in sectors (<c>csecLGFile</c>).</summary>
    public ushort FileSectors { get; init; }

    /// <summary>Raw database page size field (0 means 4096).</summary>
    public ushort DatabasePageSizeField { get; init; }

    /// <summary>Creation time of this generation.</summary>
    public LogTime Created { get; init; }

    /// <summary>Creation time of the previous generation (zero for generation 1).</summary>
    public LogTime PreviousGenerationCreated { get; init; }

    /// <summary>Log format version.</summary>
    public LogVersion Version { get; init; }

    /// <summary>Log stream identity (<c>signLog</c>).</summary>
    public EseSignature Signature { get; init; }

    /// <summary>Instance parameters when the log was created.</summary>
    public required DbmsParameters Dbms { get; init; }

    /// <summary>Header flags.</summary>
    public LogFileFlags Flags { get; init; }

    /// <summary>Checkpoint when this file was created.</summary>
    public LogPosition Checkpoint { get; init; }

    /// <summary>Disk-sector-size mismatch code.</summary>
    public byte SectorSizeMismatch { get; init; }

    /// <summary>XOR of the previous generation's good segment checksums (<c>checksumPrevLogAllSegments</c>).</summary>
    public ulong PreviousLogAccumulatedChecksum { get; init; }

    /// <summary>Engine format version that wrote the file (diagnostic).</summary>
    public uint EngineFormatVersion { get; init; }

    /// <summary>File type at offset 667 (<see cref="LogFileType"/>).</summary>
    public uint FileType { get; init; }

    /// <summary>Databases attached when the log was created.</summary>
    public required AttachInfoList AttachedDatabases { get; init; }

    /// <summary>Database page size in bytes.</summary>
    public int DatabasePageSize => DatabasePageSizeField == 0 ? 4096 : DatabasePageSizeField;

    /// <summary>Circular logging, from either the parameter block or the header flags.</summary>
    public bool CircularLogging => Dbms.CircularLogging || (Flags & LogFileFlags.CircularLogging) != 0;

    /// <summary>File length the header declares: <c>csecLGFile * cbSec</c>.</summary>
    public long DeclaredFileLength => (long)FileSectors * SectorSize;

    /// <summary>Reads the header from the first 4096 bytes of <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than 4096 bytes.</exception>
    public static LogFileHeader Read(ReadOnlySpan<byte> source)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException("A log header needs 4096 bytes.", nameof(source));
        }

        return new LogFileHeader
        {
            Checksum = BinaryPrimitives.ReadUInt32LittleEndian(source),
            Generation = BinaryPrimitives.ReadInt32LittleEndian(source[GenerationOffset..]),
            SectorSize = BinaryPrimitives.ReadUInt16LittleEndian(source[SectorSizeOffset..]),
            HeaderSectors = BinaryPrimitives.ReadUInt16LittleEndian(source[HeaderSectorsOffset..]),
            FileSectors = BinaryPrimitives.ReadUInt16LittleEndian(source[FileSectorsOffset..]),
            DatabasePageSizeField = BinaryPrimitives.ReadUInt16LittleEndian(source[PageSizeOffset..]),
            Created = LogTime.Read(source[CreatedOffset..]),
            PreviousGenerationCreated = LogTime.Read(source[PreviousCreatedOffset..]),
            Version = new LogVersion(
                BinaryPrimitives.ReadUInt32LittleEndian(source[VersionMajorOffset..]),
                BinaryPrimitives.ReadUInt32LittleEndian(source[VersionMinorOffset..]),
                BinaryPrimitives.ReadUInt32LittleEndian(source[VersionUpdateMajorOffset..]),
                BinaryPrimitives.ReadUInt32LittleEndian(source[VersionUpdateMinorOffset..])),
            Signature = EseSignature.Read(source[SignatureOffset..]),
            Dbms = DbmsParameters.Read(source[DbmsOffset..]),
            Flags = (LogFileFlags)source[FlagsOffset],
            Checkpoint = LogPosition.Read(source[CheckpointOffset..]),
            SectorSizeMismatch = source[SectorSizeMismatchOffset],
            PreviousLogAccumulatedChecksum = BinaryPrimitives.ReadUInt64LittleEndian(source[PreviousChecksumOffset..]),
            EngineFormatVersion = BinaryPrimitives.ReadUInt32LittleEndian(source[EngineFormatVersionOffset..]),
            FileType = BinaryPrimitives.ReadUInt32LittleEndian(source[FileTypeOffset..]),
            AttachedDatabases = AttachInfo.ReadList(source.Slice(AttachInfoOffset, AttachInfo.ListAreaSize)),
        };
    }

    /// <summary>Writes the whole 4096-byte header (clears it first, stamps the XOR checksum).</summary>
    public void Write(Span<byte> destination)
    {
        var h = destination[..Size];
        h.Clear();
        BinaryPrimitives.WriteInt32LittleEndian(h[GenerationOffset..], Generation);
        BinaryPrimitives.WriteUInt16LittleEndian(h[SectorSizeOffset..], SectorSize);
        BinaryPrimitives.WriteUInt16LittleEndian(h[HeaderSectorsOffset..], HeaderSectors);
        BinaryPrimitives.WriteUInt16LittleEndian(h[FileSectorsOffset..], FileSectors);
        BinaryPrimitives.WriteUInt16LittleEndian(h[PageSizeOffset..], DatabasePageSizeField);
        Created.Write(h[CreatedOffset..]);
        PreviousGenerationCreated.Write(h[PreviousCreatedOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[VersionMajorOffset..], Version.Major);
        BinaryPrimitives.WriteUInt32LittleEndian(h[VersionMinorOffset..], Version.Minor);
        BinaryPrimitives.WriteUInt32LittleEndian(h[VersionUpdateMajorOffset..], Version.UpdateMajor);
        Signature.Write(h[SignatureOffset..]);
        Dbms.Write(h[DbmsOffset..]);
        h[FlagsOffset] = (byte)Flags;
        Checkpoint.Write(h[CheckpointOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[VersionUpdateMinorOffset..], Version.UpdateMinor);
        h[SectorSizeMismatchOffset] = SectorSizeMismatch;
        BinaryPrimitives.WriteUInt64LittleEndian(h[PreviousChecksumOffset..], PreviousLogAccumulatedChecksum);
        BinaryPrimitives.WriteUInt32LittleEndian(h[EngineFormatVersionOffset..], EngineFormatVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(h[FileTypeOffset..], FileType);
        AttachInfo.WriteList(AttachedDatabases.Entries, h.Slice(AttachInfoOffset, AttachInfo.ListAreaSize));
        XorChecksum.Stamp(h);
    }
}
