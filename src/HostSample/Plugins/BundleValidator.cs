using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using EseBackupPlugin.Abstractions;

namespace EseBackupPlugin.HostSample.Plugins;

/// <summary>One check of a plugin bundle.</summary>
/// <param name="Name">What was checked (stable, for machines).</param>
/// <param name="Passed">Whether it holds.</param>
/// <param name="Detail">What was found, naming the file.</param>
internal sealed record BundleCheck(string Name, bool Passed, string Detail);

/// <summary>The result of checking a plugin bundle folder.</summary>
/// <param name="Directory">The bundle folder.</param>
/// <param name="Checks">Every check, in the order they ran.</param>
internal sealed record BundleReport(string Directory, IReadOnlyList<BundleCheck> Checks)
{
    /// <summary>True when every check passed: a host can load the folder as it is.</summary>
    public bool Valid => Checks.All(c => c.Passed);
}

/// <summary>
/// Checks a drop-in plugin bundle before a host loads it: plugin.json against the host's schema, the contract id and
/// version, the platform, the entry assembly and type, every assembly that any assembly in the bundle references
/// (present in the bundle, shared by the host at a high enough version, or part of .NET), no assembly the host must
/// share shipped in the bundle (<see cref="SharedAssemblies"/>), and the executable of every process model.
/// </summary>
internal static class BundleValidator
{
    public static BundleReport Validate(string directory)
    {
        var dir = Path.GetFullPath(directory);
        var checks = new List<BundleCheck>();
        var manifestPath = Path.Combine(dir, "plugin.json");
        PluginManifest manifest;
        try
        {
            manifest = PluginManifestReader.Read(manifestPath);
            checks.Add(new("schema", true, $"{manifestPath} is valid against plugin.schema.json"));
        }
        catch (PluginLoadException ex)
        {
            checks.Add(new("schema", false, ex.Message));
            return new BundleReport(dir, checks);
        }

        checks.Add(CheckContract(manifest));
        checks.Add(CheckEntry(manifest));
        checks.AddRange(CheckProcessModels(manifest));
        // A worker (outOfProcess executable in a sub-folder) is its own process with its own copies of everything it
        // loads: the in-process rules about shared assemblies do not apply to its folder.
        var workerDirs = manifest.ProcessModels
            .Where(m => m.Kind == "outOfProcess" && m.Executable is not null)
            .Select(m => Path.GetDirectoryName(Path.GetFullPath(Path.Combine(dir, m.Executable!)))! + Path.DirectorySeparatorChar)
            .Where(d => d.Length > dir.Length + 1 && d.StartsWith(dir + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .ToList();
        checks.Add(CheckNoSharedCopies(dir, workerDirs));
        checks.Add(CheckReferences(dir, workerDirs));
        return new BundleReport(dir, checks);
    }

    private static BundleCheck CheckContract(PluginManifest manifest)
    {
        try
        {
            var negotiated = PluginManifestReader.CheckCompatibility(manifest, ContractVersion.Supported);
            return new("contract", true, $"{manifest.Contract.Id} {negotiated.ToString(2)} (host speaks {string.Join(", ", ContractVersion.Supported.Select(v => v.ToString(2)))}); {PluginManifestReader.CurrentOs()}/{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()} declared");
        }
        catch (PluginLoadException ex)
        {
            return new("contract", false, ex.Message);
        }
    }

    private static BundleCheck CheckEntry(PluginManifest manifest)
    {
        if (!File.Exists(manifest.AssemblyPath))
        {
            return new("entry", false, $"entry assembly '{manifest.AssemblyPath}' does not exist (field 'entry.assembly')");
        }

        try
        {
            // The loader's own context: the contract resolves from the host, so the type check is the one loading makes.
            var context = new PluginLoadContext(manifest.AssemblyPath);
            var type = context.LoadFromAssemblyPath(manifest.AssemblyPath).GetType(manifest.Entry.Type, throwOnError: false);
            if (type is null)
            {
                return new("entry", false, $"entry type '{manifest.Entry.Type}' is not in '{Path.GetFileName(manifest.AssemblyPath)}' (field 'entry.type')");
            }

            return typeof(IBackupPlugin).IsAssignableFrom(type) && !type.IsAbstract
                ? new("entry", true, $"{manifest.Entry.Type} in {Path.GetFileName(manifest.AssemblyPath)} implements {typeof(IBackupPlugin).FullName}")
                : new("entry", false, $"entry type '{manifest.Entry.Type}' does not implement the host's {typeof(IBackupPlugin).FullName} (field 'entry.type')");
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or TypeLoadException)
        {
            return new("entry", false, $"entry assembly '{manifest.AssemblyPath}' cannot be loaded: {ex.Message}");
        }
    }

    private static IEnumerable<BundleCheck> CheckProcessModels(PluginManifest manifest)
    {
        foreach (var model in manifest.ProcessModels.Where(m => m.Executable is not null))
        {
            var exe = Path.GetFullPath(Path.Combine(manifest.Directory, model.Executable!));
            var candidates = new[] { exe, exe + ".exe", exe + ".dll" };
            yield return candidates.Any(File.Exists)
                ? new($"processModel:{model.Kind}", true, $"{model.Kind} executable {Path.GetFileName(candidates.First(File.Exists))} is present")
                : new($"processModel:{model.Kind}", false, $"{model.Kind} executable '{exe}' is missing (field 'processModels')");
        }
    }

    private static IEnumerable<string> InProcessDlls(string dir, IReadOnlyList<string> workerDirs) =>
        Directory.EnumerateFiles(dir, "*.dll", SearchOption.AllDirectories)
            .Where(f => !workerDirs.Any(w => f.StartsWith(w, StringComparison.Ordinal)));

    private static BundleCheck CheckNoSharedCopies(string dir, IReadOnlyList<string> workerDirs)
    {
        var copies = InProcessDlls(dir, workerDirs)
            .Where(f => SharedAssemblies.IsShared(Path.GetFileNameWithoutExtension(f)))
            .Select(f => Path.GetRelativePath(dir, f))
            .ToList();
        return copies.Count == 0
            ? new("shared", true, $"none of the {SharedAssemblies.All.Count} assemblies the host shares is shipped in the bundle")
            : new("shared", false, $"the bundle ships assemblies the host must share (a second copy is a second type identity): {string.Join(", ", copies)}");
    }

    private static BundleCheck CheckReferences(string dir, IReadOnlyList<string> workerDirs)
    {
        var assemblies = ManagedAssembliesWithFiles(dir, workerDirs);
        var bundle = assemblies.ToDictionary(kv => kv.Key, kv => kv.Value.Version, StringComparer.OrdinalIgnoreCase);
        var framework = RuntimeEnvironment.GetRuntimeDirectory();
        var problems = new List<string>();
        var count = 0;
        foreach (var (file, _) in assemblies.Values)
        {
            foreach (var reference in References(file))
            {
                count++;
                var problem = Resolve(reference, bundle, framework);
                if (problem is not null)
                {
                    problems.Add($"{Path.GetRelativePath(dir, file)} references {reference.Name} {reference.Version}: {problem}");
                }
            }
        }

        return problems.Count == 0
            ? new("references", true, $"all {count} assembly references of {bundle.Count} assemblies resolve (bundle, host-shared or .NET)")
            : new("references", false, string.Join("; ", problems.Distinct()));
    }

    private static string? Resolve(AssemblyName reference, Dictionary<string, Version> bundle, string framework)
    {
        var name = reference.Name!;
        var wanted = reference.Version ?? new Version(0, 0);
        if (SharedAssemblies.Find(name) is { } shared)
        {
            var host = HostVersion(name);
            return host is null ? "the host shares it but does not have it"
                : host < wanted ? $"the host shares version {host}, older than the one referenced"
                : !shared.IsSatisfiedBy(host) ? $"the host's version {host} is outside the floor {shared.MinimumVersion}"
                : null;
        }

        if (bundle.TryGetValue(name, out var present))
        {
            return present < wanted ? $"the bundle ships version {present}, older than the one referenced" : null;
        }

        return File.Exists(Path.Combine(framework, name + ".dll")) ? null : "not in the bundle, not shared by the host and not part of .NET";
    }

    private static Version? HostVersion(string name)
    {
        try
        {
            return Assembly.Load(new AssemblyName(name)).GetName().Version;
        }
        catch (Exception ex) when (ex is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            return null;
        }
    }

    /// <summary>Every managed assembly in the folder, by simple name, with its version (native files are skipped).</summary>
    private static Dictionary<string, (string File, Version Version)> ManagedAssembliesWithFiles(string dir, IReadOnlyList<string> workerDirs)
    {
        var result = new Dictionary<string, (string, Version)>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in InProcessDlls(dir, workerDirs))
        {
            try
            {
                using var stream = File.OpenRead(file);
                using var pe = new PEReader(stream);
                if (!pe.HasMetadata)
                {
                    continue;
                }

                var reader = pe.GetMetadataReader();
                if (!reader.IsAssembly)
                {
                    continue;
                }

                var def = reader.GetAssemblyDefinition();
                result.TryAdd(reader.GetString(def.Name), (file, def.Version));
            }
            catch (BadImageFormatException)
            {
                // A native library (or not a PE file): not ours to resolve.
            }
        }

        return result;
    }

    private static List<AssemblyName> References(string file)
    {
        using var stream = File.OpenRead(file);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        return [.. reader.AssemblyReferences.Select(h => reader.GetAssemblyReference(h).GetAssemblyName())];
    }
}
