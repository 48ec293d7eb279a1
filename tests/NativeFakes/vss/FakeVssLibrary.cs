using System.Runtime.InteropServices;
using System.Text;

namespace EseBackupPlugin.Tests.NativeFakes;

/// <summary>
/// The test-only exports of the vssapi.dll ABI fake and its companions (ole32.dll, oleaut32.dll), which the test build
/// compiled into the test output directory. The plugin loads the same files (EsePlugin:Vss:NativeLibraryDirectory, or
/// VssNative.UseLibrariesFrom), so both sides see one fake: writers and volumes set up here are the ones it finds.
/// Shared by the test projects (tests/NativeFakes/vss/build.targets compiles this file into each).
/// </summary>
internal static class FakeVssLibrary
{
    private static readonly Lazy<Exports> Lib = new(Load);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void ResetFn();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int AddWriterFileFn([MarshalAs(UnmanagedType.LPUTF8Str)] string path);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int AddVolumeFn([MarshalAs(UnmanagedType.LPUTF8Str)] string root, [MarshalAs(UnmanagedType.LPUTF8Str)] string shadowParent);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetFaultFn([MarshalAs(UnmanagedType.LPUTF8Str)] string method, int first, int count, int kind, int hr);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetWriterFailureFn(int writer, [MarshalAs(UnmanagedType.LPUTF8Str)] string phase, int state, int hr);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int AddOrphanSnapshotSetFn(byte[] setId, int volume, int context);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int SnapshotSetExistsFn(byte[] setId);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int GetLogFn(byte[]? buffer, int capacity);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int CounterFn();

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate nint SlotNameFn(int interfaceIndex, int slot);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SecurityArgumentsFn(out int services, out uint authn, out uint imp, out uint capabilities, out uint coinitFlags);

    /// <summary>The directory the fakes were built into (the test output directory).</summary>
    public static string Directory => AppContext.BaseDirectory;

    public static void Reset() => Lib.Value.Reset();

    public static int AddWriterFile(string path)
    {
        var index = Lib.Value.AddWriterFile(path);
        Assert.True(index >= 0, "the fake could not load writer document " + path);
        return index;
    }

    public static int AddVolume(string root, string shadowParent) => Lib.Value.AddVolume(root, shadowParent);

    /// <summary>Injects a fault (<paramref name="kind"/>: the fake's FAULT_* value: 0 sync, 1 async, 2 never, 3 pending).</summary>
    public static void SetFault(string method, int first, int count, int kind, int hr) => Lib.Value.SetFault(method, first, count, kind, hr);

    /// <summary>Makes a writer fail at a phase with a VSS_WRITER_STATE value and an HRESULT.</summary>
    public static void SetWriterFailure(int writer, string phase, int state, int hr) => Lib.Value.SetWriterFailure(writer, phase, state, hr);

    /// <summary>Leaves a snapshot set on a volume "from another process" (<paramref name="context"/>: a VSS_SNAPSHOT_CONTEXT value).</summary>
    public static void AddOrphanSnapshotSet(Guid setId, int volume, int context) =>
        Assert.True(Lib.Value.AddOrphanSnapshotSet(setId.ToByteArray(), volume, context) >= 0);

    public static bool SnapshotSetExists(Guid setId) => Lib.Value.SnapshotSetExists(setId.ToByteArray()) != 0;

