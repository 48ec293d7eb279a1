using System.CommandLine;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
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
    private const string ProcessModelOptionName = "--process-model";

    /// <summary>Option shared by every command that can print JSON.</summary>
    public static Option<bool> JsonOption() => new("--json") { Description = "Print machine-readable JSON on standard output." };

    public static RootCommand Build(CliEnvironment env)
    {
        var root = new RootCommand("esebackup: a sample backup host driving the EseBackupPlugin (ESE databases).\n\n" + ExitCodes.Help)
        {
            new Option<string?>(PluginOptionName) { Description = "plugin.json to load (default: plugins/ese/plugin.json beside the host).", Recursive = true },
            new Option<string?>(RepositoryOptionName) { Description = "Backup repository directory (default: Host:Repository, else /var/lib/esebackup for root, $XDG_STATE_HOME/esebackup or ~/.local/state/esebackup for users, %ProgramData%\\esebackup on Windows).", Recursive = true },
            new Option<string?>(ConfigOptionName) { Description = "The site configuration file (default: /etc/esebackup/esebackup.json for root, ~/.config/esebackup/esebackup.json for users, %ProgramData%\\esebackup\\esebackup.json on Windows; never the current directory).", Recursive = true },
            new Option<bool>(VerboseOptionName, "-v") { Description = "Log progress details to standard error.", Recursive = true },
            new Option<string?>(ProcessModelOptionName) { Description = "in-process (load the plugin into this process) or out-of-process (run it in esebackup-worker); default: Host:ProcessModel, in-process.", Recursive = true },
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
        root.Subcommands.Add(PruneCommand.Prune(env));
        root.Subcommands.Add(HookCommands.Hook(env));
        root.Subcommands.Add(DemoCommand.Demo(env));
        VersionCommand.Install(root, env);
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
            if (args.Contains("--json", StringComparer.Ordinal))
            {
                await WriteErrorDocumentAsync(env, ExitCodes.Usage, new PluginError(UsageError, string.Join(" ", parse.Errors.Select(e => e.Message))));
            }

            return ExitCodes.Usage;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = env.Out, Error = env.Error, EnableDefaultExceptionHandler = false }, cancellationToken);
    }

    /// <summary>Wires a command's body with the shared session and the error-to-exit-code rules.</summary>
    public static void Handle(Command command, CliEnvironment env, Func<ParseResult, CliSession, CancellationToken, Task<int>> body)
    {
        command.SetAction(async (parse, ct) =>
        {
            env.JsonMode = command.Options.Any(o => o.Name == "--json") && parse.GetValue<bool>("--json");
            env.JsonDocuments = 0;
            env.LastError = null;
            var code = await RunBodyAsync(command, env, body, parse, ct);
            if (env.JsonMode && env.JsonDocuments == 0)
            {
                // The JSON rule: one document on standard output, errors included, whatever path the command took.
                await WriteErrorDocumentAsync(env, code, env.LastError ?? new PluginError(code == ExitCodes.Ok ? ErrorCodes.InternalError : HostError, "The command printed no result."));
            }

            return code;
        });
    }

    /// <summary>Code of errors the host itself raises outside the plugin (I/O, SQLite, configuration).</summary>
    public static ErrorCode HostError { get; } = new("HostError", null, null, ErrorCategory.Io, false);

    /// <summary>Code of command-line errors.</summary>
    public static ErrorCode UsageError { get; } = new("Usage", null, null, ErrorCategory.Usage, false);

    /// <summary>Code of plugin load failures.</summary>
    public static ErrorCode PluginLoadError { get; } = new("PluginLoadFailed", null, null, ErrorCategory.Platform, false);

    /// <summary>Prints <c>{"ok": false, "exitCode": N, "error": {...}}</c>, the one document of a failed <c>--json</c> command.</summary>
    public static async Task WriteErrorDocumentAsync(CliEnvironment env, int exitCode, PluginError error)
    {
        var document = new System.Text.Json.Nodes.JsonObject
        {
            ["ok"] = false,
            ["exitCode"] = exitCode,
            ["error"] = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(error, Abstractions.Json.ContractJsonContext.Default.PluginError)),
        };
        env.JsonDocuments++;
        await env.Out.WriteLineAsync(document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        await env.Out.FlushAsync();
    }

    private static async Task<int> RunBodyAsync(Command command, CliEnvironment env, Func<ParseResult, CliSession, CancellationToken, Task<int>> body, ParseResult parse, CancellationToken ct)
    {
        {
            var global = new GlobalOptions(
                parse.GetValue<string?>(PluginOptionName),
                parse.GetValue<string?>(RepositoryOptionName),
                parse.GetValue<string?>(ConfigOptionName),
                parse.GetValue<bool>(VerboseOptionName),
                parse.GetValue<string?>(ProcessModelOptionName));
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
                env.LastError = new PluginError(PluginLoadError, $"Cannot load plugin: {ex.Message}{which}");
                return ExitCodes.PluginLoad;
            }
            catch (InvalidDataException ex)
            {
                // A malformed appsettings.json or --config file; the configuration library's message names the file.
                var message = $"Bad configuration: {ex.Message}{(ex.InnerException is { } inner ? " " + inner.Message : string.Empty)}";
                await env.Error.WriteLineAsync("error: " + message);
                env.LastError = new PluginError(UsageError, message);
                return ExitCodes.Usage;
            }
            catch (OperationCanceledException)
            {
                await env.Error.WriteLineAsync("cancelled");
                env.LastError = new PluginError(ErrorCodes.Cancelled, "Cancelled.");
                return ExitCodes.Cancelled;
            }
            catch (PluginException ex)
            {
                return await ReportAsync(env, ex.Error);
            }
            catch (CatalogFailureException ex)
            {
                // Says which catalog, which step and why (a full disk, an I/O error), never SQLite's code alone.
                return await ReportAsync(env, ex.Error);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or SqliteException or ArgumentException)
            {
                await env.Error.WriteLineAsync($"error: {ex.Message}");
                env.LastError = new PluginError(HostError, ex.Message);
                return ExitCodes.Failed;
            }
        }
    }

    /// <summary>Prints a plugin error and returns the exit code for it.</summary>
    public static async Task<int> ReportAsync(CliEnvironment env, PluginError error)
    {
        await env.Error.WriteLineAsync($"error: {error}");
        env.LastError = error;
        return ExitCodeFor(error);
    }

    /// <summary>Reports a usage problem found after parsing (option combinations): exit 2.</summary>
    public static async Task<int> UsageAsync(CliEnvironment env, string message)
    {
        await env.Error.WriteLineAsync("error: " + message);
        env.LastError = new PluginError(UsageError, message);
        return ExitCodes.Usage;
    }

    public static int ExitCodeFor(PluginError error) => ExitCodes.For(error);
}
