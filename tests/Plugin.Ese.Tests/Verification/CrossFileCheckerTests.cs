using EseBackupPlugin.Ese.Verification;

namespace EseBackupPlugin.Ese.Tests.Verification;

public class CrossFileCheckerTests
{
    [Theory]
    [InlineData(new[] { 7 }, "7")]
    [InlineData(new[] { 1, 2, 3, 5, 7, 8 }, "1-3, 5, 7-8")]
    [InlineData(new[] { 4, 6 }, "4, 6")]
    [InlineData(new[] { int.MaxValue }, "2147483647")]
    [InlineData(new[] { 1, int.MaxValue - 1, int.MaxValue }, "1, 2147483646-2147483647")]
    public void Missing_generations_are_listed_as_runs(int[] generations, string expected)
        => Assert.Equal(expected, CrossFileChecker.Ranges([.. generations]));
}
