using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// Owns one reference on a COM interface pointer and releases it through vtable slot 2 exactly once.
/// Method calls borrow the pointer with <see cref="Borrow"/> so a concurrent dispose cannot release it mid-call.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class ComObjectHandle : SafeHandle
{
    public ComObjectHandle(nint pointer)
        : base(0, ownsHandle: true)
    {
        SetHandle(pointer);
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes a reference for the duration of a call; dispose the lease when the call returns.</summary>
    public Lease Borrow()
    {
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this, added);
    }

    protected override bool ReleaseHandle()
    {
        var vtbl = *(IUnknownVtbl**)handle;
        vtbl->Release(handle);
        return true;
    }

    /// <summary>A borrowed pointer.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly ComObjectHandle _owner;
        private readonly bool _added;

        internal Lease(ComObjectHandle owner, bool added)
        {
            _owner = owner;
            _added = added;
        }

        /// <summary>The interface pointer.</summary>
        public nint Pointer => _owner.handle;

        /// <summary>The vtable, typed.</summary>
        public T* Vtbl<T>()
            where T : unmanaged => *(T**)_owner.handle;

        public void Dispose()
        {
            if (_added)
            {
                _owner.DangerousRelease();
            }
        }
    }
}