    /// <summary>Every call the fake saw, one per line.</summary>
    public static string Log
    {
        get
        {
            var length = Lib.Value.GetLog(null, 0);
            var buffer = new byte[length + 1];
            Lib.Value.GetLog(buffer, buffer.Length);
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
    }

    public static string[] LogLines => Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>How many logged calls start with <paramref name="callPrefix"/>.</summary>
    public static int Count(string callPrefix) => LogLines.Count(l => l.StartsWith(callPrefix, StringComparison.Ordinal));

    public static int LiveObjects => Lib.Value.LiveObjects();

    public static int LiveSnapshotSets => Lib.Value.LiveSnapshotSets();

    public static bool SetInProgress => Lib.Value.SetInProgress() != 0;

    public static int LivePropertyStrings => Lib.Value.LivePropertyStrings();

    public static int LiveBstrs => Lib.Value.LiveBstrs();

    public static int SecurityCalls => Lib.Value.SecurityCalls();

    public static (int AuthServices, uint AuthnLevel, uint ImpLevel, uint Capabilities, uint CoInitFlags) SecurityArguments
    {
        get
        {
            Lib.Value.SecurityArguments(out var services, out var authn, out var imp, out var caps, out var flags);
            return (services, authn, imp, caps, flags);
        }
    }

    /// <summary>The method the fake placed at a slot: interface 0 IVssBackupComponents, 1 IVssAsync, 2 IVssExamineWriterMetadata, 3 IVssEnumObject.</summary>
    public static string? SlotName(int interfaceIndex, int slot) => Marshal.PtrToStringUTF8(Lib.Value.SlotName(interfaceIndex, slot));

    private static Exports Load()
    {
        var directory = Directory;
        var vss = NativeLibrary.Load(Path.Combine(directory, "vssapi.dll"));
        var ole32 = NativeLibrary.Load(Path.Combine(directory, "ole32.dll"));
        var oleaut32 = NativeLibrary.Load(Path.Combine(directory, "oleaut32.dll"));
        return new Exports
        {
            Reset = Get<ResetFn>(vss, "FakeVss_Reset"),
            AddWriterFile = Get<AddWriterFileFn>(vss, "FakeVss_AddWriterFile"),
            AddVolume = Get<AddVolumeFn>(vss, "FakeVss_AddVolume"),
            SetFault = Get<SetFaultFn>(vss, "FakeVss_SetFault"),
            SetWriterFailure = Get<SetWriterFailureFn>(vss, "FakeVss_SetWriterFailure"),
            AddOrphanSnapshotSet = Get<AddOrphanSnapshotSetFn>(vss, "FakeVss_AddOrphanSnapshotSet"),
            SnapshotSetExists = Get<SnapshotSetExistsFn>(vss, "FakeVss_SnapshotSetExists"),
            GetLog = Get<GetLogFn>(vss, "FakeVss_GetLog"),
            LiveObjects = Get<CounterFn>(vss, "FakeVss_LiveObjects"),
            LiveSnapshotSets = Get<CounterFn>(vss, "FakeVss_LiveSnapshotSets"),
            SetInProgress = Get<CounterFn>(vss, "FakeVss_SetInProgress"),
            LivePropertyStrings = Get<CounterFn>(vss, "FakeVss_LivePropertyStrings"),
            SlotName = Get<SlotNameFn>(vss, "FakeVss_SlotName"),
            LiveBstrs = Get<CounterFn>(oleaut32, "FakeOleAut_LiveBstrs"),
            SecurityCalls = Get<CounterFn>(ole32, "FakeOle32_SecurityCalls"),
            SecurityArguments = Get<SecurityArgumentsFn>(ole32, "FakeOle32_SecurityArguments"),
        };
    }

    private static T Get<T>(nint library, string name)
        where T : Delegate => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(library, name));

    private sealed class Exports
    {
        public required ResetFn Reset { get; init; }

        public required AddWriterFileFn AddWriterFile { get; init; }

        public required AddVolumeFn AddVolume { get; init; }

        public required SetFaultFn SetFault { get; init; }

        public required SetWriterFailureFn SetWriterFailure { get; init; }

        public required AddOrphanSnapshotSetFn AddOrphanSnapshotSet { get; init; }

        public required SnapshotSetExistsFn SnapshotSetExists { get; init; }

        public required GetLogFn GetLog { get; init; }

        public required CounterFn LiveObjects { get; init; }

        public required CounterFn LiveSnapshotSets { get; init; }

        public required CounterFn SetInProgress { get; init; }

        public required CounterFn LivePropertyStrings { get; init; }

        public required SlotNameFn SlotName { get; init; }

        public required CounterFn LiveBstrs { get; init; }

        public required CounterFn SecurityCalls { get; init; }

        public required SecurityArgumentsFn SecurityArguments { get; init; }
    }
}
