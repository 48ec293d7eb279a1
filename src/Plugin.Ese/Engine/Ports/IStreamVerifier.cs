using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Ports;

/// <summary>
/// Creates the ESE checks for one file as it streams past. The engine hands every byte it copies
/// through one of these; the Format layer implements it.
/// </summary>
internal interface IStreamVerifierFactory
{
    /// <summary>Starts verifying a file.</summary>
    /// <param name="displayPath">The path to name in findings.</param>
    /// <param name="fileName">The file's name (log names carry their generation).</param>
    /// <param name="length">The file's total length.</param>
    /// <param name="head">Its first bytes (up to 128 KiB, fewer if the file is shorter).</param>
    IStreamVerifier Create(string displayPath, string fileName, long length, ReadOnlySpan<byte> head);
}

/// <summary>Checks one file chunk by chunk, in order, from offset 0.</summary>
internal interface IStreamVerifier
{
    /// <summary>Chunks must be whole multiples of this many bytes (except the last one).</summary>
    int ChunkAlignment { get; }

    /// <summary>True once a chunk checked so far held corruption (a stream consumer stops before writing it).</summary>
    bool FoundCorruption { get; }

    /// <summary>Checks the next chunk.</summary>
    void Process(ReadOnlySpan<byte> chunk);

    /// <summary>Ends the file: final checks (length, sequence) and the facts read from it.</summary>
    StreamVerification Complete();
}

/// <summary>What verifying one file found.</summary>
/// <param name="Kind">What the file is (<c>database</c>, <c>log</c>, <c>checkpoint</c>, ...).</param>
/// <param name="Role">The manifest role that kind implies.</param>
/// <param name="Unit">What a unit is: <c>page</c>, <c>segment</c>, <c>record</c> or <c>none</c>.</param>
/// <param name="UnitsChecked">Units verified.</param>
/// <param name="UnitsUninitialized">Never-written units (all zero), not checksummed.</param>
/// <param name="Findings">What is wrong.</param>
internal sealed record StreamVerification(string Kind, FileRole Role, string Unit, long UnitsChecked, long UnitsUninitialized, IReadOnlyList<Finding> Findings)
{
    /// <summary>Database facts, for databases.</summary>
    public DatabaseFacts? Database { get; init; }

    /// <summary>Log facts, for logs.</summary>
    public LogFacts? Log { get; init; }

    /// <summary>Checkpoint facts, for checkpoints.</summary>
    public CheckpointFacts? Checkpoint { get; init; }

    /// <summary>
    /// Everything the Format layer read (headers, units, findings): <c>verify</c> and <c>inspect</c> report it, and the
    /// cross-file checks need the headers, which the facts above only summarise.
    /// </summary>
    public EseVerificationResult? Detail { get; init; }

    /// <summary>True when any finding is corruption.</summary>
    public bool HasCorruption => Findings.Any(f => f.Severity == FindingSeverity.Corruption);
}
