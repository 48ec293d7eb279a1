using System.Buffers.Binary;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Engine.Verification;

/// <summary>
/// <c>ntds-temp-win2012r2/temp.edb</c>: what it is and why a backup tool copies it without checking its pages.
/// </summary>
/// <remarks>
/// The bytes say: state JustCreated (1), an all-zero <c>signLog</c> (the database was never logged), catalog shadowing
/// off (flag 0x01 at offset 208), a valid header with an identical shadow. That is ESE's temporary database, which
/// ESE recreates at every start and uses for sorts and temporary tables. Its data pages hold zero checksums and, past
/// the used ones, bytes left on disk from earlier files: ESE neither stamps nor verifies checksums on pages of the
/// temporary database (its buffer manager treats them as unstructured data), so there is nothing to verify. The
/// verifier therefore checks the header strictly, counts the pages as "not verified" and reports that as Info. A
/// JustCreated database of a logged stream (non-zero <c>signLog</c>) is not covered by this rule and is verified
/// normally.
/// </remarks>
public class TemporaryDatabaseTests
{
    private static readonly string TempEdb = TestData.Ese("ntds-temp-win2012r2", "temp.edb");

    [Fact]
    public void The_bytes_show_a_temporary_database_whose_pages_have_no_checksum()
    {
        var bytes = File.ReadAllBytes(TempEdb);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(52)));      // JustCreated
        Assert.False(bytes.AsSpan(108, 28).ContainsAnyExcept((byte)0));                   // no signLog
        Assert.Equal(1, bytes[208] & 1);                                                   // catalog shadowing off
        Assert.True(XorChecksum.IsValid(bytes.AsSpan(0, 8192)));                           // header valid
        Assert.Equal(bytes.AsSpan(0, 8192).ToArray(), bytes.AsSpan(8192, 8192).ToArray()); // shadow identical

        // Page 1 holds data but a zero checksum: a plain page check would call it corrupt.
        var page1 = bytes.AsSpan(2 * 8192, 8192);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(page1));
        Assert.True(page1[8..].ContainsAnyExcept((byte)0));
        Assert.False(PageChecksum.Verify(page1, 1).IsGood);
    }

    [Fact]
    public async Task Temporary_database_is_a_valid_copyable_file()
    {
        var result = await EseFileVerifier.VerifyAsync(TempEdb);

        Assert.Equal(EseFileKind.Database, result.Kind);
        Assert.False(result.HasCorruption);
        Assert.True(result.Database!.IsTemporaryDatabase);
        var info = Assert.Single(result.Findings);
        Assert.Equal(FindingCodes.TemporaryDatabasePagesNotVerified, info.Code);
        Assert.Equal(FindingSeverity.Info, info.Severity);

        // 256 data pages: the all-zero ones are uninitialised, the rest are carried over unverified.
        var bytes = File.ReadAllBytes(TempEdb);
        var zero = Enumerable.Range(2, 256).Count(i => !bytes.AsSpan(i * 8192, 8192).ContainsAnyExcept((byte)0));
        Assert.Equal(zero, result.UnitsUninitialized);
        Assert.Equal(256 - zero, result.UnitsNotVerified);
        Assert.Equal(0, result.UnitsChecked);
    }

    [Fact]
    public void Its_header_is_still_verified()
    {
        var bytes = File.ReadAllBytes(TempEdb);
        bytes[300] ^= 0x40;
        var result = CorruptionModelVerify(bytes);
        Assert.Contains(result.Findings, f => f.Code == FindingCodes.HeaderChecksumMismatch && f.Severity == FindingSeverity.Corruption);

        bytes[300] ^= 0x40;
        bytes[8192 + 300] ^= 0x40;
        result = CorruptionModelVerify(bytes);
        Assert.Contains(result.Findings, f => f.Code == FindingCodes.ShadowHeaderMismatch && f.Severity == FindingSeverity.Corruption);
    }

    private static EseVerificationResult CorruptionModelVerify(byte[] bytes) =>
        Tests.Format.CorruptionModel.VerifyInChunks(bytes, "temp.edb", new Random(1));
}
