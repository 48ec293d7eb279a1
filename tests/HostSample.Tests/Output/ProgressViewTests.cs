using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Tests.Output;

/// <summary>The CLI's progress bar shows the plugin's rate and time left.</summary>
public class ProgressViewTests
{
    [Theory]
    [InlineData(10.0 * 1024 * 1024, 7.2, "10.0 MiB/s, 0:08 left")]
    [InlineData(1.5 * 1024 * 1024 * 1024, 3725.0, "1.50 GiB/s, 1:02:05 left")]
    [InlineData(0.0, null, "-- MiB/s, --:-- left")]
    public void Rate_and_time_left_read_as_a_person_expects(double rate, double? eta, string expected) =>
        Assert.Equal(expected, ProgressView.RateAndEta(rate, eta));

    [Fact]
    public async Task The_bar_shows_the_rate_and_estimate_the_plugin_reported()
    {
        // The CLI's own columns and report handling, on a console that renders like a terminal into a string.
        using var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = AnsiSupport.Yes, Interactive = InteractionSupport.Yes, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 200;
        await console.Progress().AutoClear(false).Columns(ProgressView.Columns()).StartAsync(ctx =>
        {
            var task = ctx.AddTask("backup", maxValue: 1);
            ProgressView.Apply(task, "backup", new OperationProgress(OperationKind.Backup, ProgressPhase.Progress, 1, 3, 512L << 20, 1024L << 20)
            {
                BytesPerSecond = 64.0 * 1024 * 1024,
                EstimatedSecondsRemaining = 8,
            });
            ctx.Refresh(); // render now: waiting for the display's own refresh timer raced a slow machine
            return Task.CompletedTask;
        });

        var text = output.ToString();
        Assert.Contains("64.0 MiB/s, 0:08 left", text, StringComparison.Ordinal);
        Assert.Contains("50%", text, StringComparison.Ordinal);
    }
}
