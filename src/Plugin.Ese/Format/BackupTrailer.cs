using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// The extra last page of a database image written by a streaming backup (ESE's old "patch file header",
/// <c>PATCHHDR</c>): which logs the backup needs, with the database and log signatures. It carries the legacy XOR
/// checksum over the whole page and no page number.
/// </summary>
/// <param name="Checksum">Stored XOR checksum.</param>
/// <param name="Backup">Backup mark, time, <c>genLow</c> and <c>genHigh</c> (the last generation the backup needs).</param>
/// <param name="DatabaseSignature"><c>signDb</c>.</param>
/// <param name="LogSignature"><c>signLog</c>.</param>
/// <param name="GenMinRequired">genMinRequired at the end of the backup.</param>
/// <param name="GenMaxRequired">genMaxRequired at the end of the backup.</param>
/// <param name="GenMaxCommitted">genMaxCommitted at the end of the backup.</param>
/// <param name="GenMaxRequiredTime">LOGTIME of genMaxRequired.</param>
/// <param name="GenMaxCommittedTime">LOGTIME of genMaxCommitted.</param>
internal sealed record BackupTrailer(
    uint Checksum,
    BackupInfo Backup,
    EseSignature DatabaseSignature,
    EseSignature LogSignature,
    int GenMinRequired,
    int GenMaxRequired,
    int GenMaxCommitted,
    LogTime GenMaxRequiredTime,
    LogTime GenMaxCommittedTime)
{
    private const int BackupOffset = 40;
    private const int DatabaseSignatureOffset = 64;
    private const int LogSignatureOffset = 92;
    private const int GenMinRequiredOffset = 120;
    private const int GenMaxRequiredOffset = 124;
    private const int GenMaxCommittedOffset = 128;
    private const int GenMaxRequiredTimeOffset = 132;
    private const int GenMaxCommittedTimeOffset = 140;

    /// <summary>
    /// ESE's file checker treats the last page as a trailer when dwords 1, 2, 3 and 6 are zero: an ordinary page
    /// has its ECC or page number in dword 1, its DBTIME in dwords 2-3 and its owning object in dword 6.
    /// </summary>
    private static bool LooksLikeTrailer(ReadOnlySpan<byte> page) =>
        page.Length >= 2048
        && BinaryPrimitives.ReadUInt32LittleEndian(page[4..]) == 0
        && BinaryPrimitives.ReadUInt32LittleEndian(page[8..]) == 0
        && BinaryPrimitives.ReadUInt32LittleEndian(page[12..]) == 0
        && BinaryPrimitives.ReadUInt32LittleEndian(page[24..]) == 0
        && page.ContainsAnyExcept((byte)0);

    /// <summary>
    /// Reads the last page of a database image as a trailer when it is one, as ESE's file checker decides: it
    /// <see cref="LooksLikeTrailer">looks like one</see>, passes the XOR checksum over the whole page and does not
    /// pass as an ordinary page numbered <paramref name="pgno"/>.
    /// </summary>
    /// <param name="page">The last page.</param>
    /// <param name="pgno">The page number the last page would have as an ordinary page.</param>
    /// <param name="trailer">The trailer, when the page is one.</param>
    public static bool TryRead(ReadOnlySpan<byte> page, uint pgno, [NotNullWhen(true)] out BackupTrailer? trailer)
    {
        trailer = LooksLikeTrailer(page) && XorChecksum.IsValid(page) && !PageChecksum.Verify(page, pgno).IsGood
            ? Read(page)
            : null;
        return trailer is not null;
    }

    /// <summary>Reads the trailer fields.</summary>
    public static BackupTrailer Read(ReadOnlySpan<byte> page) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(page),
        BackupInfo.Read(page[BackupOffset..]),
        EseSignature.Read(page[DatabaseSignatureOffset..]),
        EseSignature.Read(page[LogSignatureOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(page[GenMinRequiredOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(page[GenMaxRequiredOffset..]),
        BinaryPrimitives.ReadInt32LittleEndian(page[GenMaxCommittedOffset..]),
        LogTime.Read(page[GenMaxRequiredTimeOffset..]),
        LogTime.Read(page[GenMaxCommittedTimeOffset..]));

    /// <summary>Writes a trailer page (clears it first, stamps the XOR checksum).</summary>
    public void WritePage(Span<byte> page)
    {
        page.Clear();
        Backup.Write(page[BackupOffset..]);
        DatabaseSignature.Write(page[DatabaseSignatureOffset..]);
        LogSignature.Write(page[LogSignatureOffset..]);
        BinaryPrimitives.WriteInt32LittleEndian(page[GenMinRequiredOffset..], GenMinRequired);
        BinaryPrimitives.WriteInt32LittleEndian(page[GenMaxRequiredOffset..], GenMaxRequired);
        BinaryPrimitives.WriteInt32LittleEndian(page[GenMaxCommittedOffset..], GenMaxCommitted);
        GenMaxRequiredTime.Write(page[GenMaxRequiredTimeOffset..]);
        GenMaxCommittedTime.Write(page[GenMaxCommittedTimeOffset..]);
        XorChecksum.Stamp(page);
    }
}
