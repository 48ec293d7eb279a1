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
                cancel.Cancel();
                // Said once the request is in: a person (or a test) knows the signal landed, and what it means.
                Console.Error.WriteLine("esebackup: cancelling (nothing is truncated); press Ctrl+C again to stop at once.");
            }
        };
        return await CliApp.RunAsync(args, CliEnvironment.ForConsole(), cancel.Token);
    }
}
