using System.CommandLine;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary><c>backup</c>, <c>complete</c>, <c>verify-set</c> and <c>restore</c>.</summary>
internal static class BackupCommands
{
    public static Command Backup(CliEnvironment env)
    {
        var target = new Argument<string>("TARGET") { Description = "A target id (or unique prefix) from 'discover', or a directory holding one ESE file set." };
        var kind = new Option<BackupKind?>("--kind")
        {
            Description = "full, incremental or copy. Default: copy for VSS writer targets (a full or incremental makes the application's writer "
                + "truncate its logs at BackupComplete, so it must be asked for), full for every other target.",
        };
        var noComplete = new Option<bool>("--no-complete")
        {
            Description = "Stage and store the set but do not complete it (no log truncation until 'complete'). In-process instance sets made with "
                + "jet-streaming and VSS sets need the live session of this run: it ends, without truncating, when this command exits, and a later "
                + "'complete' reports SessionLost.",
        };
        var strategy = new Option<string?>("--strategy")
        {
            Description = "Copy strategy (see 'plugins'); default: the target kind's first. In-process instances: jet-backup-instance (ESE truncates "
                + "during the backup) or jet-streaming (logs are truncated only once the set is completed).",
        };
        var paths = TargetCommands.PathOption();
        var json = CliApp.JsonOption();
        var cmd = new Command("backup", "Back up a target into the repository: stage (verify + hash), store, then complete (truncate logs for full/incremental).") { target, kind, noComplete, strategy, paths, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var asJson = parse.GetValue(json);
            var (resolved, searchPaths, problem) = await HostWorkflow.ResolveTargetAsync(session, parse.GetValue(target)!, parse.GetValue(paths) ?? [], ct);
            if (resolved is null)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.TargetNotFound, problem!));
            }

            var k = parse.GetValue(kind) ?? HostWorkflow.DefaultKind(resolved);
            var complete = !parse.GetValue(noComplete);
            var output = await ProgressView.RunAsync(env, asJson, $"{k} backup",
                p => HostWorkflow.BackupAsync(session, resolved, k, parse.GetValue(strategy), searchPaths, complete, p, ct));
            if (!complete && output.Manifest is { } staged && HostWorkflow.NeedsLiveSession(staged))
            {
                await env.Error.WriteLineAsync(
                    $"note: set {output.SetId} was made by '{staged.Producer.Strategy}' and can only be completed by the process that staged it. That process "
                    + "is this command: its session ends now without truncating anything, so 'complete' will report SessionLost. Omit --no-complete to complete in this run.");
            }
            if (asJson)
            {
                await JsonOut.WriteAsync(env.Out, output, HostJsonContext.Default.BackupOutput);
            }
            else if (output.Manifest is not null)
            {
                ResultView.Manifest(env, output.Manifest, output.SetPath);
                ResultView.Truncation(env, output.Truncation);
                env.Console.MarkupLine($"set {Markup.Escape(output.SetId)}: [bold]{output.State}[/]");
            }

            return output.Error is { } e ? (asJson ? CliApp.ExitCodeFor(e) : await CliApp.ReportAsync(env, e)) : ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command Complete(CliEnvironment env)
    {
        var set = new Argument<string>("SET-ID") { Description = "A stored set that was backed up with --no-complete." };
        var succeeded = new Option<bool>("--succeeded") { Description = "The set is safely stored: allow log truncation." };
        var failed = new Option<bool>("--failed") { Description = "The set could not be stored: truncate nothing." };
        var json = CliApp.JsonOption();
        var cmd = new Command("complete", "Phase two: tell the plugin whether a stored set is safe; only then are logs truncated.") { set, succeeded, failed, json };
        cmd.Validators.Add(r =>
        {
            if (r.GetValue(succeeded) == r.GetValue(failed))
            {
                r.AddError("Give exactly one of --succeeded or --failed.");
            }
        });
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var row = session.Catalog.Find(parse.GetValue(set)!);
            if (row?.Manifest is null)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"No staged or stored set '{parse.GetValue(set)}' in catalog '{session.Catalog.DatabasePath}'."));
            }

            var ok = parse.GetValue(succeeded);
            if (ok && row.State is HostSetState.Failed or HostSetState.Abandoned)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.AlreadyCompleted, $"Set '{row.SetId}' is already {row.State.ToString().ToLowerInvariant()}: the first verdict stands."));
            }

            // Only a set the repository holds may complete with success: completing lets the plugin truncate logs,
            // and a set that was staged but never stored (the run died or storing failed) protects nothing. A set
            // completed before is asked again: the plugin answers with its recorded report (and re-delivers it to
            // this catalog when recording it had failed).
            if (ok && (row.State is not (HostSetState.Stored or HostSetState.Completed) || row.SetPath is null))
            {
                return await CliApp.ReportAsync(env, new PluginError(
                    ErrorCodes.SetNotFound,
                    $"Set '{row.SetId}' is {row.State.ToString().ToLowerInvariant()}, not stored in repository '{session.Settings.Repository}': it cannot complete as succeeded. Complete it with --failed (nothing is truncated) and back up again."));
            }

            var result = await session.Plugin.Plugin.CompleteBackupAsync(new CompletionRequest(row.Manifest, ok), ct);
            if (!ok && result.Truncation is null && result.Error?.Code.Name is not nameof(ErrorCodes.AlreadyCompleted) && row.State is not HostSetState.Completed)
            {
                // The plugin records a completion it reports through the catalog itself; this covers one it could not.
                session.Catalog.MarkFailed(row.SetId, "The host reported that it could not store the set.");
            }

            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env.Out, result, ContractJsonContext.Default.CompletionResult);
            }
            else
            {
                ResultView.Truncation(env, result.Truncation);
            }

            if (result.Error is { } e)
            {
                var code = await CliApp.ReportAsync(env, e);
                if (e.Code == ErrorCodes.SessionLost)
                {
                    await env.Error.WriteLineAsync("hint: nothing was truncated and the set stays restorable. Sets of in-process instances (jet-streaming) and VSS writers complete in the run that staged them: back up without --no-complete.");
                }

                return code;
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command Abandon(CliEnvironment env)
    {
        var set = new Argument<string>("SET-ID") { Description = "A staged set (backed up with --no-complete) to give up on." };
        var json = CliApp.JsonOption();
        var cmd = new Command("abandon", "End a staged set without success: every log is kept, the target is released, the set is recorded as failed.") { set, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var row = session.Catalog.Find(parse.GetValue(set)!);
            if (row is null)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"No set '{parse.GetValue(set)}' in catalog '{session.Catalog.DatabasePath}'."));
            }

            var result = await session.Plugin.Plugin.AbandonBackupAsync(row.SetId, ct);
            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env.Out, result, ContractJsonContext.Default.CompletionResult);
            }
            else
            {
                ResultView.Truncation(env, result.Truncation);
            }

            return result.Error is { } e ? await CliApp.ReportAsync(env, e) : ExitCodes.Ok;
        });
        return cmd;
    }

    public static Command VerifySet(CliEnvironment env)
    {
        var set = new Argument<string>("SET") { Description = "A set id from the catalog, or a set directory." };
        var json = CliApp.JsonOption();
        var cmd = new Command("verify-set", "Re-hash every file of a set against its manifest and re-run the ESE checks. Exit 3 if damaged.") { set, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var dir = SetDirectory(session, parse.GetValue(set)!);
            if (dir is null)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"'{parse.GetValue(set)}' is neither a set directory nor a stored set in the catalog."));
            }

            var asJson = parse.GetValue(json);
            var result = await ProgressView.RunAsync(env, asJson, "verify set", p => session.Plugin.Plugin.VerifySetAsync(new VerifySetRequest(dir), p, ct));
            if (asJson)
            {
                await JsonOut.WriteAsync(env.Out, result, ContractJsonContext.Default.VerifySetResult);
            }
            else
            {
                ResultView.Verification(env, result);
            }

            return result.Error is { } e ? await CliApp.ReportAsync(env, e) : result.IsClean ? ExitCodes.Ok : ExitCodes.Corruption;
        });
        return cmd;
    }

    public static Command Restore(CliEnvironment env)
    {
        var set = new Argument<string>("SET-ID") { Description = "The set to restore to: its chain (full + incrementals) is restored." };
        var to = new Option<string>("--to") { Description = "Destination directory (must be empty unless --force).", Required = true };
        var force = new Option<bool>("--force") { Description = "Write into a non-empty destination, replacing files." };
        var checkpoint = new Option<bool>("--include-checkpoint") { Description = "Also restore the checkpoint file." };
        var eseRestore = new Option<bool>("--ese-restore")
        {
            Description = "After laying the files out, let ESE restore them (JetRestoreInstance: replays the logs into the databases). Needs esent.dll (Windows).",
        };
        var json = CliApp.JsonOption();
        var cmd = new Command("restore", "Restore a set's chain into a directory in the layout ESE recovery expects (or, with --ese-restore, through ESE).") { set, to, force, checkpoint, eseRestore, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var id = parse.GetValue(set)!;
            var chain = session.Catalog.ChainEndingAt(id);
            if (chain.Count == 0)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"No set '{id}' in catalog '{session.Catalog.DatabasePath}'."));
            }

            var unusable = chain.FirstOrDefault(r => r.SetPath is null || r.State is not (HostSetState.Stored or HostSetState.Completed));
            if (unusable is not null)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"Set '{unusable.SetId}' of the chain is {unusable.State.ToString().ToLowerInvariant()} and cannot be restored from."));
            }

            var request = new RestoreRequest([.. chain.Select(r => r.SetPath!)], Path.GetFullPath(parse.GetValue(to)!))
            {
                Overwrite = parse.GetValue(force),
                IncludeCheckpoint = parse.GetValue(checkpoint),
                Mode = parse.GetValue(eseRestore) ? RestoreMode.EseRestore : RestoreMode.FilesOnly,
            };
            var asJson = parse.GetValue(json);
            var result = await ProgressView.RunAsync(env, asJson, "restore", p => session.Plugin.Plugin.RestoreAsync(request, p, ct));
            if (asJson)
            {
                await JsonOut.WriteAsync(env.Out, result, ContractJsonContext.Default.RestoreResult);
            }
            else if (result.Succeeded)
            {
                var how = request.Mode == RestoreMode.EseRestore ? " and restored them through ESE (JetRestoreInstance)" : string.Empty;
                env.Console.MarkupLine($"restored {result.Files.Count} files (logs {Markup.Escape(result.LogRange?.ToString() ?? "-")}) from {chain.Count} set(s) into {Markup.Escape(request.Destination)}{how}");
            }

            return result.Error is { } e ? await CliApp.ReportAsync(env, e) : ExitCodes.Ok;
        });
        return cmd;
    }

    private static string? SetDirectory(CliSession session, string set)
    {
        if (Directory.Exists(set))
        {
            return Path.GetFullPath(set);
        }

        var row = session.Catalog.Find(set);
        if (row?.SetPath is { } p)
        {
            return p;
        }

        var staged = Path.Combine(session.Repository.StagingDirectory, set);
        return Directory.Exists(staged) ? staged : null;
    }
}
