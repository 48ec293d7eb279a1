using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>
/// Native memory aligned to the OS page size and sized in whole units (database pages), as
/// JetReadFileInstance requires (reference/ese-backup-api.md §0.3–0.4).
/// </summary>
internal sealed unsafe class AlignedBuffer : IDisposable
{
    private byte* _pointer;

    /// <summary>Allocates at least <paramref name="minimumBytes"/>, rounded up to a multiple of <paramref name="unit"/>.</summary>
    /// <param name="minimumBytes">Bytes wanted.</param>
    /// <param name="unit">The size must be a multiple of this (the database page size); a power of two.</param>
    /// <param name="alignment">Address alignment (the OS page size).</param>
    public AlignedBuffer(int minimumBytes, int unit, int alignment = JetConstants.OsPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minimumBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(unit);
        if (!int.IsPow2(unit) || !int.IsPow2(alignment))
        {
            throw new ArgumentException("unit and alignment must be powers of two");
        }

        var length = checked((minimumBytes + unit - 1) / unit * unit);
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, (nuint)alignment);
        Length = length;
        Unit = unit;
        Alignment = alignment;
    }

    /// <summary>Frees the memory if <see cref="Dispose"/> was not called.</summary>
    ~AlignedBuffer() => Free();

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
    public static bool IsAligned(void* address, int alignment = JetConstants.OsPageSize) => ((nuint)address & (nuint)(alignment - 1)) == 0;

    /// <inheritdoc />
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    private void Free()
    {
        if (_pointer is not null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
