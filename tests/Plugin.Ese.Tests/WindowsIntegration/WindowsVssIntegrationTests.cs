using System.Diagnostics;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Targets;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Tests.Sources.Vss;
using Microsoft.Extensions.Configuration;
using Xunit.Abstractions;

namespace EseBackupPlugin.Ese.Tests.WindowsIntegration;

/// <summary>
/// The <c>WindowsIntegration</c> category's VSS part: on Windows, list the writers present on the machine
/// (<c>vssadmin list writers</c>), discover the ESE-based ones through the plugin and take a copy backup of the first
/// (skipped, with the reason, when the machine has none, as a stock runner may not). Off Windows the copy backup runs
/// against the vssapi.dll ABI fake's simulated NTDS writer; listing real writers has no fake and is skipped there.
/// </summary>
[Trait("Category", "WindowsIntegration")]
[Collection(FakeVssCollection.Name)]
public sealed class WindowsVssIntegrationTests(ITestOutputHelper output)
{
    [SkippableFact]
    public async Task A_copy_backup_of_an_ese_writer_verifies_and_truncates_nothing()
    {
        using var temp = new TempDirectory("vss-integration-");
        FakeVssWorld? world = null;
        var settings = new Dictionary<string, string?>
        {
            ["Engine:LockDirectory"] = temp.Combine("locks"),
            ["StateDirectory"] = temp.Combine("state"),
        };
        if (OperatingSystem.IsWindows())
        {
            output.WriteLine(await VssAdminListWritersAsync());
        }
        else
        {
            output.WriteLine("skipped off Windows: listing the machine's VSS writers needs vssapi.dll; the copy backup runs against the vssapi.dll fake's NTDS writer.");
            world = new FakeVssWorld();
            settings["Vss:NativeLibraryDirectory"] = AppContext.BaseDirectory;
            settings["Vss:AsyncTimeout"] = "00:00:05";
        }

        try
        {
            await using var plugin = new EsePlugin(null, new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), new InMemoryBackupCatalog());
            var targets = new List<BackupTarget>();
            await foreach (var t in plugin.DiscoverAsync(new DiscoveryRequest { Kinds = [TargetKind.VssWriter] }))
            {
                targets.Add(t);
            }

            foreach (var t in targets)
            {
                output.WriteLine($"ESE writer component: {t.Vss!.WriterName} {t.Vss.LogicalPath}\\{t.Vss.ComponentName} ({t.Id})");
            }

            Skip.If(targets.Count == 0, "No ESE-based VSS writer on this machine (NTDS, Exchange, DHCP, WINS, Certificate Services, ...): nothing to back up.");
            var target = world is null ? targets[0] : Assert.Single(targets, t => t.Vss!.WriterId == world.WriterId);

            var backup = await plugin.BackupAsync(new BackupRequest(target.Id, BackupKind.Copy, temp.Combine("staging")) { CreateStagingDirectory = true });
            Assert.True(backup.Succeeded, backup.Error?.ToString());
            Assert.Contains(backup.Manifest!.Files, f => f.Role == FileRole.Database);
            Assert.False(string.IsNullOrEmpty(backup.Manifest.VssBackupComponentsDocument));
            var verified = await plugin.VerifySetAsync(new VerifySetRequest(backup.SetDirectory!));
            Assert.True(verified.IsClean, string.Join("; ", verified.Findings.Select(f => f.Message)));

            var completion = await plugin.CompleteBackupAsync(new CompletionRequest(backup.Manifest, Succeeded: true));
            Assert.Null(completion.Error);
            Assert.Empty(completion.Truncation!.Removed);
            Assert.NotEqual(TruncationStatus.Truncated, completion.Truncation.Status);
        }
        finally
        {
            world?.Dispose();
        }
    }

    private static async Task<string> VssAdminListWritersAsync()
    {
        var info = new ProcessStartInfo("vssadmin") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("list");
        info.ArgumentList.Add("writers");
        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return $"vssadmin list writers (exit {process.ExitCode}):\n{text}";
    }
}
