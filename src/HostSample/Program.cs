using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            // First Ctrl+C cancels cleanly (nothing half-written is left); a second one kills the process.
            if (!cancel.IsCancellationRequested)
            {
                e.Cancel = true;

                // Requested before it is said: a second Ctrl+C sent once the line below is out must find the cancellation
                // requested and end the process. CancelAsync marks the token at once and runs its callbacks on the thread
                // pool, so the line is never held up by them (cancelling can wait on a full output pipe, and a person or a
                // test must know the signal landed without reading that pipe).
                _ = cancel.CancelAsync();
                Console.Error.WriteLine("esebackup: cancelling (nothing is truncated); press Ctrl+C again to stop at once.");
            }
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            return await CliApp.RunAsync(args, CliEnvironment.ForConsole(), cancel.Token);
        }
        finally
        {
            // Before the source is disposed: a late Ctrl+C then gets the default (end the process), never a disposed source.
            Console.CancelKeyPress -= onCtrlC;
        }
    }
}
