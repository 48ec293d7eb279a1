using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>
/// A <c>JET_INSTANCE</c>. An owned handle (from JetCreateInstance2W) terminates the instance when
/// released: a complete terminate first, an abrupt one if that is refused (for example while a backup
/// still runs). A borrowed handle (an instance found by JetGetInstanceInfoW, owned by someone else in
/// this process) is never terminated.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class SafeJetInstanceHandle : SafeHandle
{
    /// <summary>Used by the marshaller; use <see cref="Owned"/> or <see cref="Borrowed"/>.</summary>
    public SafeJetInstanceHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    private SafeJetInstanceHandle(nuint value, bool owns)
        : base(IntPtr.Zero, owns)
    {
        SetHandle((nint)value);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero || (nuint)handle == JetConstants.InstanceNil;

    /// <summary>The raw <c>JET_INSTANCE</c> value.</summary>
    public nuint Value => (nuint)handle;

    /// <summary>A handle that terminates the instance when released.</summary>
    public static SafeJetInstanceHandle Owned(nuint value) => new(value, owns: true);

    /// <summary>A handle to an instance someone else owns: never terminated by us.</summary>
    public static SafeJetInstanceHandle Borrowed(nuint value) => new(value, owns: false);

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        var err = EsentNative.JetTerm2((nuint)handle, (uint)JetTermGrbit.Complete);
        if (err < 0)
        {
            err = EsentNative.JetTerm2((nuint)handle, (uint)JetTermGrbit.Abrupt);
        }

        return err >= 0;
    }
}

/// <summary>
/// A backup file handle (<c>JET_HANDLE</c> from JetOpenFileInstanceW), closed with
/// JetCloseFileInstance on release. ESE hands out the index of its single slot, so 0 is a valid
/// handle; all bits set is the invalid value.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed class SafeJetBackupFileHandle : SafeHandle
{
    private readonly nuint _instance;

    /// <summary>Wraps an open backup file of <paramref name="instance"/>.</summary>
    public SafeJetBackupFileHandle(nuint instance, nuint value)
        : base(new IntPtr(-1), ownsHandle: true)
    {
        _instance = instance;
        SetHandle((nint)value);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == new IntPtr(-1);

    /// <summary>The raw <c>JET_HANDLE</c>.</summary>
    public nuint Value => (nuint)handle;

    /// <summary>The instance the file belongs to.</summary>
    public nuint Instance => _instance;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => EsentNative.JetCloseFileInstance(_instance, (nuint)handle) >= 0;
}

/// <summary>Keeps a <see cref="SafeHandle"/> alive (AddRef) for the duration of one native call.</summary>
internal readonly ref struct HandleLease
{
    private readonly SafeHandle? _handle;
    private readonly bool _added;

    /// <summary>Takes a reference on <paramref name="handle"/> (none for <see langword="null"/>).</summary>
    public HandleLease(SafeHandle? handle)
    {
        _handle = handle;
        _added = false;
        if (handle is not null)
        {
            handle.DangerousAddRef(ref _added);
        }
    }

    /// <summary>The raw value (0 for no handle).</summary>
    public nuint Value => _handle is null ? 0 : (nuint)_handle.DangerousGetHandle();

    /// <summary>Releases the reference.</summary>
    public void Dispose()
    {
        if (_added)
        {
            _handle!.DangerousRelease();
        }
    }
}
