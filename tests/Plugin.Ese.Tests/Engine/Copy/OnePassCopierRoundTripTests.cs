using System.Security.Cryptography;
using EseBackupPlugin.Ese.Engine.Copy;
using EseBackupPlugin.Ese.Engine.FileSystem;
using EseBackupPlugin.Ese.Engine.Ports;

namespace EseBackupPlugin.Ese.Tests.Engine.Copy;

/// <summary>
/// The one-pass copy writes exactly the source's bytes and hashes them, whatever the size relative to the
/// buffers (empty, one byte, sector and buffer boundaries, odd tails), with direct and buffered staging
/// writes, and on a file system without direct I/O (tmpfs) when one is mounted.
/// </summary>
public sealed class OnePassCopierRoundTripTests : IDisposable
{
    private const int BufferSize = 64 * 1024;

    private readonly string _directory = Directory.CreateTempSubdirectory("ese-copier-").FullName;

    public static TheoryData<int, bool> Sizes()
    {
        var data = new TheoryData<int, bool>();
        foreach (var size in new[] { 0, 1, 4095, 4096, 8192, BufferSize - 1, BufferSize, BufferSize + 1, BufferSize + 4096, (3 * BufferSize) + 4097, 7 * BufferSize })
        {
            data.Add(size, true);
            data.Add(size, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Copy_writes_and_hashes_exactly_the_source(int size, bool direct)
    {
        await AssertRoundTrip(_directory, size, direct);
    }

    [Fact]
    public async Task Copy_falls_back_to_buffered_writes_where_direct_io_is_refused()
    {
        const string shm = "/dev/shm";
        if (!OperatingSystem.IsLinux() || !Directory.Exists(shm))
        {
            return;
        }

        var scratch = Path.Combine(shm, "ese-copier-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(scratch);
        try
        {
            await AssertRoundTrip(scratch, (2 * BufferSize) + 4097, direct: true);
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Unaligned_write_switches_a_direct_file_to_buffered_and_keeps_every_byte()
    {
        var path = Path.Combine(_directory, "mixed.bin");
        var bytes = RandomNumberGenerator.GetBytes((2 * 4096) + 100);
        using (var aligned = new AlignedBuffer(3 * 4096))
        {
            bytes.CopyTo(aligned.Memory.Span);
            using var stream = StagingFileStream.Create(path, bytes.Length, tryDirect: true);
            stream.Write(aligned.Memory.Span[..4096]);
            stream.Write(aligned.Memory.Span[4096..(2 * 4096)]);
            stream.Write(aligned.Memory.Span[(2 * 4096)..bytes.Length]);
            Assert.False(stream.IsDirect);
            Assert.Equal(bytes.Length, stream.Length);
            stream.FlushToDisk();
        }

        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    private static async Task AssertRoundTrip(string directory, int size, bool direct)
    {
        var source = Path.Combine(directory, $"source-{size}.bin");
        var destination = Path.Combine(directory, $"copy-{size}-{direct}.bin");
        var bytes = RandomNumberGenerator.GetBytes(size);
        await File.WriteAllBytesAsync(source, bytes);
        var fileSystem = direct ? PhysicalStagingFileSystem.Instance : PhysicalStagingFileSystem.Buffered;
        var copier = new OnePassCopier(fileSystem, BufferSize, 3);
        long reported = 0;

        CopiedFile copied;
        await using (var reader = LocalFileReader.Open(source))
        {
            copied = await copier.CopyAsync(reader, source, "data.bin", destination, n => Interlocked.Add(ref reported, n), CancellationToken.None);
        }

        Assert.Equal(size, copied.Length);
        Assert.Equal(size, reported);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), copied.Sha256);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(destination));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
