using System.Diagnostics;
using System.Formats.Tar;
using System.Security.Cryptography;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;
using EseBackupPlugin.Ese.Tests.Support;
using EseBackupPlugin.Ese.Samples;

namespace EseBackupPlugin.Ese.Tests.Engine;

/// <summary>
/// The engine's tar stream target (<see cref="IStreamingBackupPlugin"/>): the same set as a staged directory, byte for
/// byte, in one pass with nothing left in staging; and a failure between two entries (a file that vanished) ends the
/// stream with blocks no tar reader takes for a valid header, never the end-of-archive blocks.
/// </summary>
public class TarStreamTargetTests
{
    private static SyntheticEseSetInfo NewSet(TempDirectory temp) =>
        SyntheticEseSet.Create(temp.Combine("source"), new SyntheticEseOptions { PageSize = 8192, DatabasePages = 200, LogGenerations = 4, Seed = 5 });

    [Fact]
    public async Task The_stream_holds_the_same_files_as_a_staged_set_manifest_last_and_leaves_nothing_in_staging()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);

        var staged = await h.BackupAsync(target, BackupKind.Copy);
        Assert.True(staged.Succeeded, staged.Error?.ToString());
        Assert.Null((await h.Plugin.CompleteBackupAsync(new CompletionRequest(staged.Manifest!, Succeeded: true))).Error); // releases the target

        var stream = new MemoryStream();
        var streamed = await h.Plugin.BackupToStreamAsync(new BackupRequest(target.Id, BackupKind.Copy, h.Staging) { SearchPaths = [set.Directory] }, stream);
        Assert.True(streamed.Succeeded, streamed.Error?.ToString());
        Assert.Null(streamed.SetDirectory);

        var entries = await ReadAllAsync(stream.ToArray());
        Assert.Equal(BackupManifest.FileName, entries[^1].Name);
        Assert.Equal(streamed.Manifest!.Files.Select(f => f.Path), entries.SkipLast(1).Select(e => e.Name));
        foreach (var file in streamed.Manifest.Files)
        {
            var content = entries.Single(e => e.Name == file.Path).Content;
            Assert.Equal(file.Sha256, Convert.ToHexStringLower(SHA256.HashData(content)));
            Assert.Equal(EngineHarness.HashFile(Path.Combine(staged.SetDirectory!, file.Path)), file.Sha256);
        }

        Assert.Equal(streamed.Manifest.SetId, Abstractions.Json.ManifestJson.Deserialize(entries[^1].Content, "stream").SetId);
        Assert.DoesNotContain(h.StagingEntries(), e => e.StartsWith(".esebackup-partial-", StringComparison.Ordinal) || e == streamed.Manifest.SetId);
    }

    [Fact]
    public async Task A_file_that_vanishes_between_entries_ends_the_stream_with_an_invalid_header_and_no_end_of_archive()
    {
        using var temp = new TempDirectory();
        var set = NewSet(temp);
        await using var h = new EngineHarness(temp);
        var target = await h.TargetAsync(set.Directory);

        // The plan's order, from a copy (completed, so that it releases the target): the first file, then the victim.
        var plan = await h.BackupAsync(target, BackupKind.Copy);
        Assert.Null((await h.Plugin.CompleteBackupAsync(new CompletionRequest(plan.Manifest!, Succeeded: true))).Error);
        var first = plan.Manifest!.Files[0];
        var victim = plan.Manifest.Files[1].SourcePath!;

        // Once the first file has gone out whole, the next one disappears before the engine opens it.
        var progress = new SyncProgress(p =>
        {
            if (p.CurrentFile == first.SourcePath && p.BytesDone >= first.Size && File.Exists(victim))
            {
                File.Move(victim, temp.Combine("hidden"));
            }
        });
        var stream = new MemoryStream();
        var result = await h.Plugin.BackupToStreamAsync(new BackupRequest(target.Id, BackupKind.Full, h.Staging) { SearchPaths = [set.Directory] }, stream, progress);

        Assert.False(result.Succeeded, $"{victim} did not vanish in time");
        Assert.Equal(ErrorCodes.MissingFileToBackup, result.Error!.Code);
        var bytes = stream.ToArray();
        Assert.Equal(0, bytes.Length % 512);
        Assert.NotEqual(0, bytes[^512]); // the last block is the invalid header, not an end-of-archive block

        // .NET's reader (which does not check header checksums): the first entry, then no file of the set, no manifest.
        var names = new List<string>();
        await using (var reader = new TarReader(new MemoryStream(bytes)))
        {
            try
            {
                while (await reader.GetNextEntryAsync() is { } entry)
                {
                    names.Add(entry.Name);
                }
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or FormatException)
            {
                names.Add("(error)");
            }
        }

        Assert.Equal(first.Path, names[0]);
        Assert.DoesNotContain(BackupManifest.FileName, names);
        Assert.DoesNotContain(plan.Manifest.Files[1].Path, names);

        // GNU tar and Python's tarfile (what Borg's import-tar reads with): an error, not a shorter archive.
        var file = temp.Combine("failed.tar");
        await File.WriteAllBytesAsync(file, bytes);
        Assert.NotEqual(0, await ExitCodeAsync("tar", "-tf", file));
        Assert.NotEqual(0, await ExitCodeAsync("python3", "-c", "import sys, tarfile; [m.name for m in tarfile.open(sys.argv[1])]", file));
        Assert.DoesNotContain(h.StagingEntries(), e => e.StartsWith(".esebackup-partial-", StringComparison.Ordinal));
    }

    private static async Task<int> ExitCodeAsync(string program, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(program, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return p.ExitCode;
    }

    private static async Task<List<(string Name, byte[] Content)>> ReadAllAsync(byte[] archive)
    {
        var list = new List<(string, byte[])>();
        await using var reader = new TarReader(new MemoryStream(archive));
        while (await reader.GetNextEntryAsync() is { } entry)
        {
            Assert.Equal(TarEntryFormat.Pax, entry.Format);
            using var content = new MemoryStream();
            await entry.DataStream!.CopyToAsync(content);
            list.Add((entry.Name, content.ToArray()));
        }

        return list;
    }

    private sealed class SyncProgress(Action<OperationProgress> handler) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value) => handler(value);
    }
}
