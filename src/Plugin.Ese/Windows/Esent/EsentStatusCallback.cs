using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Windows.Esent;

/// <summary>Receives ESE status notifications (<c>JET_PFNSTATUS</c>) during one native call.</summary>
internal interface IEsentStatusSink
{
    /// <summary>One notification. May throw: the trampoline contains the exception.</summary>
    /// <param name="snp">The operation (backup, restore, ...).</param>
    /// <param name="snt">The event (begin, progress, complete, fail).</param>
    /// <param name="progress">Units done/total for begin, progress and complete; otherwise <see langword="null"/>.</param>
    void OnStatus(JetSnp snp, JetSnt snt, JetSnProg? progress);
}

/// <summary>
/// The <c>JET_PFNSTATUS</c> callback: one static <see cref="UnmanagedCallersOnlyAttribute"/> function
/// handed to esent.dll as a function pointer (no delegate to keep alive).
/// </summary>
/// <remarks>
/// <para>The native prototype has no context argument, so the callback finds its sink through a
/// thread-static scope: JetBackupInstance and JetRestoreInstance call it synchronously on the thread
/// that made the call, and that thread opens the scope around the call (<see cref="Enter"/>).</para>
/// <para>No exception ever crosses into native code: one thrown by the sink is caught, kept in the scope
/// (<see cref="StatusScope.Failure"/>) and the callback returns <c>JET_errCallbackFailed</c>. The
/// engine ignores that return value on its backup paths, so the caller checks the scope after the call.</para>
/// </remarks>
internal static unsafe class EsentStatusCallback
{
    [ThreadStatic]
    private static StatusScope? _current;

    /// <summary>The callback as a <c>JET_PFNSTATUS</c> function pointer.</summary>
    public static delegate* unmanaged[Stdcall]<nuint, uint, uint, void*, int> Pointer => &Invoke;

    /// <summary>Routes notifications on this thread to <paramref name="sink"/> until the scope is disposed.</summary>
    public static StatusScope Enter(IEsentStatusSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var scope = new StatusScope(sink, _current);
        _current = scope;
        return scope;
    }

    internal static void Leave(StatusScope scope)
    {
        if (ReferenceEquals(_current, scope))
        {
            _current = scope.Previous;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static int Invoke(nuint sesid, uint snp, uint snt, void* pv)
    {
        var scope = _current;
        if (scope is null)
        {
            return EsentReturnCodes.Success;
        }

        try
        {
            JetSnProg? progress = null;
            var carriesProgress = (JetSnt)snt is JetSnt.Begin or JetSnt.Progress or JetSnt.Complete;
            if (carriesProgress && pv is not null && ((JetSnProg*)pv)->StructSize >= (uint)sizeof(JetSnProg))
            {
                progress = *(JetSnProg*)pv;
            }

            scope.Sink.OnStatus((JetSnp)snp, (JetSnt)snt, progress);
            return EsentReturnCodes.Success;
        }
        catch (Exception ex)
        {
            // Never let an exception unwind into esent.dll: record it and report failure.
            scope.Failure ??= ex;
            return EsentReturnCodes.CallbackFailed;
        }
    }
}

/// <summary>The notifications of one native call; see <see cref="EsentStatusCallback"/>.</summary>
internal sealed class StatusScope : IDisposable
{
    internal StatusScope(IEsentStatusSink sink, StatusScope? previous)
    {
        Sink = sink;
        Previous = previous;
    }

    /// <summary>Where notifications go.</summary>
    public IEsentStatusSink Sink { get; }

    /// <summary>The first exception the sink threw, if any.</summary>
    public Exception? Failure { get; internal set; }

    internal StatusScope? Previous { get; }

    /// <inheritdoc />
    public void Dispose() => EsentStatusCallback.Leave(this);
}
