using System.Collections.Concurrent;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// The one thread that makes VSS calls in this process. It joins the COM multithreaded apartment
/// (CoInitializeEx, COINIT_MULTITHREADED) and, before any VSS object exists, sets the process's COM security
/// once (CoInitializeSecurity: default authentication, packet privacy, impersonate, static cloaking — the
/// values of the reference §3). Blocking waits on IVssAsync happen here, never on thread-pool threads.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class VssComThread
{
    private const uint CoinitMultithreaded = 0x0;
    private const int RpcCAuthnLevelPktPrivacy = 6;
    private const int RpcCImpLevelImpersonate = 3;
    private const int EoacStaticCloaking = 0x20;

    private readonly BlockingCollection<Action> _queue = [];
    private readonly Thread _thread;

    public VssComThread(VssNativeLibrary library)
    {
        ArgumentNullException.ThrowIfNull(library);
        Library = library;
        _thread = new Thread(Run) { IsBackground = true, Name = "VSS requester" };
        _thread.Start();
    }

    /// <summary>The bound exports.</summary>
    public VssNativeLibrary Library { get; }

    /// <summary>CoInitializeEx's result on this thread (S_OK or S_FALSE when fine).</summary>
    public int ComInitializeResult { get; private set; }

    /// <summary>CoInitializeSecurity's result (RPC_E_TOO_LATE when the host had already set process security).</summary>
    public int SecurityResult { get; private set; }

    /// <summary>Queues work for the VSS thread.</summary>
    public Task<T> InvokeAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Item()
        {
            if (cancellationToken.IsCancellationRequested)
            {
                completion.TrySetCanceled(cancellationToken);
                return;
            }

            try
            {
                completion.TrySetResult(work());
            }
#pragma warning disable CA1031 // Every failure travels to the awaiting caller.
            catch (Exception e)
#pragma warning restore CA1031
            {
                completion.TrySetException(e);
            }
        }

        // The queue is unbounded, so adding never waits; a cancelled token is seen by the item itself when it runs.
        _queue.Add(Item, CancellationToken.None);
        return completion.Task;
    }

    private void Run()
    {
        ComInitializeResult = Library.CoInitializeEx(0, CoinitMultithreaded);
        SecurityResult = Library.CoInitializeSecurity(0, -1, 0, 0, RpcCAuthnLevelPktPrivacy, RpcCImpLevelImpersonate, 0, EoacStaticCloaking, 0);
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            item();
        }
    }
}
