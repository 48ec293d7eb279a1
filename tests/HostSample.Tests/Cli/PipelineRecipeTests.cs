using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// The restic and Borg recipes of docs/pipelines.md, run verbatim with bash against the real tools and the built
/// <c>esebackup</c>: a full and an incremental into each product, restored with the product's own restore / dump /
/// export-tar / extract, then <c>esebackup restore --from</c>, and the restored files compared byte for byte with the source
/// files as they were when each set was taken. A failing product run completes the set as failed: nothing is truncated.
/// </summary>
public sealed partial class PipelineRecipeTests
{
    [UnixToolsFact]
    public Task Restic_stream_full_and_incremental_restore_byte_identical() => RoundTripAsync("restic-init", "restic-stream-backup", "restic-stream-restore");

    [UnixToolsFact]
    public Task Restic_staged_directory_full_and_incremental_restore_byte_identical() => RoundTripAsync("restic-init", "restic-staged-backup", "restic-staged-restore");

    [UnixToolsFact]
    public Task Borg_import_tar_full_and_incremental_restore_byte_identical() => RoundTripAsync("borg-init", "borg-stream-backup", "borg-stream-restore");

    [UnixToolsFact]
    public Task Borg_create_staged_directory_full_and_incremental_restore_byte_identical() => RoundTripAsync("borg-init", "borg-staged-backup", "borg-staged-restore");

    [UnixToolsFact]
    public Task A_failed_restic_run_completes_the_set_as_failed_and_truncates_nothing() =>
        FailedRunAsync("restic-init", "restic-stream-backup", rig => rig.Environment["RESTIC_PASSWORD"] = "not-the-password");

    [UnixToolsFact]
    public Task A_failed_borg_run_completes_the_set_as_failed_and_truncates_nothing() =>
        FailedRunAsync("borg-init", "borg-stream-backup", rig => rig.Environment["BORG_REPO"] = rig.Temp.Combine("no-such-borg-repo"));

    [Fact]
    public void Every_tested_recipe_named_in_the_docs_exists()
    {
        var names = Recipes().Keys.ToList();
        foreach (var name in new[] { "restic-init", "restic-stream-backup", "restic-stream-restore", "restic-staged-backup", "restic-staged-restore", "borg-init", "borg-stream-backup", "borg-stream-restore", "borg-staged-backup", "borg-staged-restore" })
        {
            Assert.Contains(name, names);
        }
    }

    private static async Task RoundTripAsync(string init, string backup, string restore)
    {
        using var rig = await Rig.CreateAsync();
        (await rig.RunRecipeAsync(init)).AssertOk(init);

        // Full, then three more log generations and an incremental (--kind auto picks both). The source as each backup
        // reads it: taken just before, since only the completion at the end of the recipe changes it (truncation).
        var atFull = CliKit.HashTree(rig.Ese);
        (await rig.RunRecipeAsync(backup)).AssertOk(backup + " (full)");
        await SamplePlugin.AdvanceAsync(rig.Ese, 3);
        var atIncremental = CliKit.HashTree(rig.Ese);
        (await rig.RunRecipeAsync(backup)).AssertOk(backup + " (incremental)");

        var sets = await rig.CatalogAsync();
        Assert.Equal(["full", "incremental"], sets.Select(s => s["kind"]!.GetValue<string>()).Reverse());
        Assert.All(sets, s => Assert.Equal("completed", s["state"]!.GetValue<string>()));
        Assert.All(sets, s => Assert.StartsWith(backup.Split('-')[0] + ":", s["externalRef"]!.GetValue<string>(), StringComparison.Ordinal));

        (await rig.RunRecipeAsync(restore)).AssertOk(restore);
        var restored = CliKit.HashTree(rig.Restore);
        Assert.Contains("database1.edb", restored.Keys);
        Assert.True(restored.Keys.Count(k => k.EndsWith(".log", StringComparison.Ordinal)) >= 4, string.Join(", ", restored.Keys));

        // Byte-identical: each restored file is the source file as it was when the newest set holding it was taken.
        var fullManifest = await rig.ManifestAsync(sets[^1]["setId"]!.GetValue<string>());
        var incrementalManifest = await rig.ManifestAsync(sets[0]["setId"]!.GetValue<string>());
        foreach (var (name, hash) in restored)
        {
            var (manifest, when) = Holds(incrementalManifest, name) ? (incrementalManifest, atIncremental) : (fullManifest, atFull);
            var sourcePath = manifest["files"]!.AsArray().First(f => Path.GetFileName(f!["path"]!.GetValue<string>()) == name)!["sourcePath"]!.GetValue<string>();
            Assert.True(when[Path.GetRelativePath(rig.Ese, sourcePath)] == hash, $"{name} differs from {sourcePath} at backup time");
        }
    }

    private static bool Holds(JsonNode manifest, string name) => manifest["files"]!.AsArray().Any(f => Path.GetFileName(f!["path"]!.GetValue<string>()) == name);

    private static async Task FailedRunAsync(string init, string backup, Action<Rig> breakTheProduct)
    {
        using var rig = await Rig.CreateAsync();
        (await rig.RunRecipeAsync(init)).AssertOk(init);
        (await rig.RunRecipeAsync(backup)).AssertOk(backup + " (full)");
        await SamplePlugin.AdvanceAsync(rig.Ese, 3);
        var before = CliKit.HashTree(rig.Ese);

        breakTheProduct(rig);
        var failed = await rig.RunRecipeAsync(backup);
        Assert.True(failed.ExitCode != 0, "the recipe must fail when the product fails\n" + failed);

        var sets = await rig.CatalogAsync();
        Assert.Equal("failed", sets[0]["state"]!.GetValue<string>());
        Assert.Equal("incremental", sets[0]["kind"]!.GetValue<string>());
        Assert.Equal(before, CliKit.HashTree(rig.Ese)); // nothing truncated
        Assert.Null(sets[0]["truncation"]?["removed"]?.AsArray().FirstOrDefault());

        // Nothing pending, nothing locked: 'hook post' has no set left, and a new backup runs.
        var post = await rig.EsebackupAsync("hook", "post", rig.Ese, "--status", "ok");
        Assert.Equal(ExitCodes.NotFound, post.ExitCode);
        Assert.Equal(ExitCodes.Ok, (await rig.EsebackupAsync("backup", rig.Ese, "--kind", "copy", "--out", rig.Temp.Combine("later"))).ExitCode);
    }

