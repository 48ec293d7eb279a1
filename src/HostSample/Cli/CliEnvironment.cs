using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>Where a command writes: machine output to <see cref="Out"/>, diagnostics to <see cref="Error"/>.</summary>
internal sealed class CliEnvironment
{
    public CliEnvironment(TextWriter output, TextWriter error, bool interactive)
    {
        Out = output;
        Error = error;
        Interactive = interactive;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!interactive)
        {
            Console.Profile.Width = 160;
        }
    }

    public TextWriter Out { get; }

    public TextWriter Error { get; }

    /// <summary>True for a person at a terminal: show colours and progress bars.</summary>
    public bool Interactive { get; }

    public IAnsiConsole Console { get; }

    /// <summary>The process's own console.</summary>
    public static CliEnvironment ForConsole() =>
        new(System.Console.Out, System.Console.Error, interactive: !System.Console.IsOutputRedirected);
}
