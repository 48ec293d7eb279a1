using System.CommandLine;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Plugins;
using Microsoft.Data.Sqlite;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>The <c>esebackup</c> command line.</summary>
internal static class CliApp
{
    // Global options are created per command tree (never shared static instances): System.CommandLine keeps
    // parent links in each symbol, so two trees built at once must not share one.
    private const string PluginOptionName = "--plugin";
    private const string RepositoryOptionName = "--repository";
    private const string ConfigOptionName = "--config";
    private const string VerboseOptionName = "--verbose";

    /// <summary>Option shared by every command that can print JSON.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print machine-readable JSON on standard output." };

    public static RootCommand Build(CliEnvironment env)
    {
        var root = new RootCommand("esebackup: a sample backup host driving the EseBackupPlugin (ESE databases).\n\n" + ExitCodes.Help)
        {
            new Option<string?>(PluginOptionName) { Description = "plugin.json to load (default: plugins/ese/plugin.json beside the host).", Recursive = true },
            new Option<string?>(RepositoryOptionName) { Description = "Backup repository directory (default: Host:Repository, ./.esebackup).", Recursive = true },
            new Option<string?>(ConfigOptionName) { Description = "An extra JSON configuration file.", Recursive = true },
            new Option<bool>(VerboseOptionName, "-v") { Description = "Log progress details to standard error.", Recursive = true },
        };
        root.Subcommands.Add(PluginCommands.Plugins(env));
        root.Subcommands.Add(FileCommands.Inspect(env));
        root.Subcommands.Add(FileCommands.Verify(env));
        root.Subcommands.Add(TargetCommands.Discover(env));
        root.Subcommands.Add(BackupCommands.Backup(env));
        root.Subcommands.Add(BackupCommands.Complete(env));
        root.Subcommands.Add(BackupCommands.Abandon(env));
        root.Subcommands.Add(BackupCommands.VerifySet(env));
        root.Subcommands.Add(BackupCommands.Restore(env));
        root.Subcommands.Add(CatalogCommands.Catalog(env));
        root.Subcommands.Add(DemoCommand.Demo(env));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        var root = Build(env);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await env.Error.WriteLineAsync("error: " + e.Message);
            }

            await env.Error.WriteLineAsync("Run 'esebackup --help' for usage.");
            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    /// <summary>Wires a command's body with the shared session and the error-to-exit-code rules.</summary>
    public static void Handle(Command command, CliEnvironment env, Func<ParseResult, CliSession, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, ct) =>
        {
            var global = new GlobalOptions(
                parse.GetValue<string?>(PluginOptionName),
                parse.GetValue<string?>(RepositoryOptionName),
                parse.GetValue<string?>(ConfigOptionName),
                parse.GetValue<bool>(VerboseOptionName));
            try
            {
                await using var session = new CliSession(global, env.Error);
                return await body(parse, session, ct);
            }
            catch (PluginLoadException ex)
            {
                // Loader failures (assembly, entry type, constructor) name the plugin but not its plugin.json; an
                // operator with several plugin folders needs to know which one is broken.
                var which = ex.Message.Contains(ex.ManifestPath, StringComparison.Ordinal) ? string.Empty : $" (plugin.json: {ex.ManifestPath})";
                await env.Error.WriteLineAsync($"error: cannot load plugin: {ex.Message}{which}");
                return ExitCodes.PluginLoad;
            }
            catch (InvalidDataException ex)
            {
                // A malformed appsettings.json or --config file; the configuration library's message names the file.
                await env.Error.WriteLineAsync($"error: bad configuration: {ex.Message}{(ex.InnerException is { } inner ? " " + inner.Message : string.Empty)}");
                return ExitCodes.Usage;
            }
            catch (OperationCanceledException)
            {
                await env.Error.WriteLineAsync("cancelled");
                return ExitCodes.Cancelled;
            }
            catch (PluginException ex)
            {
                return await ReportAsync(env, ex.Error);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or SqliteException or ArgumentException)
            {
                await env.Error.WriteLineAsync($"error: {ex.Message}");
                return ExitCodes.Failed;
            }
        });
    }

    /// <summary>Prints a plugin error and returns the exit code for it.</summary>
    public static async Task<int> ReportAsync(CliEnvironment env, PluginError error)
    {
        await env.Error.WriteLineAsync($"error: {error}");
        return ExitCodeFor(error);
    }

    public static int ExitCodeFor(PluginError error) => error.Code.Category switch
    {
        ErrorCategory.Busy => ExitCodes.Busy,
        ErrorCategory.Corruption => ExitCodes.Corruption,
        ErrorCategory.Cancelled => ExitCodes.Cancelled,
        _ => ExitCodes.Failed,
    };
}
