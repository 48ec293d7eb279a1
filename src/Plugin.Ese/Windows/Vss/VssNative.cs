using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// Decides whether the VSS interop may run here. On Windows it always may (the DLLs come from System32).
/// Elsewhere only when a test or an explicit option named a directory holding ABI fakes of
/// <c>vssapi.dll</c>, <c>ole32.dll</c>, <c>oleaut32.dll</c> and <c>kernel32.dll</c>: that is how the real
/// interop runs in Linux CI. <see cref="IsUsable"/> is the platform guard every caller checks.
/// </summary>
internal static class VssNative
{
    private static volatile string? s_libraryDirectory;

    /// <summary>True on Windows, or when <see cref="UseLibrariesFrom"/> enabled the native path against fakes.</summary>
    [SupportedOSPlatformGuard("windows")]
    public static bool IsUsable => OperatingSystem.IsWindows() || s_libraryDirectory is not null;

    /// <summary>The directory the fakes are loaded from on a non-Windows system, when enabled.</summary>
    public static string? NonWindowsLibraryDirectory => s_libraryDirectory;

    /// <summary>
    /// Enables the native path on a non-Windows system, loading the DLLs from <paramref name="directory"/>.
    /// Ignored on Windows, which always uses System32. Must be called before the first VSS use.
    /// </summary>
    public static void UseLibrariesFrom(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!OperatingSystem.IsWindows())
        {
            s_libraryDirectory = Path.GetFullPath(directory);
        }
    }

    /// <summary>
    /// The export names to try for CreateVssBackupComponents, in order: the <c>Internal</c> export of Vista and
    /// later, then the C++-decorated name of the process architecture (reference §2).
    /// </summary>
    public static IReadOnlyList<string> CreateBackupComponentsExports(Architecture architecture) =>
    [
        "CreateVssBackupComponentsInternal",
        architecture == Architecture.X86
            ? "?CreateVssBackupComponents@@YGJPAPAVIVssBackupComponents@@@Z"
            : "?CreateVssBackupComponents@@YAJPEAPEAVIVssBackupComponents@@@Z",
    ];

    /// <summary>The export names to try for VssFreeSnapshotProperties, in order.</summary>
    public static IReadOnlyList<string> FreeSnapshotPropertiesExports { get; } = ["VssFreeSnapshotProperties", "VssFreeSnapshotPropertiesInternal"];

    /// <summary>The first name in <paramref name="names"/> that <paramref name="tryGetExport"/> resolves.</summary>
    public static (string Name, nint Address)? ResolveFirst(IEnumerable<string> names, Func<string, nint> tryGetExport)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(tryGetExport);
        foreach (var name in names)
        {
            var address = tryGetExport(name);
            if (address != 0)
            {
                return (name, address);
            }
        }

        return null;
    }
}
