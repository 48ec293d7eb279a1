using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using EseBackupPlugin.Ese.Engine.Verification;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>
/// A second opinion from an independent parser: Debian's <c>esedbinfo</c> (libesedb-utils). It prints the page size,
/// the current format (version, revision) and the format the database was created in; those must agree with our
/// header parse. esedbinfo 20181229 prints no database state; the state is checked against SOURCES.md elsewhere.
/// </summary>
public partial class EsedbinfoCrossCheckTests
{
    [EsedbinfoTheory]
    [MemberData(nameof(RealFiles.DatabaseNames), MemberType = typeof(RealFiles))]
    public async Task Esedbinfo_agrees_on_page_size_and_formats(string name)
    {
        var file = RealFiles.Get(name);
        var ours = (await EseFileVerifier.VerifyAsync(file.Path)).Database!;
        var (exit, output) = await RunAsync(file);

        if (exit != 0)
        {
            // libesedb 20181229 checksums only the first 668 header bytes; Windows 11 era headers (format revision
            // 0xC8 and later) use bytes up to ~680, so it refuses those valid headers. Nothing else may fail.
            Assert.Contains("mismatch in file header checksum", output, StringComparison.Ordinal);
            Assert.True(ours.FormatRevision >= 0xC8, $"esedbinfo failed on {name}: {output}");
            Assert.True(XorChecksum.IsValid(File.ReadAllBytes(file.Path).AsSpan(0, ours.PageSize)));
            return;
        }

        var page = PageSizeLine().Match(output);
        var current = CurrentFormatLine().Match(output);
        var created = CreatedFormatLine().Match(output);
        Assert.True(page.Success && current.Success && created.Success, output);
        Assert.Equal(ours.PageSize, int.Parse(page.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Equal(ours.FormatVersion, Convert.ToUInt32(current.Groups[1].Value, 16));
        Assert.Equal(ours.FormatRevision, uint.Parse(current.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Equal(ours.CreateVersion, Convert.ToUInt32(created.Groups[1].Value, 16));
        Assert.Equal(ours.CreateRevision, uint.Parse(created.Groups[2].Value, CultureInfo.InvariantCulture));
        Assert.Contains("File type:\t\tDatabase", output, StringComparison.Ordinal);
    }

    [EsedbinfoFact]
    public async Task Esedbinfo_opens_most_real_databases()
    {
        var opened = 0;
        foreach (var file in RealFiles.OfKind(EseFileKind.Database))
        {
            if ((await RunAsync(file)).Exit == 0)
            {
                opened++;
            }
        }

        // SOURCES.md: every database except the two Windows 11 era ones.
        Assert.Equal(RealFiles.OfKind(EseFileKind.Database).Count() - 2, opened);
    }

    internal static string? EsedbinfoPath { get; } = FindOnPath("esedbinfo");

    private static readonly Dictionary<string, Task<(int Exit, string Output)>> Runs = [];

    // One esedbinfo run per file for the whole class. For the 24 MiB large.edb esedbinfo spends about half a
    // minute listing its long values; the facts compared come from the header, so it reads the first 64 pages
    // (the catalog and its backup are inside them) from a temp copy instead.
    private static Task<(int Exit, string Output)> RunAsync(RealFile file)
    {
        lock (Runs)
        {
            if (!Runs.TryGetValue(file.RelativePath, out var run))
            {
                run = file.Gzipped ? RunOnPrefixAsync(file.Path, 64 * 32768) : RunAsync(file.Path);
                Runs[file.RelativePath] = run;
            }

            return run;
        }
    }

    private static async Task<(int Exit, string Output)> RunOnPrefixAsync(string path, int length)
    {
        using var temp = new Support.TempDirectory();
        var prefix = temp.Combine(Path.GetFileName(path));
        var bytes = new byte[length];
        await using (var s = File.OpenRead(path))
        {
            await s.ReadExactlyAsync(bytes);
        }

        await File.WriteAllBytesAsync(prefix, bytes);
        return await RunAsync(prefix);
    }

    private static async Task<(int Exit, string Output)> RunAsync(string path)
    {
        var psi = new ProcessStartInfo(EsedbinfoPath!, [path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    private static string? FindOnPath(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, tool);
            if (dir.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    [GeneratedRegex(@"Page size:\s+(\d+) bytes")]
    private static partial Regex PageSizeLine();

    [GeneratedRegex(@"Current format:\s+0x([0-9a-fA-F]+),(\d+)")]
    private static partial Regex CurrentFormatLine();

    [GeneratedRegex(@"Created in format:\s+0x([0-9a-fA-F]+),(\d+)")]
    private static partial Regex CreatedFormatLine();
}

/// <summary>A fact that is skipped, with the reason, when esedbinfo is not installed (CI installs it).</summary>
internal sealed class EsedbinfoFactAttribute : FactAttribute
{
    public EsedbinfoFactAttribute()
    {
        if (EsedbinfoCrossCheckTests.EsedbinfoPath is null)
        {
            Skip = EsedbinfoTheoryAttribute.Missing;
        }
    }
}

/// <summary>A theory that is skipped, with the reason, when esedbinfo is not installed (CI installs it).</summary>
internal sealed class EsedbinfoTheoryAttribute : TheoryAttribute
{
    public const string Missing = "esedbinfo is not installed (apt-get install libesedb-utils); the cross-check with libesedb cannot run.";

    public EsedbinfoTheoryAttribute()
    {
        if (EsedbinfoCrossCheckTests.EsedbinfoPath is null)
        {
            Skip = Missing;
        }
    }
}
