using System.Buffers.Binary;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>Checks of a streamed database image against the live database it came from (ese-on-disk.md §3.6).</summary>
internal static class EsentImage
{
    public const int Page = 4096;

    /// <summary>
    /// The image is: the live header twice (only bkinfoFullCur and the checksum changed, checksum valid),
    /// every page of the live file unchanged, then a trailer page with a valid XOR checksum, the same
    /// signatures and mark, and the generation range.
    /// </summary>
    public static void AssertStreamedImage(string imagePath, byte[] live, uint genLow, uint genHigh)
    {
        var image = File.ReadAllBytes(imagePath);
        var pages = live.Length / Page - 2;
        Assert.Equal((pages + 3) * Page, image.Length);
        var header = image.AsSpan(0, Page);
        Assert.True(header.SequenceEqual(image.AsSpan(Page, Page)), "header twice");
        Assert.True(XorChecksum.IsValid(header), "header checksum recomputed");
        Assert.Equal(genLow, BinaryPrimitives.ReadUInt32LittleEndian(header[200..]));
        for (var i = 4; i < Page; i++)
        {
            if (i is < 184 or >= 208 && live[i] != header[i])
            {
                Assert.Fail($"header byte {i} differs from the live header");
            }
        }

        Assert.True(image.AsSpan(2 * Page, pages * Page).SequenceEqual(live.AsSpan(2 * Page, pages * Page)), "pages");
        var trailerPage = image.AsSpan((pages + 2) * Page, Page);
        Assert.True(XorChecksum.IsValid(trailerPage), "trailer checksum");
        var trailer = BackupTrailer.Read(trailerPage);
        Assert.Equal(genLow, trailer.Backup.GenerationLow);
        Assert.Equal(genHigh, trailer.Backup.GenerationHigh);
        Assert.Equal(EseSignature.Read(live.AsSpan(24)), trailer.DatabaseSignature);
        Assert.Equal(EseSignature.Read(live.AsSpan(108)), trailer.LogSignature);
        Assert.Equal(LogPosition.Read(header[184..]), trailer.Backup.Mark);
    }

    /// <summary>A BKINFO of the live header (offset 136 full, 160 incremental, 420 copy, 444 differential): (genLow, genHigh).</summary>
    public static (uint Low, uint High) BkInfo(string database, int offset)
    {
        var header = Ese.Sources.EseHeaderFiles.ReadHead(database, Page, out _);
        Assert.True(XorChecksum.IsValid(header), "live header checksum");
        return (BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(offset + 16)), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(offset + 20)));
    }

    public const int FullPrev = 136;
    public const int IncPrev = 160;
    public const int CopyPrev = 420;
    public const int DiffPrev = 444;
}
