using System.Diagnostics;
using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Operations;
using EseBackupPlugin.Abstractions.Progress;

namespace EseBackupPlugin.Worker.Tests.Server;

/// <summary>
/// The worker sends byte counts at most ten times a second (the plugin reports every buffer), and every milestone: the
/// host hears begin and complete, and the final counts, however few counts it was sent.
/// </summary>
public sealed class ProgressRateTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Byte_counts_are_sent_at_most_ten_times_a_second_and_every_milestone_arrives()
    {
        var source = _temp.Combine("source");
        await TestSupport.SampleAsync(source, databaseBytes: 256L * 1024 * 1024);
        await using var worker = await TestSupport.StartWorkerAsync(new InMemoryBackupCatalog());
        var target = await TestSupport.DiscoverOneAsync(worker, source);
        var reports = new List<OperationProgress>();
        var progress = new Recorder(reports);

        Directory.CreateDirectory(_temp.Combine("staging"));
        var clock = Stopwatch.StartNew();
        var result = await worker.BackupAsync(new BackupRequest(target.Id, BackupKind.Full, _temp.Combine("staging")), progress);
        var elapsed = clock.Elapsed;

        Assert.True(result.Succeeded, result.Error?.ToString());
        List<OperationProgress> seen;
        lock (reports)
        {
            seen = [.. reports];
        }

        Assert.Equal(ProgressPhase.Begin, seen[0].Phase);
        Assert.Equal(ProgressPhase.Complete, seen[^1].Phase);
        Assert.Equal(result.Manifest!.Files.Sum(f => f.Size), seen[^1].BytesDone);
        // 256 MiB is 64 buffers or more, each one a report in the worker: ten a second bounds what crossed the pipe.
        var counts = seen.Count(r => r.Phase == ProgressPhase.Progress);
        Assert.True(counts <= (elapsed.TotalMilliseconds / 100) + 2, $"{counts} byte-count reports in {elapsed.TotalMilliseconds:F0} ms");
    }

    private sealed class Recorder(List<OperationProgress> reports) : IProgress<OperationProgress>
    {
        public void Report(OperationProgress value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }
}
