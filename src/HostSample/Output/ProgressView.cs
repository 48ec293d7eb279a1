using System.Globalization;
using EseBackupPlugin.Abstractions.Progress;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>
/// Shows an operation's progress: a Spectre.Console progress bar for a person at a terminal, nothing for
/// machines (<c>--json</c> or redirected output), where only the final result is printed. The rate and the time
/// left are the plugin's own (<see cref="OperationProgress.BytesPerSecond"/>,
/// <see cref="OperationProgress.EstimatedSecondsRemaining"/>), measured where the bytes move.
/// </summary>
internal static class ProgressView
{
    private const string RateKey = "rate";
    private const string EtaKey = "eta";

    public static async Task<T> RunAsync<T>(CliEnvironment env, bool json, string title, Func<IProgress<OperationProgress>?, Task<T>> work)
    {
        if (json || !env.Interactive)
        {
            return await work(null);
        }

        T result = default!;
        await env.Console.Progress()
            .AutoClear(false)
            .Columns(Columns())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: 1);
                result = await work(new SynchronousProgress<OperationProgress>(p => Apply(task, title, p)));
                task.Value = task.MaxValue;
                task.StopTask();
            });
        return result;
    }

    /// <summary>The bar's columns: description, bar, percentage, and the plugin's rate and time left.</summary>
    internal static ProgressColumn[] Columns() => [new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RateAndEtaColumn()];

    /// <summary>Moves a bar to a report: bytes, a description with phase and file, the plugin's rate and estimate.</summary>
    internal static void Apply(ProgressTask task, string title, OperationProgress p)
    {
        if (p.BytesTotal > 0)
        {
            task.MaxValue = p.BytesTotal;
            task.Value = p.BytesDone;
        }

        task.State.Update<double>(RateKey, _ => p.BytesPerSecond);
        task.State.Update<double>(EtaKey, _ => p.EstimatedSecondsRemaining ?? -1);
        var file = p.CurrentFile is null ? string.Empty : " " + Path.GetFileName(p.CurrentFile);
        task.Description = Markup.Escape($"{title} [{p.Phase}] {p.FilesDone}/{p.FilesTotal}{file}");
    }

    /// <summary>"12.5 MiB/s, 0:07 left": the text the bar shows after the percentage.</summary>
    internal static string RateAndEta(double bytesPerSecond, double? secondsRemaining)
    {
        var rate = bytesPerSecond > 0 ? Size(bytesPerSecond) + "/s" : "-- MiB/s";
        var eta = secondsRemaining is { } s and >= 0 ? Duration(s) + " left" : "--:-- left";
        return $"{rate}, {eta}";
    }

    private static string Size(double bytes) => bytes switch
    {
        >= 1024d * 1024 * 1024 => (bytes / (1024d * 1024 * 1024)).ToString("0.00", CultureInfo.InvariantCulture) + " GiB",
        >= 1024d * 1024 => (bytes / (1024d * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        _ => (bytes / 1024d).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
    };

    private static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Ceiling(seconds));
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}:{t.Seconds:00}");
    }

    /// <summary>The plugin's rate and estimate, as <see cref="Apply"/> left them in the task's state.</summary>
    private sealed class RateAndEtaColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var rate = task.State.Get<double>(RateKey);
            var eta = task.State.Get<double>(EtaKey);
            return new Text(RateAndEta(rate, task.IsFinished ? 0 : eta >= 0 ? eta : null), new Style(Color.Grey));
        }
    }

    /// <summary>
    /// Handles each report at once on the thread that reports it (the plugin's progress thread; the plugin never
    /// calls it twice at once). <see cref="Progress{T}"/> would post it to the thread pool (there is no
    /// synchronisation context here), so reports could arrive out of order or after the bar was stopped.
    /// </summary>
    private sealed class SynchronousProgress<TValue>(Action<TValue> handler) : IProgress<TValue>
    {
        public void Report(TValue value) => handler(value);
    }
}
