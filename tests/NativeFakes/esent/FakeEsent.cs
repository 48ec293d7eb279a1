using System.Runtime.InteropServices;

namespace EseBackupPlugin.Tests.NativeFakes;

/// <summary>
/// The test-only exports of the esent.dll ABI fake (tests/NativeFakes/esent/esent_fake.c): reset,
/// error injection and inspection. Bound by the runtime's probing to the esent.dll next to the test
/// assembly: the same file the plugin's interop is pointed at, so both sides see one fake. Shared by the
/// test projects (tests/NativeFakes/esent/build.targets compiles this file into each).
/// </summary>
internal static partial class FakeEsent
{
    private const string Dll = "esent.dll";

    [LibraryImport(Dll, EntryPoint = "FakeEsent_Reset")]
    public static partial void Reset();

    /// <summary>The (<paramref name="afterNCalls"/>+1)-th call of <paramref name="point"/> returns <paramref name="err"/> once.
    /// Points: export names, plus "db-read" and "log-read" (a failed read inside either backup path).</summary>
    [LibraryImport(Dll, EntryPoint = "FakeEsent_InjectError", StringMarshalling = StringMarshalling.Utf16)]
    public static partial void InjectError(string point, int err, int afterNCalls);

    [LibraryImport(Dll, EntryPoint = "FakeEsent_CallCount", StringMarshalling = StringMarshalling.Utf16)]
    public static partial int CallCount(string name);

    [LibraryImport(Dll, EntryPoint = "FakeEsent_GetCallLog")]
    private static partial int GetCallLog(byte[]? buffer, int cb);

    [LibraryImport(Dll, EntryPoint = "FakeEsent_LastEndGrbit")]
    public static partial int LastEndGrbit();

    [LibraryImport(Dll, EntryPoint = "FakeEsent_EndAbortCount")]
    public static partial int EndAbortCount();

    [LibraryImport(Dll, EntryPoint = "FakeEsent_CallbackCount")]
    public static partial int CallbackCount();

    [LibraryImport(Dll, EntryPoint = "FakeEsent_LastCallbackResult")]
    public static partial int LastCallbackResult();

    [LibraryImport(Dll, EntryPoint = "FakeEsent_TruncatedFileCount")]
    public static partial int TruncatedFileCount();

    [LibraryImport(Dll, EntryPoint = "FakeEsent_BackupActive")]
    public static partial int BackupActive(nuint instance);

    [LibraryImport(Dll, EntryPoint = "FakeEsent_OpenFileCount")]
    public static partial int OpenFileCount();

    /// <summary>The export calls so far, in order.</summary>
    public static IReadOnlyList<string> CallLog()
    {
        var size = GetCallLog(null, 0);
        var buffer = new byte[size];
        GetCallLog(buffer, size);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, Math.Max(0, size - 1)).Split(';', StringSplitOptions.RemoveEmptyEntries);
    }
}
