using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>IVssAsync through its vtable (reference §10.1). The pointer is released on dispose.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class NativeVssAsync(ComObjectHandle handle) : IVssAsyncApi
{
    public int Cancel()
    {
        using var o = handle.Borrow();
        return o.Vtbl<IVssAsyncVtbl>()->Cancel(o.Pointer);
    }

    public int Wait(uint milliseconds)
    {
        using var o = handle.Borrow();
        return o.Vtbl<IVssAsyncVtbl>()->Wait(o.Pointer, milliseconds);
    }

    public int QueryStatus(out int operationResult)
    {
        using var o = handle.Borrow();
        var result = 0;
        // The second argument is reserved and must be NULL.
        var hr = o.Vtbl<IVssAsyncVtbl>()->QueryStatus(o.Pointer, &result, null);
        operationResult = result;
        return hr;
    }

    public void Dispose() => handle.Dispose();
}
