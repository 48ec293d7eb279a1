using EseBackupPlugin.Abstractions;
using EseBackupPlugin.Abstractions.Catalog;
using EseBackupPlugin.Abstractions.Operations;

namespace EseBackupPlugin.Worker.Tests.Server;

/// <summary>
/// <c>backupToStream</c> out of process when the host gives up: the worker writes into a socket the host relays, so a
/// host that stops relaying (cancelled, destination stuck) must close that socket, or the worker blocks on a full buffer
/// for ever and the host with it.
/// </summary>
public sealed class StreamRelayTests : IDisposable
{
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_host_that_cancels_while_its_destination_is_stuck_gets_an_answer_and_the_target_is_released()
    {
        var source = _temp.Combine("source");
        await TestSupport.SampleAsync(source, databaseBytes: 64L * 1024 * 1024);
        await using var worker = await TestSupport.StartWorkerAsync(new InMemoryBackupCatalog());
        var target = await TestSupport.DiscoverOneAsync(worker, source);

        // A destination that takes the first block and then never returns until cancelled: far less than the worker
        // writes, so the socket between them fills up.
        using var destination = new StuckStream();
        using var cts = new CancellationTokenSource();
        var backup = worker.BackupToStreamAsync(new BackupRequest(target.Id, BackupKind.Copy, _temp.Combine("staging")) { CreateStagingDirectory = true }, destination, null, cts.Token);
        if (await Task.WhenAny(destination.Stuck.Task, backup).WaitAsync(TimeSpan.FromSeconds(60)) == backup)
        {
            Assert.Fail("The backup ended before its destination got stuck: " + (await backup).Error);
        }

        cts.Cancel();

        BackupResult? result = null;
        try
        {
            result = await backup.WaitAsync(TimeSpan.FromSeconds(60)); // a hang fails here with a TimeoutException
        }
        catch (OperationCanceledException)
        {
            // Also a fair answer to a cancelled call.
        }

        Assert.False(result?.Succeeded ?? false, "A stream that was not relayed to its end is not a backup.");

        // The worker ended that backup: the same target backs up again at once, to the end.
        using var sink = new MemoryStream();
        var again = await worker.BackupToStreamAsync(new BackupRequest(target.Id, BackupKind.Copy, _temp.Combine("staging2")) { CreateStagingDirectory = true }, sink).WaitAsync(TimeSpan.FromSeconds(120));
        Assert.True(again.Succeeded, again.Error?.ToString());
        Assert.True(sink.Length > 64L * 1024 * 1024);
    }

    private sealed class StuckStream : MemoryStream
    {
        public TaskCompletionSource Stuck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (Length > 0)
            {
                Stuck.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            await base.WriteAsync(buffer, cancellationToken);
        }
    }
}
