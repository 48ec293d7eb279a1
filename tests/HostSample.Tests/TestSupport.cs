using System.Text.Json.Nodes;

namespace EseBackupPlugin.HostSample.Tests;

/// <summary>Paths and scratch directories for the host tests.</summary>
internal static class TestSupport
{
    /// <summary>The repository root.</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EseBackupPlugin.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A path under the shared, read-only test data (<c>../shared/testdata</c> beside the checkout); tests copy, never write there.</summary>
    public static string SharedTestData(params string[] parts) => Path.Combine([RepoRoot, "..", "shared", "testdata", .. parts]);

    /// <summary>The build configuration these tests were built in (the name of the directory above <c>net10.0</c>).</summary>
    public static string BuildConfiguration => new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;

    /// <summary>The plugin package the build laid out beside the test assembly.</summary>
    public static string PluginFolder => Path.Combine(AppContext.BaseDirectory, "plugins", "ese");

    /// <summary>The repository's plugin.json, parsed.</summary>
    public static JsonObject RepoPluginJson() => JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot, "plugin.json")))!.AsObject();

    /// <summary>A copy of the plugin package in a temp folder, with plugin.json edited by <paramref name="edit"/>.</summary>
    public static string PluginCopy(TempDir temp, Action<JsonObject>? edit = null, bool copyAssemblies = true)
    {
        var folder = temp.Combine("plugin");
        Directory.CreateDirectory(folder);
        if (copyAssemblies)
        {
            foreach (var f in Directory.EnumerateFiles(PluginFolder, "*", SearchOption.AllDirectories))
            {
                var to = Path.Combine(folder, Path.GetRelativePath(PluginFolder, f));
                Directory.CreateDirectory(Path.GetDirectoryName(to)!);
                File.Copy(f, to);
            }
        }

        var json = RepoPluginJson();
        edit?.Invoke(json);
        var path = Path.Combine(folder, "plugin.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}

/// <summary>A temporary directory deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "esebackup-host-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
