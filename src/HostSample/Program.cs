using EseBackupPlugin.HostSample.Cli;
using EseBackupPlugin.HostSample.Output;

namespace EseBackupPlugin.HostSample;

internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C cancels cleanly (nothing half-written is left); a second one kills the process.
            if (!cancel.IsCancellationRequested)
            {
                e.Cancel = true;
                // Said first: cancelling may wait on a full output pipe (a failed stream ends with blocks that make it
                // invalid), and a person (or a test) must know the signal landed without reading that pipe.
                Console.Error.WriteLine("esebackup: cancelling (nothing is truncated); press Ctrl+C again to stop at once.");

                // The cancellation's callbacks run on the thread pool: the thread that delivers signals returns at once, so
                // no callback that waits can keep a second Ctrl+C from being handled (InterruptTests pins both).
                _ = cancel.CancelAsync();
            }
        };
        return await CliApp.RunAsync(args, CliEnvironment.ForConsole(), cancel.Token);
    }
}
