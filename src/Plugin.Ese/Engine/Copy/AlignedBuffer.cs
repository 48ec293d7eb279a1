using System.Buffers;
using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Engine.Copy;

/// <summary>
/// Native memory aligned to 4 KiB, exposed as <see cref="Memory{T}"/>. Native readers (esent's
/// JetReadFileInstance) require page-aligned buffers; unbuffered file I/O prefers them.
/// </summary>
internal sealed unsafe class AlignedBuffer : MemoryManager<byte>
{
    public const int Alignment = 4096;

    private byte* _pointer;

    public AlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, Alignment);
    }

    public int Length { get; }

    public override Span<byte> GetSpan() => new(_pointer, Length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_pointer != null)
        {
            NativeMemory.AlignedFree(_pointer);
            _pointer = null;
        }
    }
}
