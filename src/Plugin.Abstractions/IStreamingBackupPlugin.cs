namespace EseBackupPlugin.Abstractions;

/// <summary>
/// Optional capability of an <see cref="IBackupPlugin"/>: phase one written as a POSIX (pax) tar stream instead of a
/// set directory in staging, for hosts that hand the bytes straight to another product (restic <c>--stdin</c>,
/// Bacula's bpipe) without a local copy. A host tests for it with <c>plugin is IStreamingBackupPlugin</c>.
/// </summary>
/// <remarks>
/// <para>The stream holds one entry per file of the set, each verified, hashed and written in one pass, then
/// <c>manifest.json</c> as the last entry, then the end-of-archive blocks. On failure the stream is left invalid
/// (an entry cut short or a block that is not a valid header, and never end-of-archive blocks), so a consumer that
/// only sees the bytes cannot mistake it for a set; the result carries the error as for <see cref="IBackupPlugin.BackupAsync"/>.</para>
/// <para>The set is then pending exactly like a staged one: complete it with <see cref="IBackupPlugin.CompleteBackupAsync"/>
/// once the consumer has stored it (and with <c>Succeeded = false</c> when it could not).</para>
/// <para>A stream cannot cross a process boundary as a value: an out-of-process plugin host offers this only where its
/// transport can carry the bytes (for example a pipe it names); a proxy that cannot simply does not implement it.</para>
/// </remarks>
public interface IStreamingBackupPlugin
{
    /// <summary>Phase one of a backup, written as a tar stream.</summary>
    /// <param name="request">
    /// Target and kind as for <see cref="IBackupPlugin.BackupAsync"/>. <see cref="Operations.BackupRequest.StagingDirectory"/> is only
    /// scratch space for sources whose engine writes files itself (nothing is left there); <c>SetId</c> names the set.
    /// </param>
    /// <param name="destination">Where the tar stream goes; written sequentially, never seeked, not closed.</param>
    /// <param name="progress">Receives ESE-style phases and file/byte counters.</param>
    /// <param name="cancellationToken">Cancels the backup; the stream is left invalid.</param>
    /// <returns>The result; <see cref="Operations.BackupResult.SetDirectory"/> is <see langword="null"/>.</returns>
    Task<Operations.BackupResult> BackupToStreamAsync(Operations.BackupRequest request, Stream destination, IProgress<Progress.OperationProgress>? progress = null, CancellationToken cancellationToken = default);
}
