using PublicApiGenerator;

namespace EseBackupPlugin.Abstractions.Tests;

/// <summary>
/// Pins the contract's public surface. A change here is a contract change: review it, bump the contract
/// version when members are removed or change meaning, then accept it by running the tests with
/// <c>ACCEPT_PUBLIC_API=1</c> (which rewrites the approved file).
/// </summary>
public class PublicApiTests
{
    [Fact]
    public void Public_api_matches_the_approved_surface()
    {
        var api = typeof(IBackupPlugin).Assembly.GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false })
            .ReplaceLineEndings("\n");
        var approvedPath = Path.Combine(ProjectDirectory(), "PublicApi", "EseBackupPlugin.Abstractions.approved.txt");
        if (Environment.GetEnvironmentVariable("ACCEPT_PUBLIC_API") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(approvedPath)!);
            File.WriteAllText(approvedPath, api);
        }

        Assert.True(File.Exists(approvedPath), $"No approved API file at {approvedPath}; run with ACCEPT_PUBLIC_API=1 once.");
        var approved = File.ReadAllText(approvedPath).ReplaceLineEndings("\n");
        if (approved != api)
        {
            File.WriteAllText(Path.ChangeExtension(approvedPath, ".received.txt"), api);
        }

        Assert.Equal(approved, api);
    }

    [Fact]
    public void Every_public_type_has_xml_documentation()
    {
        var xml = Path.ChangeExtension(typeof(IBackupPlugin).Assembly.Location, ".xml");
        Assert.True(File.Exists(xml), "The contract assembly must ship its XML documentation: " + xml);
        var docs = File.ReadAllText(xml);
        var missing = typeof(IBackupPlugin).Assembly.GetExportedTypes()
            .Where(t => !docs.Contains($"name=\"T:{t.FullName!.Replace('+', '.')}\"", StringComparison.Ordinal))
            .Select(t => t.FullName)
            .ToList();
        Assert.Empty(missing);
    }

    private static string ProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Plugin.Abstractions.Tests.csproj")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the test project directory.");
    }
}
