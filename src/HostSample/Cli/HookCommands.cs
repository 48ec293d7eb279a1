using System.CommandLine;
using System.Globalization;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// <c>esebackup hook pre|post</c>: the two halves of a backup for a product's pre-job and post-job scripts. <c>pre</c> runs
/// phase one (into the repository, a directory the product backs up, or a tar stream the product reads) and remembers the
/// pending set per target; <c>post</c> takes the job's outcome and completes that set: success truncates logs (and prints
/// the report), anything else completes it as failed and truncates nothing. A second <c>pre</c> without a <c>post</c>
/// abandons the forgotten set first.
/// </summary>
internal static class HookCommands
{
    /// <summary>Status words that mean the job stored the data (any case). Everything else is a failure.</summary>
    private static readonly HashSet<string> SuccessWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "0", "ok", "success", "succeeded", "successful", "completed", "t", "backup ok", "true",
    };

    public static Command Hook(CliEnvironment env)
    {
        var cmd = new Command("hook", "Pre-/post-job script mode: 'hook pre' stages or streams a set and remembers it per target; 'hook post' completes it from the job's status.");
        cmd.Subcommands.Add(Pre(env));
        cmd.Subcommands.Add(Post(env));
        return cmd;
    }

    private static Command Pre(CliEnvironment env)
    {
        var target = new Argument<string>("TARGET") { Description = "A target id or a directory holding one ESE file set; give 'hook post' the same." };
        var level = new Option<string?>("--level") { Description = "The job's level: " + JobLevels.Words + ". Default: auto." };
        var kind = new Option<string?>("--kind")
        {
            Description = "auto: adjust the level to the chain (a full when the chain needs one, a copy under circular logging); or a kind that overrides the level.",
        };
        var output = BackupCommands.OutOption();
        var strategy = new Option<string?>("--strategy") { Description = "Copy strategy (see 'backup --help')." };
        var externalRef = BackupCommands.ExternalRefOption();
        var printSetId = BackupCommands.PrintSetIdOption();
        var paths = TargetCommands.PathOption();
        var json = CliApp.JsonOption();
        var cmd = new Command("pre", "Phase one for a pre-job script (or a bpipe reader with --out -): stage or stream a set and remember it as the target's pending set.")
        {
            target, level, kind, output, strategy, externalRef, printSetId, paths, json,
        };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            var asJson = parse.GetValue(json);
            var quiet = parse.GetValue(printSetId);
            var outValue = parse.GetValue(output);
            if (BackupCommands.StreamSharesStdout(outValue, asJson, quiet))
            {
                return await CliApp.UsageAsync(env, BackupCommands.StreamSharesStdoutMessage);
            }

            var levelChoice = JobLevels.Parse(parse.GetValue(level) ?? "auto");
            var kindChoice = parse.GetValue(kind) is { } k ? JobLevels.Parse(k) : null;
            if (levelChoice is null || (parse.GetValue(kind) is not null && kindChoice is null))
            {
                return await CliApp.UsageAsync(env, $"Unknown level or kind; use one of: {JobLevels.Words}.");
            }

            var targetArgument = parse.GetValue(target)!;
            var resolved = await HostWorkflow.ResolveTargetAsync(session, targetArgument, parse.GetValue(paths) ?? [], ct);
            if (resolved.Error is { } problem)
            {
                return await CliApp.ReportAsync(env, problem);
            }

            if (levelChoice.Note is { } note)
            {
                await env.Error.WriteLineAsync("note: " + note);
            }

            // --kind names the kind outright, or (auto) lets the chain adjust the level; without it the level is the kind.
            var chosen = kindChoice is { Kind: { } explicitKind } ? explicitKind
                : kindChoice is not null || levelChoice.Kind is null ? (await JobLevels.ResolveAutoAsync(session, resolved, levelChoice.Kind, ct)).Kind
                : levelChoice.Kind.Value;

            await AbandonPreviousAsync(env, session, targetArgument, ct);
            var result = await BackupCommands.RunBackupAsync(env, session, resolved, chosen, parse.GetValue(strategy), outValue, complete: false, asJson || quiet, ct);
            if (result.Error is null && result.SetId.Length > 0)
            {
                new HookState(result.SetId, resolved.Id, targetArgument, CatalogCommands.Camel(chosen.ToString()), outValue, DateTimeOffset.UtcNow).Write(session.StateDirectory);
                if (parse.GetValue(externalRef) is { } reference)
                {
                    session.Catalog.SetExternalRef(result.SetId, reference);
                }
            }

            return await BackupCommands.PrintBackupAsync(env, result, asJson, quiet, outValue == "-");
        });
        return cmd;
    }

    /// <summary>
    /// A pending set whose post-job script never ran (the job was killed, the script was not configured) is abandoned
    /// (<c>AbandonBackupAsync</c>, the contract's way to give up on a staged set: every log kept, the target released)
    /// before a new one starts, so the new set does not inherit its place. The row stays as a stored set that never
    /// completed is kept: failed, and restorable. A set the plugin will not give up (it was completed with success, and
    /// the catalog missed the verdict) is left as it is and named.
    /// </summary>
    private static async Task AbandonPreviousAsync(CliEnvironment env, CliSession session, string targetArgument, CancellationToken ct)
    {
        if (HookState.Read(session.StateDirectory, targetArgument) is not { } previous)
        {
            return;
        }

        var row = session.Catalog.Find(previous.SetId);
        if (row?.Manifest is not null && row.State is HostSetState.Stored or HostSetState.Exported)
        {
            var abandoned = await session.Plugin.Plugin.AbandonBackupAsync(row.SetId, ct);
            // Not found, or a lease that already ended: the plugin has given the set up already (every log kept).
            if (abandoned.Error is { } refused && refused.Code != ErrorCodes.SetNotFound && refused.Code != ErrorCodes.LeaseExpired)
            {
                await env.Error.WriteLineAsync($"warning: set {previous.SetId} of this target never got its 'hook post', and the plugin would not abandon it: {refused.Code.Name}: {refused.Message} It is left as it is; 'esebackup complete {previous.SetId}' settles it.");
            }
            else
            {
                session.Catalog.MarkFailed(row.SetId, "Abandoned: a new 'hook pre' started before 'hook post' reported this set.");
                await env.Error.WriteLineAsync($"warning: set {previous.SetId} of this target never got its 'hook post'; it was abandoned (nothing truncated).");
            }
        }

        HookState.Remove(session.StateDirectory, targetArgument);
    }

    private static Command Post(CliEnvironment env)
    {
        var target = new Argument<string>("TARGET") { Description = "The TARGET given to 'hook pre'." };
        var status = new Option<string>("--status")
        {
            Description = "The job's status: 0, ok, success, T (Bacula JobStatus) mean success; anything else is a failure (nothing is truncated).",
            Required = true,
        };
        var jobErrors = new Option<string?>("--job-errors")
        {
            Description = "The job's error count (Bacula %E / JobErrors): anything but 0 is a failure whatever the status says. Bacula ends a job whose bpipe "
                + "reader failed as 'OK -- with warnings' (JobStatus T, JobErrors 1), so Bacula recipes must pass it.",
        };
        var externalRef = BackupCommands.ExternalRefOption();
        var json = CliApp.JsonOption();
        var cmd = new Command("post", "Phase two for a post-job script: complete the target's pending set from the job's status (success: truncate logs; else: failed, nothing truncated).")
        {
            target, status, jobErrors, externalRef, json,
        };
        CliApp.Handle(cmd, env, (parse, session, ct) =>
        {
            var (succeeded, verdict) = Verdict(parse.GetValue(status)!, parse.GetValue(jobErrors));
            return PostAsync(env, session, parse.GetValue(target)!, succeeded, verdict, parse.GetValue(externalRef), parse.GetValue(json), ct);
        });
        return cmd;
    }

    /// <summary><c>hook post TARGET</c>: completes the target's pending set with the job's verdict.</summary>
    private static async Task<int> PostAsync(
        CliEnvironment env, CliSession session, string targetArgument, bool succeeded, string verdict, string? externalRef, bool asJson, CancellationToken ct)
    {
        if (HookState.Read(session.StateDirectory, targetArgument) is not { } pending)
        {
            return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"No pending set for '{targetArgument}' in '{session.StateDirectory}': 'hook pre' did not run for it, or 'hook post' already did."));
        }

        var row = session.Catalog.Find(pending.SetId);
        if (row?.Manifest is null)
        {
            HookState.Remove(session.StateDirectory, targetArgument);
            return await CliApp.ReportAsync(env, new PluginError(ErrorCodes.SetNotFound, $"The pending set {pending.SetId} is not in catalog '{session.Catalog.DatabasePath}'."));
        }

        if (externalRef is not null)
        {
            session.Catalog.SetExternalRef(row.SetId, externalRef);
        }

        var result = await CompletePendingAsync(session, row, succeeded, verdict, ct);

        // A busy target can be retried; everything else ends this set's pending state.
        if (result.Error?.Code.IsTransient != true)
        {
            HookState.Remove(session.StateDirectory, targetArgument);
        }

        var output = new HookPostOutput(row.SetId, row.TargetId, succeeded, verdict, result.Truncation, result.Error);
        if (asJson)
        {
            await JsonOut.WriteAsync(env, output, HostJsonContext.Default.HookPostOutput);
        }
        else
        {
            env.Console.MarkupLine($"set {Markup.Escape(row.SetId)}: completed as [bold]{(succeeded ? "succeeded" : "failed")}[/] ({Markup.Escape(verdict)})");
            ResultView.Truncation(env, result.Truncation);
        }

        if (result.Error is { } e)
        {
            env.LastError = e;
            await env.Error.WriteLineAsync($"error: {e}");
            return CliApp.ExitCodeFor(e);
        }

        return ExitCodes.Ok;
    }

    /// <summary>The pending set's completion, or, when it was completed already, the recorded outcome.</summary>
    private static async Task<CompletionResult> CompletePendingAsync(CliSession session, CatalogRow row, bool succeeded, string verdict, CancellationToken ct)
    {
        if (row.State is not (HostSetState.Completed or HostSetState.Failed or HostSetState.Abandoned))
        {
            return await BackupCommands.CompleteWithVerdictAsync(session, row, succeeded, $"The job reported '{verdict}'.", ct);
        }

        // Completed already (by 'complete', or an earlier post that lost its answer): the same verdict is the recorded report.
        var same = succeeded == (row.State == HostSetState.Completed);
        return same
            ? new CompletionResult { Truncation = row.Truncation }
            : new CompletionResult { Truncation = row.Truncation, Error = new PluginError(ErrorCodes.AlreadyCompleted, $"Set {row.SetId} is already {row.State.ToString().ToLowerInvariant()}.") { TargetId = row.TargetId } };
    }

    /// <summary>
    /// Success only when the status is a success word AND the job counted no errors: a product may call a job that lost
    /// data "OK -- with warnings" (Bacula), so the error count, when given, wins.
    /// </summary>
    internal static (bool Succeeded, string Why) Verdict(string status, string? jobErrors)
    {
        var text = status.Trim();
        if (jobErrors is not null)
        {
            if (!long.TryParse(jobErrors.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var errors) || errors != 0)
            {
                return (false, $"status '{text}' with {jobErrors.Trim()} job error(s)");
            }
        }

        if (text.Contains("warning", StringComparison.OrdinalIgnoreCase) || !SuccessWords.Contains(text))
        {
            return (false, $"status '{text}'");
        }

        return (true, $"status '{text}'" + (jobErrors is null ? string.Empty : ", no job errors"));
    }
}
