using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Ese.Engine.Verification;

namespace EseBackupPlugin.Ese.Tests.Format;

/// <summary>Every real Windows-written file is identified as SOURCES.md says and verifies without a false alarm.</summary>
public class RealFileVerificationTests
{
    [Theory]
    [MemberData(nameof(RealFiles.AllNames), MemberType = typeof(RealFiles))]
    public async Task Real_file_is_identified_and_verifies_clean(string name)
    {
        var file = RealFiles.Get(name);
        var result = await EseFileVerifier.VerifyAsync(file.Path);

        Assert.Equal(file.Kind, result.Kind);
        var problems = result.Findings.Where(f => f.Severity != FindingSeverity.Info).ToList();
        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems.Select(p => $"{p.Code}: {p.Message}")));
        Assert.Equal(new FileInfo(file.Path).Length, result.Bytes);
        Assert.Equal(0, result.UnitsCorrupt);
    }
}
