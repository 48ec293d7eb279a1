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
