namespace EseBackupPlugin.Abstractions.Targets;

/// <summary>An inclusive range of log generations.</summary>
/// <param name="Low">First generation.</param>
/// <param name="High">Last generation (inclusive).</param>
public sealed record GenerationRange(long Low, long High)
{
    /// <summary>Number of generations in the range (0 when <see cref="High"/> is below <see cref="Low"/>).</summary>
    public long Count => High >= Low ? High - Low + 1 : 0;

    /// <summary>Whether <paramref name="generation"/> lies inside the range.</summary>
    /// <param name="generation">The generation to test.</param>
    public bool Contains(long generation) => generation >= Low && generation <= High;

    /// <inheritdoc />
    public override string ToString() => Low == High ? $"{Low}" : $"{Low}-{High}";
}
