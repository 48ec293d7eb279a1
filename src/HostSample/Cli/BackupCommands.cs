using System.CommandLine;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Json;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using EseBackupPlugin.HostSample.Repository;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary><c>backup</c>, <c>complete</c>, <c>verify-set</c> and <c>restore</c>.</summary>
internal static class BackupCommands
{
    public static Command Backup(CliEnvironment env)
    {
        var target = new Argument<string>("TARGET") { Description = "A target id (or unique prefix) from 'discover', or a directory holding one ESE file set." };
        var kind = KindOption();
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
        var output = OutOption();
        var printSetId = PrintSetIdOption();
        var externalRef = ExternalRefOption();
        var paths = TargetCommands.PathOption();
        var json = CliApp.JsonOption();
        var cmd = new Command("backup", "Back up a target: into the repository (stage, verify + hash, store, complete), or with --out into a directory or a tar stream on standard output, left pending for the product that stores it.")
        {
            target, kind, noComplete, strategy, output, printSetId, externalRef, paths, json,
        };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var asJson = parse.GetValue(json);
            var quiet = parse.GetValue(printSetId);
            var outValue = parse.GetValue(output);
            if (StreamSharesStdout(outValue, asJson, quiet))
            {
                return await CliApp.UsageAsync(env, StreamSharesStdoutMessage);
            }

            var kindChoice = JobLevels.Parse(parse.GetValue(kind) ?? "default");
            if (parse.GetValue(kind) is not null && kindChoice is null)
            {
                return await CliApp.UsageAsync(env, $"--kind '{parse.GetValue(kind)}' is not one of: {JobLevels.Words}.");
            }

            var resolved = await HostWorkflow.ResolveTargetAsync(session, parse.GetValue(target)!, parse.GetValue(paths) ?? [], ct);
            if (resolved.Error is { } problem)
            {
                return await CliApp.ReportAsync(env, problem);
            }

            var k = kindChoice is null ? HostWorkflow.DefaultKind(resolved.Target)
                : kindChoice.Kind ?? (await JobLevels.ResolveAutoAsync(session, resolved, null, ct)).Kind;
            var result = await RunBackupAsync(env, session, resolved, k, parse.GetValue(strategy), outValue, !parse.GetValue(noComplete), asJson || quiet, ct);
            if (parse.GetValue(externalRef) is { } reference && result.SetId.Length > 0)
            {
                session.Catalog.SetExternalRef(result.SetId, reference);
            }

            return await PrintBackupAsync(env, result, asJson, quiet, outValue == "-");
        });
        return cmd;
    }

    /// <summary>The usage error for <c>--out -</c> combined with an output that also needs standard output.</summary>
    public const string StreamSharesStdoutMessage = "--out - writes the tar stream to standard output: --json and --print-set-id cannot share it.";

    /// <summary>True when <c>--out -</c> would share standard output with <c>--json</c> or <c>--print-set-id</c>.</summary>
    public static bool StreamSharesStdout(string? outValue, bool asJson, bool quiet) => outValue == "-" && (asJson || quiet);

    /// <summary><c>--kind</c>: our words, <c>auto</c>, and the job levels of backup products.</summary>
    public static Option<string?> KindOption() => new("--kind")
    {
        Description = "full, incremental, copy or auto (a full when the chain needs one, a copy under circular logging, else an incremental). "
            + "Default: copy for VSS writer targets (a full or incremental makes the application's writer truncate its logs at BackupComplete, so it "
            + "must be asked for), full for every other target. Also accepted: " + JobLevels.Words + ".",
    };

    /// <summary><c>--out DIR|-</c>.</summary>
    public static Option<string?> OutOption() => new("--out")
    {
        Description = "Write the set outside the repository and leave it pending (phase one done, nothing truncated until 'complete' or 'hook post'): "
            + "DIR stages it as DIR/<set id>/; '-' writes it as a POSIX (pax) tar stream to standard output, manifest.json last, in the same one pass "
            + "that verifies and hashes each file (no local copy). On failure the exit code is non-zero and the stream is left invalid (no end-of-archive blocks).",
    };

    /// <summary><c>--print-set-id</c> / <c>--quiet</c>.</summary>
    public static Option<bool> PrintSetIdOption() => new("--print-set-id", "--quiet", "-q") { Description = "Print only the set id on standard output (errors still go to standard error)." };

    /// <summary><c>--external-ref</c>.</summary>
    public static Option<string?> ExternalRefOption() => new("--external-ref") { Description = "The storing product's own id for this set (restic snapshot, borg archive, Bacula job id), recorded in the catalog." };

    /// <summary>Runs one backup into the repository, a directory or standard output.</summary>
    public static async Task<BackupOutput> RunBackupAsync(
        CliEnvironment env, CliSession session, ResolvedTarget target, BackupKind kind, string? strategy, string? outValue, bool complete, bool machine, CancellationToken ct)
    {
        if (outValue == "-")
        {
            var stdout = env.OpenBinaryOut();
            return await HostWorkflow.BackupAsync(session, target.Id, kind, strategy, target.SearchPaths, target.Target, new SetDestination(null, stdout, false), null, ct);
        }

        var destination = outValue is null
            ? (complete ? SetDestination.RepositoryCompleted : SetDestination.Repository)
            : new SetDestination(Path.GetFullPath(outValue), null, false);
        var output = await ProgressView.RunAsync(env, machine, $"{kind} backup",
            p => HostWorkflow.BackupAsync(session, target.Id, kind, strategy, target.SearchPaths, target.Target, destination, p, ct));
        if (destination.IntoRepository && !complete && output.Manifest is { } staged && HostWorkflow.NeedsLiveSession(staged))
        {
            await env.Error.WriteLineAsync(
                $"note: set {output.SetId} was made by '{staged.Producer.Strategy}' and can only be completed by the process that staged it. That process "
                + "is this command: its session ends now without truncating anything, so 'complete' will report SessionLost. Omit --no-complete to complete in this run.");
        }

        return output;
    }

    /// <summary>Prints a backup's result the way the options ask and returns the exit code.</summary>
    public static async Task<int> PrintBackupAsync(CliEnvironment env, BackupOutput output, bool asJson, bool quiet, bool streamed)
    {
        if (asJson)
        {
            await JsonOut.WriteAsync(env, output, HostJsonContext.Default.BackupOutput);
            if (output.Error is { } je)
            {
                env.LastError = je;
                await env.Error.WriteLineAsync($"error: {je}");
            }

            return output.Error is { } e ? CliApp.ExitCodeFor(e) : ExitCodes.Ok;
        }

        if (output.Error is { } error)
        {
            var code = await CliApp.ReportAsync(env, error);
            if (error.Code == ErrorCodes.TargetNotFound)
            {
                await env.Error.WriteLineAsync(
                    "hint: name the target's directory instead of its id, or add --path DIR (an id that 'esebackup discover --path DIR' listed stays usable without it, in later runs too).");
            }

            return code;
        }

        if (quiet)
        {
            await env.Out.WriteLineAsync(output.SetId);
        }
        else if (streamed)
        {
            // Standard output carries the tar stream: the human summary goes to standard error.
            await env.Error.WriteLineAsync($"set {output.SetId}: {output.State} as a tar stream ({output.Manifest?.Files.Count} files, {output.Manifest?.Kind.ToString().ToLowerInvariant()}); pending until the product reports it stored ('hook post', or 'complete {output.SetId} --succeeded')");
        }
        else if (output.Manifest is not null)
        {
            ResultView.Manifest(env, output.Manifest, output.SetPath);
            ResultView.Truncation(env, output.Truncation);
            env.Console.MarkupLine($"set {Markup.Escape(output.SetId)}: [bold]{output.State}[/]");
        }

        return ExitCodes.Ok;
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
        CliApp.Handle(cmd, env, (parse, session, ct) => CompleteAsync(env, session, parse.GetValue(set)!, parse.GetValue(succeeded), parse.GetValue(json), ct));
        return cmd;
    }

    /// <summary><c>complete SET-ID</c>: phase two with the host's verdict <paramref name="ok"/>.</summary>
    private static async Task<int> CompleteAsync(CliEnvironment env, CliSession session, string setId, bool ok, bool asJson, CancellationToken ct)
    {
        var row = session.Catalog.Find(setId);
        if (row?.Manifest is null)
        {
            return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"No staged or stored set '{setId}' in catalog '{session.Catalog.DatabasePath}'."));
        }

        if (row.State is HostSetState.Completed or HostSetState.Failed or HostSetState.Abandoned)
        {
            return await ReportRecordedVerdictAsync(env, row, ok, asJson);
        }

        // Only a set that was stored may complete with success: in the repository, or exported to a product that
        // reports it stored. Completing lets the plugin truncate logs, and a set that was staged but never stored
        // (the run died or storing failed) protects nothing.
        if (ok && !(row.State == HostSetState.Exported || (row.State == HostSetState.Stored && row.SetPath is not null)))
        {
            return await CliApp.ReportAsync(env, new PluginError(
                ErrorCodes.SetNotFound,
                $"Set '{row.SetId}' is {row.State.ToString().ToLowerInvariant()}, not stored in repository '{session.Settings.Repository}': it cannot complete as succeeded. Complete it with --failed (nothing is truncated) and back up again."));
        }

        var result = await CompleteWithVerdictAsync(session, row, ok, "The host reported that it could not store the set.", ct);
        if (asJson)
        {
            await JsonOut.WriteAsync(env, result, ContractJsonContext.Default.CompletionResult);
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
    }

    /// <summary>
    /// The first verdict wins: the same verdict again is a success that shows what was recorded (a script that retries
    /// after losing the first answer gets it), the other verdict is refused.
    /// </summary>
    private static async Task<int> ReportRecordedVerdictAsync(CliEnvironment env, CatalogRow row, bool ok, bool asJson)
    {
        var state = row.State.ToString().ToLowerInvariant();
        if (ok != (row.State == HostSetState.Completed))
        {
            return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.AlreadyCompleted, $"Set '{row.SetId}' is already {state}; it cannot complete as {(ok ? "succeeded" : "failed")}.") { TargetId = row.TargetId });
        }

        var recorded = new CompletionResult { Truncation = row.Truncation };
        if (asJson)
        {
            await JsonOut.WriteAsync(env, recorded, ContractJsonContext.Default.CompletionResult);
        }
        else
        {
            await env.Error.WriteLineAsync($"note: set {row.SetId} was already {state}; this is the recorded report.");
            ResultView.Truncation(env, row.Truncation);
        }

        return ExitCodes.Ok;
    }

    /// <summary>
    /// Hands the host's verdict to the plugin. The plugin records what it did through its catalog port, in its own record;
    /// a failed verdict is the host's own decision, so the host records it on its own row (unless the plugin refused it
    /// because the set already completed otherwise: then the first verdict stands).
    /// </summary>
    internal static async Task<CompletionResult> CompleteWithVerdictAsync(CliSession session, CatalogRow row, bool succeeded, string failure, CancellationToken ct)
    {
        var result = await session.Plugin.Plugin.CompleteBackupAsync(new CompletionRequest(row.Manifest!, succeeded), ct);
        if (!succeeded && result.Error?.Code.Name is not nameof(ErrorCodes.AlreadyCompleted))
        {
            session.Catalog.MarkFailed(row.SetId, failure);
        }

        return result;
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
                await JsonOut.WriteAsync(env, result, ContractJsonContext.Default.CompletionResult);
            }
            else
            {
                ResultView.Truncation(env, result.Truncation);
            }

            return result.Error is { } e ? await CliApp.ReportAsync(env, e) : ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary><c>--from PATH|-</c>, repeatable.</summary>
    public static Option<string[]> FromOption() => new("--from")
    {
        Description = "Read sets without the catalog: a set directory, a directory holding several sets (the chain is rebuilt from the manifests), "
            + "a tar file, or '-' for a tar stream on standard input. Repeat it to give the sets of a chain from several places.",
        AllowMultipleArgumentsPerToken = false,
    };

    public static Command VerifySet(CliEnvironment env)
    {
        var set = new Argument<string?>("SET") { Description = "A set id from the catalog, or a set directory (or, with --from, one set among those found).", Arity = ArgumentArity.ZeroOrOne };
        var from = FromOption();
        var json = CliApp.JsonOption();
        var cmd = new Command("verify-set", "Re-hash every file of a set against its manifest and re-run the ESE checks. Exit 3 if damaged. With --from, verifies every set found.") { set, from, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var asJson = parse.GetValue(json);
            var froms = parse.GetValue(from) ?? [];
            var directories = new List<string>();
            using var sources = await LoadSourcesAsync(env, froms, Path.GetTempPath(), ct);
            if (sources is { Error: { } loadError })
            {
                return await CliApp.ReportAsync(env, loadError);
            }

            if (sources is not null)
            {
                var wanted = parse.GetValue(set);
                directories.AddRange(sources.Sets.Where(s => wanted is null || string.Equals(s.Manifest.SetId, wanted, StringComparison.OrdinalIgnoreCase)).Select(s => s.Directory));
            }
            else if (parse.GetValue(set) is { } named && SetDirectory(session, named) is { } dir)
            {
                directories.Add(dir);
            }

            if (directories.Count == 0)
            {
                return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"'{parse.GetValue(set)}' is neither a set directory nor a stored set in the catalog (or among the sets given with --from)."));
            }

            var results = new List<VerifySetResult>();
            foreach (var d in directories)
            {
                results.Add(await ProgressView.RunAsync(env, asJson, "verify set", p => session.Plugin.Plugin.VerifySetAsync(new VerifySetRequest(d), p, ct)));
            }

            if (asJson)
            {
                // One document: a single set's result as before, several sets as a list.
                if (results.Count == 1)
                {
                    await JsonOut.WriteAsync(env, results[0], ContractJsonContext.Default.VerifySetResult);
                }
                else
                {
                    await JsonOut.WriteAsync(env, results, HostJsonContext.Default.ListVerifySetResult);
                }
            }
            else
            {
                foreach (var r in results)
                {
                    ResultView.Verification(env, r);
                }
            }

            foreach (var r in results)
            {
                if (r.Error is { } e)
                {
                    return asJson ? Remember(env, e) : await CliApp.ReportAsync(env, e);
                }
            }

            return results.All(r => r.IsClean) ? ExitCodes.Ok : ExitCodes.Corruption;
        });
        return cmd;
    }

    private static int Remember(CliEnvironment env, PluginError e)
    {
        env.LastError = e;
        return CliApp.ExitCodeFor(e);
    }

    private static async Task<SetSources?> LoadSourcesAsync(CliEnvironment env, string[] froms, string scratchParent, CancellationToken ct)
    {
        if (froms.Length == 0)
        {
            return null;
        }

        Directory.CreateDirectory(scratchParent);
        return await SetSources.LoadAsync(froms, env.OpenBinaryIn, scratchParent, ct);
    }

    public static Command Restore(CliEnvironment env)
    {
        var set = new Argument<string?>("SET-ID") { Description = "The set to restore to: its chain (full + incrementals) is restored. With --from it may be omitted: the newest set found.", Arity = ArgumentArity.ZeroOrOne };
        var to = new Option<string>("--to") { Description = "Destination directory (must be empty unless --force).", Required = true };
        var from = FromOption();
        var force = new Option<bool>("--force") { Description = "Write into a non-empty destination, replacing files." };
        var checkpoint = new Option<bool>("--include-checkpoint") { Description = "Also restore the checkpoint file." };
        var eseRestore = new Option<bool>("--ese-restore")
        {
            Description = "After laying the files out, let ESE restore them (JetRestoreInstance: replays the logs into the databases). Needs esent.dll (Windows).",
        };
        var json = CliApp.JsonOption();
        var cmd = new Command("restore", "Restore a set's chain into a directory in the layout ESE recovery expects (or, with --ese-restore, through ESE). From the catalog, or with --from from directories and tar streams, no catalog needed.")
        {
            set, to, from, force, checkpoint, eseRestore, json,
        };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var id = parse.GetValue(set);
            var destination = Path.GetFullPath(parse.GetValue(to)!);
            using var sources = await LoadSourcesAsync(env, parse.GetValue(from) ?? [], Path.GetDirectoryName(destination) ?? destination, ct);
            if (sources is null && id is null)
            {
                return await CliApp.UsageAsync(env, "Name the set to restore, or give --from.");
            }

            var (chainDirectories, problem) = sources is not null ? ChainFromSources(sources, id) : ChainFromCatalog(session, id!);
            if (problem is not null)
            {
                return await CliApp.ReportAsync(env, problem);
            }

            var request = new RestoreRequest(chainDirectories, destination)
            {
                Overwrite = parse.GetValue(force),
                IncludeCheckpoint = parse.GetValue(checkpoint),
                Mode = parse.GetValue(eseRestore) ? RestoreMode.EseRestore : RestoreMode.FilesOnly,
            };
            return await RunRestoreAsync(env, session, request, parse.GetValue(json), ct);
        });
        return cmd;
    }

    /// <summary>The chain's set directories as found by <c>--from</c>, oldest first.</summary>
    private static (IReadOnlyList<string> Directories, PluginError? Error) ChainFromSources(SetSources sources, string? id)
    {
        if (sources.Error is { } loadError)
        {
            return ([], loadError);
        }

        var (found, problem) = sources.ChainEndingAt(id);
        return ([.. found.Select(f => f.Directory)], problem);
    }

    /// <summary>The chain's set directories as the catalog keeps them, oldest first; every one must be restorable.</summary>
    private static (IReadOnlyList<string> Directories, PluginError? Error) ChainFromCatalog(CliSession session, string id)
    {
        var chain = session.Catalog.ChainEndingAt(id);
        if (chain.Count == 0)
        {
            return ([], new PluginError(ErrorCodes.SetNotFound, $"No set '{id}' in catalog '{session.Catalog.DatabasePath}'."));
        }

        // A set whose run ended after storing it but before completing it is Failed with its path: restorable (as the last set).
        var unusable = chain.FirstOrDefault(r => r.SetPath is null
            || !(r.State is HostSetState.Stored or HostSetState.Completed or HostSetState.Exported || (r.State == HostSetState.Failed && r.SetId == id && Directory.Exists(r.SetPath))));
        return unusable is null
            ? ([.. chain.Select(r => r.SetPath!)], null)
            : ([], new PluginError(ErrorCodes.SetNotFound, $"Set '{unusable.SetId}' of the chain is {unusable.State.ToString().ToLowerInvariant()}{(unusable.SetPath is null ? " and was never kept as a directory (a tar stream: restore it with --from)" : string.Empty)} and cannot be restored from the catalog."));
    }

    private static async Task<int> RunRestoreAsync(CliEnvironment env, CliSession session, RestoreRequest request, bool asJson, CancellationToken ct)
    {
        var result = await ProgressView.RunAsync(env, asJson, "restore", p => session.Plugin.Plugin.RestoreAsync(request, p, ct));
        if (asJson)
        {
            await JsonOut.WriteAsync(env, result, ContractJsonContext.Default.RestoreResult);
        }
        else if (result.Succeeded)
        {
            var how = request.Mode == RestoreMode.EseRestore ? " and restored them through ESE (JetRestoreInstance)" : string.Empty;
            env.Console.MarkupLine($"restored {result.Files.Count} files (logs {Markup.Escape(result.LogRange?.ToString() ?? "-")}) from {request.SetDirectories.Count} set(s) into {Markup.Escape(request.Destination)}{how}");
        }

        return result.Error is { } e ? (asJson ? Remember(env, e) : await CliApp.ReportAsync(env, e)) : ExitCodes.Ok;
    }

    private static string? SetDirectory(CliSession session, string set)
    {
        if (Directory.Exists(set))
        {
            return Path.GetFullPath(set);
        }

        // Read-only: a set id is looked up without creating or migrating anything (a mistyped --repository is an error).
        var row = session.ReadOnlyCatalog.Find(set);
        if (row?.SetPath is { } p)
        {
            return p;
        }

        var staged = Path.Combine(session.RepositoryPaths.StagingDirectory, set);
        return Directory.Exists(staged) ? staged : null;
    }
}
