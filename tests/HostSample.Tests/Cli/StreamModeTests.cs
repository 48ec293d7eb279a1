using System.Diagnostics;
using System.Formats.Tar;
using EseBackupPlugin.HostSample.Cli;

namespace EseBackupPlugin.HostSample.Tests.Cli;

/// <summary>
/// <c>backup --out -</c>: a whole stream is a restorable set; a stream cut anywhere (the consumer went away) or a corrupt
/// page in the source gives a non-zero exit, a stream no reader takes for a set, nothing truncated and no lock left behind.
/// </summary>
public sealed class StreamModeTests
{
    [Fact]
    public async Task A_whole_stream_is_a_pax_tar_with_the_manifest_last_and_restores_byte_identical()
    {
        using var temp = new TempDir();
        var config = CliKit.WriteConfig(temp);
        var source = temp.Combine("ese");
        await SamplePlugin.CreateAsync(source, databaseBytes: 2L << 20, generations: 4);
        var before = CliKit.HashTree(source);

        var sink = new MemoryStream();
        var run = await CliKit.RunWithStreamsAsync(() => sink, null, "backup", source, "--out", "-", "--repository", temp.Combine("repo"), "--config", config);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Empty(run.Out); // standard output carried only the stream

        var bytes = sink.ToArray();
        var names = new List<string>();
        await using (var reader = new TarReader(new MemoryStream(bytes)))
        {
            while (await reader.GetNextEntryAsync() is { } entry)
            {
                Assert.Equal(TarEntryFormat.Pax, entry.Format);
                names.Add(entry.Name);
            }
        }

        Assert.Equal("manifest.json", names[^1]);
        Assert.Contains("database1.edb", names);
        Assert.True(bytes.AsSpan(bytes.Length - 1024).IndexOfAnyExcept((byte)0) < 0, "the stream ends with the end-of-archive blocks");

        // Phase one only: pending in the catalog, nothing truncated.
        var list = await CliKit.RunAsync("catalog", "list", "--json", "--repository", temp.Combine("repo"), "--config", config);
        Assert.Equal("exported", list.Json[0]!["state"]!.GetValue<string>());
        Assert.Equal(before, CliKit.HashTree(source));

        // Independent reader: GNU tar lists it without complaint.
        var tarFile = temp.Combine("set.tar");
        await File.WriteAllBytesAsync(tarFile, bytes);
        Assert.Equal(0, (await RunToolAsync("tar", "-tf", tarFile)).ExitCode);

        var restored = temp.Combine("restored");
        await CliKit.RunWithStreamsAsync(null, () => new MemoryStream(bytes), "restore", "--from", "-", "--to", restored, "--repository", temp.Combine("repo"), "--config", config);
        foreach (var (name, hash) in CliKit.HashTree(restored))
        {
            Assert.Equal(before[name], hash);
        }

        Assert.Contains("database1.edb", CliKit.HashTree(restored).Keys);

        // verify-set takes the same sources: the stream on standard input verifies clean.
        var verified = await CliKit.RunWithStreamsAsync(null, () => new MemoryStream(bytes), "verify-set", "--from", "-", "--json", "--repository", temp.Combine("repo"), "--config", config);
        Assert.True(verified.ExitCode == ExitCodes.Ok, verified.ToString());
        Assert.Equal(list.Json[0]!["setId"]!.GetValue<string>(), verified.Json["manifest"]!["setId"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stream_cut_at_random_points_fails_leaves_an_invalid_tar_truncates_nothing_and_no_lock()
    {
        using var temp = new TempDir();
        var config = CliKit.WriteConfig(temp);
        var repo = temp.Combine("repo");
        var source = temp.Combine("ese");
        await SamplePlugin.CreateAsync(source, databaseBytes: 1L << 20, generations: 4);

        // The whole stream's size, from a copy backup (a copy never truncates and starts no chain).
        var whole = new MemoryStream();
        Assert.Equal(ExitCodes.Ok, (await CliKit.RunWithStreamsAsync(() => whole, null, "backup", source, "--kind", "copy", "--out", "-", "--repository", repo, "--config", config)).ExitCode);
        var total = whole.Length;
        var before = CliKit.HashTree(source);

        var random = new Random(12);
        long[] cuts = [0, 100, 512, 1536, total - 1024 - 600, total - 1024, total - 1, .. Enumerable.Range(0, 5).Select(_ => random.NextInt64(1, total))];
        foreach (var cut in cuts)
        {
            var sink = new CuttingStream(cut);
            var run = await CliKit.RunWithStreamsAsync(() => sink, null, "backup", source, "--kind", "full", "--out", "-", "--repository", repo, "--config", config);
            Assert.True(run.ExitCode == ExitCodes.Failed, $"cut at {cut} of {total}: {run}");
            Assert.Contains("Broken pipe", run.Error, StringComparison.Ordinal);

            var received = sink.Received;
            Assert.True(received.Length <= cut);
            var tail = received.AsSpan(Math.Max(0, received.Length - 1024));
            var wholeEnd = received.Length >= 1024 && received.Length % 512 == 0 && tail.IndexOfAnyExcept((byte)0) < 0;
            Assert.False(wholeEnd, $"cut at {cut}: the stream must not end with whole end-of-archive blocks");

            // Our reader refuses it (manifest missing, or no end-of-archive blocks), naming the stream.
            var file = temp.Combine($"cut-{cut}.tar");
            await File.WriteAllBytesAsync(file, received);
            var restore = await CliKit.RunAsync("restore", "--from", file, "--to", temp.Combine($"r-{cut}"), "--repository", repo, "--config", config, "--json");
            Assert.True(restore.ExitCode == ExitCodes.Corruption, $"cut at {cut}: {restore}");
            Assert.Equal("ManifestInvalid", restore.Json["error"]!["code"]!["name"]!.GetValue<string>());

            // Nothing was truncated, the set is failed, and the target is not locked (the next iteration backs it up again).
            Assert.Equal(before, CliKit.HashTree(source));
        }

        var list = await CliKit.RunAsync("catalog", "list", "--json", "--repository", repo, "--config", config);
        Assert.Equal(cuts.Length, list.Json.AsArray().Count(r => r!["state"]!.GetValue<string>() == "failed"));
        var after = await CliKit.RunAsync("backup", source, "--kind", "full", "--out", temp.Combine("staged"), "--repository", repo, "--config", config);
        Assert.True(after.ExitCode == ExitCodes.Ok, after.ToString());
    }

    [Fact]
    public async Task A_corrupt_page_stops_the_stream_inside_the_entry_exit_3_nothing_truncated_not_locked()
    {
        using var temp = new TempDir();
        var config = CliKit.WriteConfig(temp);
        var repo = temp.Combine("repo");
        var source = temp.Combine("ese");
        await SamplePlugin.CreateAsync(source, databaseBytes: 6L << 20, generations: 4);
        FlipByte(Path.Combine(source, "database1.edb"), (8192 * 600) + 1000); // beyond the first 4 MiB buffer: earlier data is already out
        var before = CliKit.HashTree(source);

        var sink = new MemoryStream();
        var run = await CliKit.RunWithStreamsAsync(() => sink, null, "backup", source, "--out", "-", "--repository", repo, "--config", config);
        Assert.True(run.ExitCode == ExitCodes.Corruption, run.ToString());
        Assert.Contains("ReadVerifyFailure", run.Error, StringComparison.Ordinal);
        Assert.Contains("page 599", run.Error, StringComparison.Ordinal);

        var file = temp.Combine("bad.tar");
        await File.WriteAllBytesAsync(file, sink.ToArray());
        Assert.True(sink.Length > 1024 && sink.Length < 6L << 20, $"{sink.Length} bytes: the good part of the database went out, the damaged chunk did not");
        Assert.NotEqual(0, (await RunToolAsync("tar", "-tf", file)).ExitCode); // the entry is cut short
        Assert.Equal(ExitCodes.Corruption, (await CliKit.RunAsync("verify-set", "--from", file, "--repository", repo, "--config", config)).ExitCode);
        Assert.Equal(before, CliKit.HashTree(source));

        // Not locked: the same target again meets the same corruption, not "busy".
        var again = await CliKit.RunWithStreamsAsync(() => new MemoryStream(), null, "backup", source, "--out", "-", "--repository", repo, "--config", config);
        Assert.Equal(ExitCodes.Corruption, again.ExitCode);
    }

    private static void FlipByte(string path, long offset)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = offset;
        var b = f.ReadByte();
        f.Position = offset;
        f.WriteByte((byte)(b ^ 0x20));
    }

    internal static async Task<CliRun> RunToolAsync(string tool, params string[] args)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var outTask = p.StandardOutput.ReadToEndAsync();
        var errTask = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new CliRun(p.ExitCode, await outTask, await errTask);
    }

    /// <summary>A consumer that goes away after <c>limit</c> bytes: further writes fail like a closed pipe.</summary>
    internal sealed class CuttingStream(long limit) : Stream
    {
        private readonly MemoryStream _received = new();

        public byte[] Received => _received.ToArray();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _received.Length; set => throw new NotSupportedException(); }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            var room = (int)Math.Min(buffer.Length, limit - _received.Length);
            _received.Write(buffer[..room]);
            if (room < buffer.Length)
            {
                throw new IOException("Broken pipe");
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
