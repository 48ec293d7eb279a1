using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.HostSample.Cli;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>
/// Shows an operation's progress: a Spectre.Console progress bar for a person at a terminal, nothing for
/// machines (<c>--json</c> or redirected output), where only the final result is printed.
/// </summary>
internal static class ProgressView
{
    public static async Task<T> RunAsync<T>(CliEnvironment env, bool json, string title, Func<IProgress<OperationProgress>?, Task<T>> work)
    {
        if (json || !env.Interactive)
        {
            return await work(null);
        }

        T result = default!;
        await env.Console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                var sink = new SynchronousProgress<OperationProgress>(p =>
                {
                    if (p.BytesTotal > 0)
                    {
                        task.MaxValue = p.BytesTotal;
                        task.Value = p.BytesDone;
                    }

                    var file = p.CurrentFile is null ? string.Empty : " " + Path.GetFileName(p.CurrentFile);
                    task.Description = Markup.Escape($"{title} [{p.Phase}] {p.FilesDone}/{p.FilesTotal}{file}");
                });
                result = await work(sink);
                task.Value = task.MaxValue;
                task.StopTask();
            });
        return result;
    }

    /// <summary>
    /// Handles each report at once on the reporting thread. <see cref="Progress{T}"/> would post it to the thread
    /// pool (there is no synchronisation context here), so reports could arrive out of order or after the bar
    /// was stopped.
    /// </summary>
    private sealed class SynchronousProgress<TValue>(Action<TValue> handler) : IProgress<TValue>
    {
        public void Report(TValue value) => handler(value);
    }
}
