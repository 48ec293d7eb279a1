using BenchmarkDotNet.Attributes;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Benchmarks;

/// <summary>
/// Verifying database pages in memory, per page size and checksum kind: what the backup engine pays per page on
/// top of reading it. 4 MiB of pages per invocation (beyond L2), reported per page.
/// </summary>
public class PageVerificationBenchmarks
{
    private const int BufferBytes = 4 << 20;

    private byte[] _pages = [];
    private int _count;

    /// <summary>Page size and checksum kind (16 and 32 KiB pages only exist with XE).</summary>
    [ParamsSource(nameof(Cases))]
    public PageCase Case { get; set; } = new(8192, Xe: true);

    /// <summary>Every page size with every checksum kind it can carry.</summary>
    public static IEnumerable<PageCase> Cases =>
    [
        new(4096, Xe: false),
        new(4096, Xe: true),
        new(8192, Xe: false),
        new(8192, Xe: true),
        new(16384, Xe: true),
        new(32768, Xe: true),
    ];

    private int PageSize => Case.PageSize;

    /// <summary>Builds pages with pseudo-random content and valid checksums.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _count = BufferBytes / PageSize;
        _pages = new byte[_count * PageSize];
        var random = new Random(42);
        var kind = Case.Kind;
        for (var i = 0; i < _count; i++)
        {
            var page = _pages.AsSpan(i * PageSize, PageSize);
            random.NextBytes(page[80..]);
            var flags = PageFlags.Leaf | (kind == PageChecksumKind.Xe ? PageFlags.NewChecksumFormat : PageFlags.None);
            PageHeader.WriteFields(page, 1000, 0, 0, 5, 100, 200, 10, flags, (uint)(i + 1));
            PageChecksum.Stamp(page, (uint)(i + 1), kind);
        }
    }

    /// <summary>Verifies every page of the buffer (one operation = one page).</summary>
    [Benchmark(OperationsPerInvoke = BufferBytes / 4096)]
    public int VerifyPages()
    {
        // OperationsPerInvoke is fixed at compile time; scale the work so every page size runs as many pages as 4 KiB.
        var good = 0;
        var rounds = PageSize / 4096;
        for (var r = 0; r < rounds; r++)
        {
            for (var i = 0; i < _count; i++)
            {
                if (PageChecksum.Verify(_pages.AsSpan(i * PageSize, PageSize), (uint)(i + 1)).Status == PageCheckStatus.Valid)
                {
                    good++;
                }
            }
        }

        return good;
    }
}

/// <summary>One page-verification case; its bytes per operation feed the GB/s column.</summary>
/// <param name="PageSize">Page size.</param>
/// <param name="Xe">True for the XE checksum, false for the legacy XOR checksum.</param>
public sealed record PageCase(int PageSize, bool Xe) : IBytesPerOperation
{
    internal PageChecksumKind Kind => Xe ? PageChecksumKind.Xe : PageChecksumKind.LegacyXor;

    /// <inheritdoc />
    public double BytesPerOperation => PageSize;

    /// <summary>E.g. <c>8 KiB XE</c>.</summary>
    public override string ToString() => $"{PageSize / 1024} KiB {(Xe ? "XE" : "XOR")}";
}
