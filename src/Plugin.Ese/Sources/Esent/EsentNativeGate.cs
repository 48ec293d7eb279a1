using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>
/// Decides whether the esent.dll interop may be called, and tells the platform analyzer so.
/// </summary>
/// <remarks>
/// <para>Everything in <c>Windows/Esent</c> carries <c>[SupportedOSPlatform("windows")]</c>, so the
/// platform analyzer (CA1416, an error in this repository) rejects any call site that is not known to
/// run on Windows. <see cref="IsAvailable"/> is marked <c>[SupportedOSPlatformGuard("windows")]</c>: code
/// under <c>if (EsentNativeGate.IsAvailable)</c> counts as Windows-only for the analyzer.</para>
/// <para>The trick: the property is true on Windows <em>or</em> when the native path has been enabled
/// explicitly off Windows, for the ABI fake (tests/NativeFakes/esent), in one of two ways:</para>
/// <list type="bullet">
/// <item><see cref="EnableOffWindows"/> (<see cref="EsentSourceOptions.UseNativeLibraryOffWindows"/>): the
/// runtime's ordinary probing finds a file named <c>esent.dll</c> next to the plugin assembly (the test
/// assemblies' directory, or a plugin folder the fake was copied into).</item>
/// <item><see cref="UseLibraryFrom"/> (<see cref="EsentSourceOptions.NativeLibraryDirectory"/>): the plugin
/// assembly's <c>esent.dll</c> imports are bound to <c>esent.dll</c> in that directory, wherever the
/// plugin itself was loaded from (a host loading the plugin from its plugin folder, pointed at the fake
/// the test build compiled).</item>
/// </list>
/// <para>In production off Windows nobody enables it and every esent.dll call site stays unreachable; the
/// guard is a promise that something answering to esent.dll's ABI is loadable, which only the tests make
/// off Windows. On Windows the directory is ignored: the real esent.dll is the only one ever used.</para>
/// </remarks>
internal static class EsentNativeGate
{
    /// <summary>The library name the interop imports.</summary>
    public const string LibraryName = "esent.dll";

    private static readonly Lock Sync = new();
    private static volatile bool _enabledOffWindows;
    private static string? _libraryPath;

    /// <summary>True on Windows, or off Windows once the native path was enabled.</summary>
    [SupportedOSPlatformGuard("windows")]
    public static bool IsAvailable => OperatingSystem.IsWindows() || _enabledOffWindows;

    /// <summary>
    /// Lets the native path run off Windows, against a library named esent.dll that the runtime's probing
    /// finds (the ABI fake next to the plugin assembly). Process-wide, like the native library itself.
    /// </summary>
    public static void EnableOffWindows() => _enabledOffWindows = true;

    /// <summary>
    /// Off Windows: binds the plugin's esent.dll imports to <c>esent.dll</c> in <paramref name="directory"/>
    /// and enables the native path. Binding is once per loaded plugin assembly: a second call naming another
    /// file fails. Ignored on Windows.
    /// </summary>
    /// <exception cref="InvalidOperationException">The imports are already bound to another file.</exception>
    public static void UseLibraryFrom(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(Path.GetFullPath(directory), LibraryName);
        lock (Sync)
        {
            if (_libraryPath is null)
            {
                NativeLibrary.SetDllImportResolver(typeof(EsentNativeGate).Assembly, Resolve);
                _libraryPath = path;
            }
            else if (!string.Equals(_libraryPath, path, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{LibraryName} is already bound to {_libraryPath} in this process; it cannot be bound to {path} as well.");
            }
        }

        _enabledOffWindows = true;
    }

    /// <summary>Applies the source options: a library directory, else the plain switch, else nothing.</summary>
    public static void Configure(EsentSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.NativeLibraryDirectory))
        {
            UseLibraryFrom(options.NativeLibraryDirectory);
        }
        else if (options.UseNativeLibraryOffWindows)
        {
            EnableOffWindows();
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        => string.Equals(libraryName, LibraryName, StringComparison.OrdinalIgnoreCase) && _libraryPath is { } path ? NativeLibrary.Load(path) : 0;
}