    /// <summary>The recipes of docs/pipelines.md: a <c>&lt;!-- recipe: NAME --&gt;</c> line, then a fenced sh block.</summary>
    internal static Dictionary<string, string> Recipes()
    {
        var text = File.ReadAllText(Path.Combine(TestSupport.RepoRoot, "docs", "pipelines.md"));
        return RecipePattern().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
    }

    [GeneratedRegex(@"<!-- recipe: ([a-z0-9-]+) -->\s*```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex RecipePattern();

    /// <summary>A scratch world for one recipe test: an ESE file set, product repositories, an esebackup on PATH.</summary>
    private sealed class Rig : IDisposable
    {
        private Rig(TempDir temp)
        {
            Temp = temp;
            var bin = temp.Combine("bin");
            Directory.CreateDirectory(bin);
            var wrapper = Path.Combine(bin, "esebackup");
            File.WriteAllText(wrapper, $"#!/bin/sh\nexec dotnet \"{CliKit.HostDll}\" \"$@\"\n");
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            Directory.CreateDirectory(temp.Combine("work"));
            Environment = new Dictionary<string, string>(CliKit.ChildEnvironment(temp, bufferSize: 1 << 20), StringComparer.Ordinal)
            {
                ["PATH"] = bin + ":" + System.Environment.GetEnvironmentVariable("PATH"),
                ["HOME"] = temp.Combine("home"),
                ["XDG_CACHE_HOME"] = temp.Combine("cache"),
                ["ESEBACKUP_Host__Repository"] = temp.Combine("esebackup"),
                ["ESE"] = temp.Combine("ese"),
                ["WORK"] = temp.Combine("work"),
                ["STAGING"] = temp.Combine("staging"),
                ["RESTORE"] = temp.Combine("restore"),
                ["RESTIC_REPOSITORY"] = temp.Combine("restic"),
                ["RESTIC_PASSWORD"] = "recipe-test",
                ["BORG_REPO"] = temp.Combine("borg"),
                ["BORG_BASE_DIR"] = temp.Combine("borg-base"),
                ["BORG_PASSPHRASE"] = string.Empty,
                ["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "yes",
                ["BORG_RELOCATED_REPO_ACCESS_IS_OK"] = "yes",
            };
        }

        public TempDir Temp { get; }

        public Dictionary<string, string> Environment { get; }

        public string Ese => Environment["ESE"];

        public string Restore => Environment["RESTORE"];

        public static async Task<Rig> CreateAsync()
        {
            var rig = new Rig(new TempDir());
            await SamplePlugin.CreateAsync(rig.Ese, databaseBytes: 1L << 20, generations: 4);
            return rig;
        }

        public Task<CliRun> RunRecipeAsync(string name)
        {
            Assert.True(Recipes().TryGetValue(name, out var script), $"docs/pipelines.md has no recipe '{name}'");
            return RunAsync("bash", ["-o", "pipefail", "-c", "set -u\n" + script], Environment["WORK"]);
        }

        public Task<CliRun> EsebackupAsync(params string[] args) => RunAsync("esebackup", args, Environment["WORK"]);

        /// <summary>The catalog's sets, newest first.</summary>
        public async Task<List<JsonNode>> CatalogAsync()
        {
            var run = await EsebackupAsync("catalog", "list", "--json");
            run.AssertOk("catalog list");
            return [.. run.Json.AsArray().Select(n => n!)];
        }

        public async Task<JsonNode> ManifestAsync(string setId)
        {
            var run = await EsebackupAsync("catalog", "show", setId, "--json");
            run.AssertOk("catalog show");
            return run.Json["manifest"]!;
        }

        private async Task<CliRun> RunAsync(string program, string[] args, string workingDirectory)
        {
            var info = new ProcessStartInfo(program)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = workingDirectory,
            };
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }

            foreach (var (k, v) in Environment)
            {
                info.Environment[k] = v;
            }

            // The wrapper finds 'esebackup' on PATH, and so does a recipe.
            if (program == "esebackup")
            {
                info.FileName = Path.Combine(Temp.Combine("bin"), "esebackup");
            }

            using var p = Process.Start(info)!;
            var outTask = p.StandardOutput.ReadToEndAsync();
            var errTask = p.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await p.WaitForExitAsync(timeout.Token);
            return new CliRun(p.ExitCode, await outTask, await errTask);
        }

        public void Dispose() => Temp.Dispose();
    }
}

/// <summary>A [Fact] that needs bash, restic and borg: Unix only (CI installs the tools, see .ci/run).</summary>
public sealed class UnixToolsFactAttribute : FactAttribute
{
    public UnixToolsFactAttribute()
    {
        if (OperatingSystem.IsWindows())
        {
            Skip = "The pipeline recipes are shell scripts run against restic and borg on Unix.";
        }
    }
}

/// <summary>Assertions on a finished run.</summary>
internal static class CliRunAssertions
{
    public static void AssertOk(this CliRun run, string what) => Assert.True(run.ExitCode == 0, $"{what} failed:\n{run}");
}
