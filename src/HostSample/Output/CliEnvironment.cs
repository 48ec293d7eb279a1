using Spectre.Console;

namespace EseBackupPlugin.HostSample.Output;

/// <summary>Where a command writes: machine output to <see cref="Out"/>, diagnostics to <see cref="Error"/>.</summary>
internal sealed class CliEnvironment
{
    public CliEnvironment(TextWriter output, TextWriter error, bool interactive, Func<Stream>? binaryOut = null, Func<Stream>? binaryIn = null)
    {
        Out = output;
        OpenBinaryOut = binaryOut ?? (() => throw new InvalidOperationException("This environment has no binary standard output."));
        OpenBinaryIn = binaryIn ?? (() => throw new InvalidOperationException("This environment has no binary standard input."));
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

    /// <summary>Standard output as bytes (a tar stream); nothing else may be written to <see cref="Out"/> then.</summary>
    public Func<Stream> OpenBinaryOut { get; }

    /// <summary>Standard input as bytes (a tar stream to restore from).</summary>
    public Func<Stream> OpenBinaryIn { get; }

    /// <summary>True while the running command was asked for <c>--json</c>.</summary>
    public bool JsonMode { get; set; }

    /// <summary>JSON documents the running command printed on standard output (the rule: exactly one with <c>--json</c>).</summary>
    public int JsonDocuments { get; set; }

    /// <summary>The last error the running command reported (for the JSON error document).</summary>
    public Abstractions.Errors.PluginError? LastError { get; set; }

    public TextWriter Error { get; }

    /// <summary>True for a person at a terminal: show colours and progress bars.</summary>
    public bool Interactive { get; }

    public IAnsiConsole Console { get; }

    /// <summary>The process's own console.</summary>
    public static CliEnvironment ForConsole() =>
        new(System.Console.Out, System.Console.Error, interactive: !System.Console.IsOutputRedirected, OpenStandardOutput, System.Console.OpenStandardInput);

    /// <summary>
    /// Standard output for a tar stream. On Unix a plain stream over descriptor 1: .NET's console stream ignores EPIPE
    /// (a reader that went away), and a stream whose consumer died must fail the backup, not report success. Windows keeps
    /// the console stream (not verified there).
    /// </summary>
    private static Stream OpenStandardOutput()
    {
        if (OperatingSystem.IsWindows())
        {
            return System.Console.OpenStandardOutput();
        }

        StandardOutputPipe.TryEnlarge(1);
        return new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
    }
}

/// <summary>
/// A larger pipe for the tar stream on Linux. A pipe holds 64 KiB by default, so every 4 MiB chunk of a stream
/// backup takes dozens of hand-offs between this process and its reader (restic, borg, cat), each a wake-up of the
/// other side; at 1 MiB (the largest an unprivileged process may ask for by default) they are sixteen times fewer.
/// Best effort: descriptor 1 that is no pipe, an older kernel or a lower limit leaves it as it is.
/// </summary>
internal static partial class StandardOutputPipe
{
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ (Linux 2.6.35+)
    private const int GetPipeSize = 1032; // F_GETPIPE_SZ
    public const int WantedBytes = 1024 * 1024;

    /// <summary>Asks for <see cref="WantedBytes"/> on descriptor <paramref name="fd"/> if it is a pipe (Linux only).</summary>
    public static void TryEnlarge(int fd)
    {
        if (OperatingSystem.IsLinux())
        {
            // fcntl is variadic in C; its third argument is one int, which every Linux ABI passes as a normal argument.
            _ = Fcntl(fd, SetPipeSize, WantedBytes);
        }
    }

    /// <summary>The pipe's capacity in bytes, or -1 when <paramref name="fd"/> is no pipe or this is not Linux.</summary>
    public static int Capacity(int fd) => OperatingSystem.IsLinux() ? Fcntl(fd, GetPipeSize, 0) : -1;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);
}
