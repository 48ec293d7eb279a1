using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// The flat exports the requester calls, resolved once per process from vssapi.dll, ole32.dll, oleaut32.dll
/// and kernel32.dll (System32 on Windows; the ABI fakes' directory elsewhere, see <see cref="VssNative"/>).
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class VssNativeLibrary
{
    private static readonly Lazy<VssNativeLibrary> SharedLazy = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private VssNativeLibrary()
    {
    }

    /// <summary>The process's instance; loading failures surface as <see cref="DllNotFoundException"/> or <see cref="EntryPointNotFoundException"/>.</summary>
    public static VssNativeLibrary Shared => SharedLazy.Value;

    /// <summary>Which export CreateVssBackupComponents was bound to.</summary>
    public string CreateBackupComponentsExport { get; private set; } = "";

    /// <summary>Which export VssFreeSnapshotProperties was bound to.</summary>
    public string FreeSnapshotPropertiesExport { get; private set; } = "";

    /// <summary>HRESULT CreateVssBackupComponents(IVssBackupComponents**).</summary>
    public delegate* unmanaged[Stdcall]<nint*, int> CreateVssBackupComponents { get; private set; }

    /// <summary>void VssFreeSnapshotProperties(VSS_SNAPSHOT_PROP*).</summary>
    public delegate* unmanaged[Stdcall]<VssSnapshotPropNative*, void> VssFreeSnapshotProperties { get; private set; }

    /// <summary>HRESULT CoInitializeEx(LPVOID, DWORD).</summary>
    public delegate* unmanaged[Stdcall]<nint, uint, int> CoInitializeEx { get; private set; }

    /// <summary>HRESULT CoInitializeSecurity(PSECURITY_DESCRIPTOR, LONG, SOLE_AUTHENTICATION_SERVICE*, void*, DWORD, DWORD, void*, DWORD, void*).</summary>
    public delegate* unmanaged[Stdcall]<nint, int, nint, nint, uint, uint, nint, uint, nint, int> CoInitializeSecurity { get; private set; }

    /// <summary>void SysFreeString(BSTR).</summary>
    public delegate* unmanaged[Stdcall]<nint, void> SysFreeString { get; private set; }

    /// <summary>UINT SysStringLen(BSTR).</summary>
    public delegate* unmanaged[Stdcall]<nint, uint> SysStringLen { get; private set; }

    /// <summary>BOOL GetVolumePathNameW(LPCWSTR, LPWSTR, DWORD).</summary>
    public delegate* unmanaged[Stdcall]<char*, char*, uint, int> GetVolumePathNameW { get; private set; }

    /// <summary>BOOL GetVolumeNameForVolumeMountPointW(LPCWSTR, LPWSTR, DWORD).</summary>
    public delegate* unmanaged[Stdcall]<char*, char*, uint, int> GetVolumeNameForVolumeMountPointW { get; private set; }

    /// <summary>Reads a BSTR the callee allocated and frees it with SysFreeString.</summary>
    public string? TakeBstr(nint bstr)
    {
        if (bstr == 0)
        {
            return null;
        }

        try
        {
            var length = (int)SysStringLen(bstr);
            return new string((char*)bstr, 0, length);
        }
        finally
        {
            SysFreeString(bstr);
        }
    }

    private static VssNativeLibrary Load()
    {
        var vssapi = Open("vssapi.dll");
        var ole32 = Open("ole32.dll");
        var oleaut32 = Open("oleaut32.dll");
        var kernel32 = Open("kernel32.dll");

        var create = VssNative.ResolveFirst(VssNative.CreateBackupComponentsExports(RuntimeInformation.ProcessArchitecture), n => TryExport(vssapi, n))
            ?? throw new EntryPointNotFoundException("vssapi.dll exports neither CreateVssBackupComponentsInternal nor the decorated CreateVssBackupComponents.");
        var free = VssNative.ResolveFirst(VssNative.FreeSnapshotPropertiesExports, n => TryExport(vssapi, n))
            ?? throw new EntryPointNotFoundException("vssapi.dll does not export VssFreeSnapshotProperties.");

        return new VssNativeLibrary
        {
            CreateBackupComponentsExport = create.Name,
            FreeSnapshotPropertiesExport = free.Name,
            CreateVssBackupComponents = (delegate* unmanaged[Stdcall]<nint*, int>)create.Address,
            VssFreeSnapshotProperties = (delegate* unmanaged[Stdcall]<VssSnapshotPropNative*, void>)free.Address,
            CoInitializeEx = (delegate* unmanaged[Stdcall]<nint, uint, int>)NativeLibrary.GetExport(ole32, "CoInitializeEx"),
            CoInitializeSecurity = (delegate* unmanaged[Stdcall]<nint, int, nint, nint, uint, uint, nint, uint, nint, int>)NativeLibrary.GetExport(ole32, "CoInitializeSecurity"),
            SysFreeString = (delegate* unmanaged[Stdcall]<nint, void>)NativeLibrary.GetExport(oleaut32, "SysFreeString"),
            SysStringLen = (delegate* unmanaged[Stdcall]<nint, uint>)NativeLibrary.GetExport(oleaut32, "SysStringLen"),
            GetVolumePathNameW = (delegate* unmanaged[Stdcall]<char*, char*, uint, int>)NativeLibrary.GetExport(kernel32, "GetVolumePathNameW"),
            GetVolumeNameForVolumeMountPointW = (delegate* unmanaged[Stdcall]<char*, char*, uint, int>)NativeLibrary.GetExport(kernel32, "GetVolumeNameForVolumeMountPointW"),
        };
    }

    private static nint Open(string name)
    {
        var directory = VssNative.NonWindowsLibraryDirectory;
        if (!OperatingSystem.IsWindows() && directory is not null)
        {
            return NativeLibrary.Load(Path.Combine(directory, name));
        }

        // Only ever the system's own copy: never a DLL planted beside the plugin.
        return NativeLibrary.Load(name, typeof(VssNativeLibrary).Assembly, DllImportSearchPath.System32);
    }

    private static nint TryExport(nint library, string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address : 0;
}
