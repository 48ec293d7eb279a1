using System.Buffers;
using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// Native memory aligned to the OS page, exposed as <see cref="Memory{T}"/> for the copier and as a pointer for
/// native readers. One type serves both because both need the same thing: esent's JetReadFileInstance requires
/// page-aligned buffers sized in whole database pages (reference/ese-backup-api.md §0.3–0.4), and the copier's
/// reads land in buffers a source may hand straight to such a native reader.
/// </summary>
internal sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    /// <summary>The OS page size on every platform we run on; the default address alignment.</summary>
    public const int PageSize = 4096;

    private byte* _pointer;

    /// <summary>Allocates at least <paramref name="minimumBytes"/>, rounded up to a multiple of <paramref name="unit"/>.</summary>
    /// <param name="minimumBytes">Bytes wanted.</param>
    /// <param name="unit">The size must be a multiple of this (the database page size for native reads); a power of two.</param>
    /// <param name="alignment">Address alignment; a power of two.</param>
    public AlignedBuffer(int minimumBytes, int unit = 1, int alignment = PageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(unit);
        if (!int.IsPow2(unit) || !int.IsPow2(alignment))
        {
            throw new ArgumentException("unit and alignment must be powers of two");
        }

        Length = checked((minimumBytes + unit - 1) / unit * unit);
        Unit = unit;
        Alignment = alignment;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)Length, (nuint)alignment);
    }

    /// <summary>Size in bytes (a multiple of <see cref="Unit"/>).</summary>
    public int Length { get; }

    /// <summary>The size granularity.</summary>
    public int Unit { get; }

    /// <summary>The address alignment.</summary>
    public int Alignment { get; }

    /// <summary>The start of the buffer.</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer is null, this);
            return _pointer;
        }
    }

    /// <summary>The buffer as a span.</summary>
    public Span<byte> Span => new(Pointer, Length);

    /// <summary>True when <paramref name="address"/> is aligned to <paramref name="alignment"/>.</summary>
    public static bool IsAligned(void* address, int alignment = PageSize) => ((nuint)address & (nuint)(alignment - 1)) == 0;

    /// <inheritdoc />
    public override Span<byte> GetSpan() => Span;

    /// <inheritdoc />
    public override MemoryHandle Pin(int elementIndex = 0) => new(Pointer + elementIndex);

    /// <inheritdoc />
    public override void Unpin()
    {
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (_pointer is not null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
