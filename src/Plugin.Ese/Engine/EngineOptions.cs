namespace EseBackupPlugin.Ese.Engine;

/// <summary>Tuning and placement of the backup engine (configuration section <c>EsePlugin:Engine</c>).</summary>
internal sealed class EngineOptions
{
    /// <summary>Size of each copy buffer; a multiple of 64 KiB. Large buffers keep the disk streaming.</summary>
    public int BufferSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>Buffers in flight per file (read, verify/hash, write overlap); memory use is about size × count.</summary>
    public int BufferCount { get; set; } = 6;

    /// <summary>
    /// Files of one set copied at once when the source allows it (file sets: databases of an Exchange or AD LDS layout
    /// side by side); 0 means one per processor. Parallel copies share the <see cref="BufferCount"/> buffers (at least
    /// three each), so memory stays <see cref="BufferSize"/> × <see cref="BufferCount"/> and the degree is at most
    /// <see cref="BufferCount"/> / 3: raise both to use more cores. SHA-256 of one file runs on one core, so one large
    /// database gains nothing from this.
    /// </summary>
    public int ParallelFiles { get; set; }

    /// <summary>
    /// Write staged and restored files around the page cache (Linux <c>O_DIRECT</c>) when their writes are aligned;
    /// falls back to buffered writes by itself where the file system refuses. Off: always buffered.
    /// </summary>
    public bool UnbufferedWrites { get; set; } = true;

    /// <summary>Where per-target lock files live; every process on the machine must use the same one.</summary>
    public string? LockDirectory { get; set; }

    /// <summary>
    /// How long a staged set may hold its target before the host completes it (<c>EsePlugin:Engine:StagedSetLease</c>).
    /// After it the target is released and the set can only be completed as failed; its logs are kept.
    /// </summary>
    public TimeSpan StagedSetLease { get; set; } = TimeSpan.FromHours(24);
}
