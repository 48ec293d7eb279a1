using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>The process's <see cref="IVssApi"/> over the real (or ABI-fake) DLLs.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeVssApi : IVssApi
{
    private const int RpcETooLate = unchecked((int)0x80010119);
    private const int MaxPath = 32768;

    private static readonly Lazy<NativeVssApi> SharedLazy = new(() => new NativeVssApi(new VssComThread(VssNativeLibrary.Shared)));

    private readonly VssComThread _thread;

    private NativeVssApi(VssComThread thread)
    {
        _thread = thread;
    }

    /// <summary>The one instance per process (COM security can be set only once).</summary>
    public static NativeVssApi Shared => SharedLazy.Value;

    /// <summary>The export CreateVssBackupComponents was bound to.</summary>
    public string CreateBackupComponentsExport => _thread.Library.CreateBackupComponentsExport;

    /// <summary>CoInitializeSecurity's result (RPC_E_TOO_LATE: the host process had set its own security first).</summary>
    public int ComSecurityResult => _thread.SecurityResult;

    public Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken) => _thread.InvokeAsync(work, cancellationToken);

    public int CreateBackupComponents(out IVssBackupComponentsApi? components)
    {
        components = null;
        if (_thread.ComInitializeResult < 0)
        {
            return _thread.ComInitializeResult;
        }

        if (_thread.SecurityResult < 0 && _thread.SecurityResult != RpcETooLate)
        {
            return _thread.SecurityResult;
        }

        nint pointer = 0;
        var hr = _thread.Library.CreateVssBackupComponents(&pointer);
        if (hr >= 0 && pointer != 0)
        {
            components = new NativeVssBackupComponents(new ComObjectHandle(pointer), _thread.Library);
        }

        return hr;
    }

    public int GetVolumePathName(string path, out string? mountPoint)
    {
        ArgumentNullException.ThrowIfNull(path);
        mountPoint = null;
        var buffer = new char[MaxPath];
        fixed (char* p = path)
        fixed (char* b = buffer)
        {
            Marshal.SetLastSystemError(0);
            var ok = _thread.Library.GetVolumePathNameW(p, b, (uint)buffer.Length);
            var error = Marshal.GetLastSystemError();
            if (ok == 0)
            {
                return HResultFromWin32(error);
            }

            mountPoint = new string(b);
            return 0;
        }
    }

    public int GetVolumeNameForVolumeMountPoint(string mountPoint, out string? volumeName)
    {
        ArgumentNullException.ThrowIfNull(mountPoint);
        volumeName = null;
        var buffer = new char[1024];
        fixed (char* p = mountPoint)
        fixed (char* b = buffer)
        {
            Marshal.SetLastSystemError(0);
            var ok = _thread.Library.GetVolumeNameForVolumeMountPointW(p, b, (uint)buffer.Length);
            var error = Marshal.GetLastSystemError();
            if (ok == 0)
            {
                return HResultFromWin32(error);
            }

            volumeName = new string(b);
            return 0;
        }
    }

    private static int HResultFromWin32(int error) => error <= 0 ? unchecked((int)0x80004005) : unchecked((int)(0x80070000 | (uint)(error & 0xFFFF)));
}
