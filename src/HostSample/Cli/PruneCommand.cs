using EseBackupPlugin.Abstractions.Errors;
using System.CommandLine;
using EseBackupPlugin.HostSample.Catalog;
using EseBackupPlugin.HostSample.Hosting;
using EseBackupPlugin.HostSample.Output;
using Spectre.Console;

namespace EseBackupPlugin.HostSample.Cli;

/// <summary>
/// <c>esebackup prune</c>: forgets failed and abandoned sets, and sets that were never completed once they are older than
/// a grace period (a pending set younger than that may still be waiting for its <c>hook post</c>). A never-completed set is
/// first abandoned (<c>AbandonBackupAsync</c>), so the plugin truncates nothing, keeps every log and releases the target;
/// its files are removed only when they are inside the repository (a directory given to <c>--out</c> belongs to the pipeline that stored it).
/// </summary>
internal static class PruneCommand
{
    public static Command Prune(CliEnvironment env)
    {
        var target = new Option<string?>("--target") { Description = "Only sets of this target id." };
        var olderThan = new Option<double>("--pending-older-than")
        {
            Description = "Also prune never-completed sets (stored, staged or exported) started more than this many hours ago (default 168; 0: all of them).",
            DefaultValueFactory = _ => 168,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be pruned." };
        var json = CliApp.JsonOption();
        var cmd = new Command("prune", "Remove failed, abandoned and never-completed sets from the catalog (and their files in the repository).") { target, olderThan, dryRun, json };
        CliApp.Handle(cmd, env, async (parse, session, ct) =>
        {
            if (parse.GetValue(olderThan) < 0)
            {
                return await CliApp.UsageAsync(env, "--pending-older-than cannot be negative.");
            }

            await HostWorkflow.RecoverAbandonedRunsAsync(session, ct);
            var cutoff = DateTimeOffset.UtcNow - TimeSpan.FromHours(parse.GetValue(olderThan));
            var candidates = session.Catalog.List(parse.GetValue(target))
                .Where(r => r.State is HostSetState.Failed or HostSetState.Abandoned
                    || (r.State is HostSetState.Stored or HostSetState.Staged or HostSetState.Exported && r.StartedAt <= cutoff))
                .ToList();
            var pruned = new List<PrunedSet>();
            var kept = new List<KeptSet>();
            foreach (var row in candidates)
            {
                if (parse.GetValue(dryRun))
                {
                    pruned.Add(new PrunedSet(row.SetId, row.TargetId, CatalogCommands.Camel(row.State.ToString()), row.SetPath, false, null));
                    continue;
                }

                var (done, keptBecause) = await PruneAsync(session, row, ct);
                if (done is not null)
                {
                    pruned.Add(done);
                }
                else
                {
                    kept.Add(new KeptSet(row.SetId, keptBecause!));
                    await env.Error.WriteLineAsync($"kept {row.SetId}: {keptBecause!.Code.Name}: {keptBecause.Message}");
                }
            }

            if (parse.GetValue(json))
            {
                await JsonOut.WriteAsync(env, new PruneOutput(parse.GetValue(dryRun), pruned, kept), HostJsonContext.Default.PruneOutput);
            }
            else
            {
                foreach (var p in pruned)
                {
                    env.Console.MarkupLine($"{(parse.GetValue(dryRun) ? "would prune" : "pruned")} {Markup.Escape(p.SetId)} ({p.State}){(p.FilesRemoved ? ", files removed" : string.Empty)}");
                }

                env.Console.MarkupLine($"{pruned.Count} set(s)");
            }

            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>Prunes one set, or says why it must be kept (the plugin could not give it up).</summary>
    private static async Task<(PrunedSet? Pruned, PluginError? KeptBecause)> PruneAsync(CliSession session, CatalogRow row, CancellationToken ct)
    {
        Abstractions.Manifest.TruncationReport? truncation = null;
        if (row.State is not (HostSetState.Failed or HostSetState.Abandoned) && row.Manifest is not null)
        {
            // Never completed: abandoned first (the contract's way to give up on a staged set: every log kept, the target
            // released), so nothing is ever truncated on the strength of a pruned set.
            var abandoned = await session.Plugin.Plugin.AbandonBackupAsync(row.SetId, ct);
            if (abandoned.Error is { } error && error.Code != ErrorCodes.SetNotFound)
            {
                // E.g. AlreadyCompleted: the plugin's journal says the set was (or is being) completed with success, so
                // its logs may be gone from the source and these files hold the only copy of them; or the journal could
                // not be read. A catalog that missed the verdict is never a reason to delete. (SetNotFound: the plugin
                // holds nothing for this set, so there is nothing to give up and the files may go.)
                return (null, error);
            }

            truncation = abandoned.Truncation;
        }

        var removed = false;
        foreach (var dir in new[] { row.SetPath, Path.Combine(session.Repository.StagingDirectory, row.SetId) })
        {
            if (dir is not null && IsInside(dir, session.Repository.Root) && Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
                removed = true;
            }
        }

        session.Catalog.Delete(row.SetId);
        HookState.Forget(session.StateDirectory, row.SetId);
        return (new PrunedSet(row.SetId, row.TargetId, CatalogCommands.Camel(row.State.ToString()), row.SetPath, removed, truncation), null);
    }

    private static bool IsInside(string path, string root)
    {
        var relative = Path.GetRelativePath(Path.GetFullPath(root), Path.GetFullPath(path));
        return relative != "." && !relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative);
    }
}
