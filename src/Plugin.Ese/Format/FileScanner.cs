namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// One file kind's verification, fed by <see cref="EseStreamVerifier"/> with consecutive whole units from offset 0.
/// </summary>
internal abstract class FileScanner
{
    protected FileScanner(string displayPath, long declaredLength, FindingCollector findings)
    {
        DisplayPath = displayPath;
        DeclaredLength = declaredLength;
        Findings = findings;
    }

    /// <summary>Bytes per unit; <see cref="ProcessUnits"/> only ever receives whole units.</summary>
    public abstract int UnitSize { get; }

    /// <summary>The file as the caller names it.</summary>
    protected string DisplayPath { get; }

    /// <summary>The length announced when the verifier was created.</summary>
    protected long DeclaredLength { get; }

    /// <summary>Where findings go.</summary>
    protected FindingCollector Findings { get; }

    /// <summary>Consumes whole units starting at file offset <paramref name="offset"/>.</summary>
    public abstract void ProcessUnits(ReadOnlySpan<byte> units, long offset);

    /// <summary>Consumes a final partial unit (the file does not end on a unit boundary).</summary>
    public virtual void ProcessTail(ReadOnlySpan<byte> tail, long offset)
    {
    }

    /// <summary>Finishes: adds end-of-file findings and the facts this kind knows.</summary>
    public abstract EseVerificationResult Complete(EseVerificationResult result, long totalBytes);

    /// <summary>
    /// Copies the part of <paramref name="data"/> (which starts at file offset <paramref name="offset"/>) that falls
    /// within the file's first <c>prefix.Length</c> bytes into <paramref name="prefix"/>.
    /// </summary>
    /// <param name="data">Bytes of the file.</param>
    /// <param name="offset">Their file offset.</param>
    /// <param name="prefix">Buffer for the start of the file.</param>
    /// <param name="filled">How many leading bytes of <paramref name="prefix"/> were filled before.</param>
    /// <returns>How many are filled now.</returns>
    protected static int CopyPrefix(ReadOnlySpan<byte> data, long offset, Span<byte> prefix, int filled)
    {
        if (offset >= prefix.Length)
        {
            return filled;
        }

        var n = (int)Math.Min(data.Length, prefix.Length - offset);
        data[..n].CopyTo(prefix[(int)offset..]);
        return Math.Max(filled, (int)offset + n);
    }
}

/// <summary>Files that are identified but not verified unit by unit (reserve logs, patch files, other files).</summary>
internal sealed class OpaqueFileScanner : FileScanner
{
    public OpaqueFileScanner(string displayPath, long declaredLength, FindingCollector findings)
        : base(displayPath, declaredLength, findings)
    {
    }

    public override int UnitSize => 4096;

    public override void ProcessUnits(ReadOnlySpan<byte> units, long offset)
    {
    }

    public override EseVerificationResult Complete(EseVerificationResult result, long totalBytes) => result;
}
