using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Tests.Sources.Vss;

/// <summary>A test that drives the real interop against the vssapi.dll ABI fake (built only off Windows).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class FakeVssFactAttribute : FactAttribute
{
    public FakeVssFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "Runs against the vssapi.dll ABI fake, which is only built off Windows.";
        }
    }
}

/// <summary>The fake keeps process-wide state: its tests never run in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FakeVssCollection
{
    public const string Name = "vssapi ABI fake";
}

/// <summary>How an injected fault shows (the fake's FAULT_* values).</summary>
internal enum FakeFault
{
    /// <summary>The method returns the HRESULT.</summary>
    Sync = 0,

    /// <summary>The method's IVssAsync completes with the HRESULT.</summary>
    Async = 1,

    /// <summary>The method's IVssAsync never completes.</summary>
    Never = 2,

    /// <summary>The method's IVssAsync stays pending for N waits (N in the HRESULT argument), then succeeds.</summary>
    Pending = 3,
}

/// <summary>
/// The plugin-facing side of the vssapi.dll ABI fake: the process's native VSS API enabled against the fakes, and the
/// fault and state helpers typed with the plugin's enums. The raw test-only exports are <see cref="FakeVssLibrary"/>.
/// </summary>
internal static class VssFake
{
    private static readonly Lazy<bool> Enabled = new(() =>
    {
        VssNative.UseLibrariesFrom(FakeVssLibrary.Directory);
        return VssNative.IsUsable;
    });

    /// <summary>Enables the native VSS path against the fakes and returns the process's native API.</summary>
    public static IVssApi Api => Enabled.Value && VssNative.IsUsable ? NativeVssApi.Shared : throw new InvalidOperationException("The native VSS path is not enabled.");

    /// <summary>The export the interop bound CreateVssBackupComponents to.</summary>
    public static string CreateExportBound => Enabled.Value && VssNative.IsUsable ? NativeVssApi.Shared.CreateBackupComponentsExport : "";

    public static void SetFault(string method, int first, int count, FakeFault kind, int hr) => FakeVssLibrary.SetFault(method, first, count, (int)kind, hr);

    public static void SetWriterFailure(int writer, string phase, VssWriterState state, int hr) => FakeVssLibrary.SetWriterFailure(writer, phase, (int)state, hr);

    public static void AddOrphanSnapshotSet(Guid setId, int volume, VssSnapshotContext context) => FakeVssLibrary.AddOrphanSnapshotSet(setId, volume, (int)context);
}
