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
/// explicitly off Windows (<see cref="EnableOffWindows"/>, or
/// <see cref="EsentSourceOptions.UseNativeLibraryOffWindows"/>). The tests do that on Linux, where the
/// test build has put an ABI fake named <c>esent.dll</c> (tests/NativeFakes/esent) next to the test
/// assemblies, so the real interop and source code run in CI against the fake. In production on Linux
/// nobody enables it and every esent.dll call site stays unreachable; the guard is a promise that
/// something answering to esent.dll's ABI is loadable, which only the tests make off Windows.</para>
/// </remarks>
internal static class EsentNativeGate
{
    private static volatile bool _enabledOffWindows;

    /// <summary>True on Windows, or off Windows once <see cref="EnableOffWindows"/> was called.</summary>
    [SupportedOSPlatformGuard("windows")]
    public static bool IsAvailable => OperatingSystem.IsWindows() || _enabledOffWindows;

    /// <summary>
    /// Lets the native path run off Windows, against a library named esent.dll that the process can load
    /// (the ABI fake). Process-wide, like the native library itself.
    /// </summary>
    public static void EnableOffWindows() => _enabledOffWindows = true;
}
