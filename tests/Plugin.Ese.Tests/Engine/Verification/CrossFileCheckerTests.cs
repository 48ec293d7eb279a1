using EseBackupPlugin.Ese.Engine.Verification;

namespace EseBackupPlugin.Ese.Tests.Engine.Verification;

public class CrossFileCheckerTests
{
    /// <summary>Gaps as flat low/high pairs.</summary>
    [Theory]
    [InlineData(new long[] { 7, 7 }, "7")]
    [InlineData(new long[] { 1, 3, 5, 5, 7, 8 }, "1-3, 5, 7-8")]
    [InlineData(new long[] { 4, 4, 6, 6 }, "4, 6")]
    [InlineData(new long[] { int.MaxValue, int.MaxValue }, "2147483647")]
    [InlineData(new long[] { 1, 1, int.MaxValue - 1, int.MaxValue }, "1, 2147483646-2147483647")]
    [InlineData(new long[] { int.MinValue, int.MaxValue }, "-2147483648-2147483647")]
    public void Missing_generations_are_listed_as_runs(long[] gaps, string expected)
        => Assert.Equal(expected, CrossFileChecker.Ranges(gaps.Chunk(2).Select(p => (p[0], p[1]))));
}
