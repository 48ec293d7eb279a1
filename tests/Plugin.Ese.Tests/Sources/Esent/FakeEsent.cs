using System.Buffers;
using System.Runtime.InteropServices;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Tests.Support;

namespace EseBackupPlugin.Ese.Tests.Sources.Esent;

/// <summary>
/// Lets the fake's tests share one process-wide fake: they run one after the other, and never beside the vssapi.dll
/// fake's tests, whose plugins (the whole plugin discovers and looks targets up through every available source) would
/// otherwise call into this fake while a test here resets or counts it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FakeEsentCollection
{
    public const string Name = "esent.dll ABI fake";
}

/// <summary>A [Fact] that runs only where the ABI fake is built (off Windows, where the real esent.dll is not replaced).</summary>
public sealed class FakeEsentFactAttribute : FactAttribute
{
    public FakeEsentFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Runs against the esent.dll ABI fake, which is only built off Windows.";
        }
    }
}

/// <summary>A [Theory] that runs only where the ABI fake is built.</summary>
public sealed class FakeEsentTheoryAttribute : TheoryAttribute
{
    public FakeEsentTheoryAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Runs against the esent.dll ABI fake, which is only built off Windows.";
        }
    }
}

/// <summary>
/// Base of the tests that drive the fake: enables the native path off Windows (the guard trick of
/// <see cref="EsentNativeGate"/>), resets the fake, and copies a real ESE file set from the shared test data
/// into a scratch directory (never into the repository).
/// </summary>
public abstract class FakeEsentTestBase : IDisposable
{
    /// <summary>The file set every test starts from: Windows 10 SRUM, clean, logs 25–32, checkpoint at 32.</summary>
    public const string SetName = "srum-win10-clean-with-logs";

    protected FakeEsentTestBase()
    {
        EsentNativeGate.EnableOffWindows();
        FakeEsent.Reset();
        Temp = new TempDirectory("esent-fake-");
        SetDirectory = CopySet(SetName, Temp.Combine("live"));
        Options = new EsentSourceOptions { UseNativeLibraryOffWindows = true, ReadBufferBytes = 256 * 1024 };
    }

    internal TempDirectory Temp { get; }

    /// <summary>The scratch copy of <see cref="SetName"/>.</summary>
    protected string SetDirectory { get; }

    internal EsentSourceOptions Options { get; }

    protected string Database => Path.Combine(SetDirectory, "SRUDB.dat");

    /// <summary>Copies a shared test set into <paramref name="destination"/>, writable.</summary>
    protected static string CopySet(string name, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.EnumerateFiles(TestData.Ese(name)))
        {
            var target = Path.Combine(destination, Path.GetFileName(file));
            File.Copy(file, target);
            File.SetAttributes(target, FileAttributes.Normal);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }
        }

        return destination;
    }

    public void Dispose()
    {
        FakeEsent.Reset();
        Temp.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>Reports synchronously (unlike <see cref="Progress{T}"/>), so tests see reports in order and exceptions surface.</summary>
internal sealed class SyncProgress(Action<OperationProgress> onReport) : IProgress<OperationProgress>
{
    public List<OperationProgress> Reports { get; } = [];

    public void Report(OperationProgress value)
    {
        Reports.Add(value);
        onReport(value);
    }
}

/// <summary>Native memory as <see cref="Memory{T}"/>, aligned (or deliberately not), like the engine's buffers.</summary>
internal sealed unsafe class NativeBuffer : MemoryManager<byte>
{
    private readonly byte* _base;
    private readonly byte* _start;
    private readonly int _length;

    public NativeBuffer(int length, int misalignBy = 0)
    {
        _base = (byte*)NativeMemory.AlignedAlloc((nuint)(length + 4096), 4096);
        _start = _base + misalignBy;
        _length = length;
    }

    public override Span<byte> GetSpan() => new(_start, _length);

    public override MemoryHandle Pin(int elementIndex = 0) => new(_start + elementIndex);

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing) => NativeMemory.AlignedFree(_base);
}
