using EseBackupPlugin.Ese.Engine;
using EseBackupPlugin.Ese.Sources.Esent;
using EseBackupPlugin.Ese.Sources.FileSet;
using EseBackupPlugin.Ese.Sources.Vss.Requester;

namespace EseBackupPlugin.Ese.Composition;

/// <summary>
/// The plugin's options: the configuration section named by plugin.json (<c>EsePlugin</c>), bound once at
/// start-up and validated, so that a bad setting fails the plugin's creation with a message naming it.
/// </summary>
internal sealed class EsePluginOptions
{
    /// <summary>File-set discovery (<c>EsePlugin:FileSet</c>).</summary>
    public FileSetOptions FileSet { get; set; } = new();

    /// <summary>Copy engine tuning and lock placement (<c>EsePlugin:Engine</c>).</summary>
    public EngineOptions Engine { get; set; } = new();

    /// <summary>In-process esent.dll instances (<c>EsePlugin:EsentInstances</c>).</summary>
    public EsentSourceOptions EsentInstances { get; set; } = new();

    /// <summary>VSS requester (<c>EsePlugin:Vss</c>).</summary>
    public VssSourceOptions Vss { get; set; } = new();

    /// <summary>
    /// Directory for the plugin's own state: the journal of staged sets (<c>sets/</c>), where file-set targets were
    /// discovered (so a target id works as a handle in later runs) and the VSS snapshot journal when the host keeps none.
    /// Default: <c>esebackup-state</c> beside the lock directory.
    /// </summary>
    public string? StateDirectory { get; set; }

    /// <summary>Every problem with the bound values, each naming its setting.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Engine.BufferSize < 64 * 1024 || Engine.BufferSize % (64 * 1024) != 0 || Engine.BufferSize > 256 * 1024 * 1024)
        {
            problems.Add($"EsePlugin:Engine:BufferSize must be a multiple of 65536 between 64 KiB and 256 MiB (is {Engine.BufferSize}).");
        }

        if (Engine.BufferCount is < 3 or > 64)
        {
            problems.Add($"EsePlugin:Engine:BufferCount must be between 3 and 64 (is {Engine.BufferCount}).");
        }

        if (Engine.ParallelFiles is < 0 or > 64)
        {
            problems.Add($"EsePlugin:Engine:ParallelFiles must be between 0 (one per processor) and 64 (is {Engine.ParallelFiles}).");
        }

        if (Engine.StagedSetLease < TimeSpan.FromMinutes(1) || Engine.StagedSetLease > TimeSpan.FromDays(365))
        {
            problems.Add($"EsePlugin:Engine:StagedSetLease must be between 00:01:00 and 365.00:00:00 (is {Engine.StagedSetLease}).");
        }

        if (FileSet.MaxDepth is < 0 or > 64)
        {
            problems.Add($"EsePlugin:FileSet:MaxDepth must be between 0 and 64 (is {FileSet.MaxDepth}).");
        }

        if (FileSet.Roots.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("EsePlugin:FileSet:Roots must not contain empty entries.");
        }

        if (EsentInstances.DefaultStrategy is not (EsentStrategies.BackupInstance or EsentStrategies.Streaming))
        {
            problems.Add($"EsePlugin:EsentInstances:DefaultStrategy must be '{EsentStrategies.BackupInstance}' or '{EsentStrategies.Streaming}' (is '{EsentInstances.DefaultStrategy}').");
        }

        for (var i = 0; i < EsentInstances.FileSets.Count; i++)
        {
            var set = EsentInstances.FileSets[i];
            if (string.IsNullOrWhiteSpace(set.Directory))
            {
                problems.Add($"EsePlugin:EsentInstances:FileSets:{i}:Directory must name the directory of an ESE file set.");
            }

            if (set.BaseName is { } b && b.Length != 3)
            {
                problems.Add($"EsePlugin:EsentInstances:FileSets:{i}:BaseName must be three characters (is '{b}').");
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            CheckLibrary(problems, "EsePlugin:EsentInstances:NativeLibraryDirectory", EsentInstances.NativeLibraryDirectory, EsentNativeGate.LibraryName);
            CheckLibrary(problems, "EsePlugin:Vss:NativeLibraryDirectory", Vss.NativeLibraryDirectory, "vssapi.dll");
        }

        return problems;
    }

    private static void CheckLibrary(List<string> problems, string setting, string? directory, string library)
    {
        if (!string.IsNullOrWhiteSpace(directory) && !File.Exists(Path.Combine(directory, library)))
        {
            problems.Add($"{setting} names '{directory}', which holds no {library}.");
        }
    }
}
