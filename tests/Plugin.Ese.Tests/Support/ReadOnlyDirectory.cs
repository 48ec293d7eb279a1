using System.Diagnostics;

namespace EseBackupPlugin.Ese.Tests.Support;

/// <summary>
/// A real directory nobody can write into: a read-only tmpfs mounted over it when the tests run as root (root ignores
/// permission bits; CI runs as root), else one without write permission. <see langword="null"/> from
/// <see cref="TryCreate"/> when neither is possible here (root without the right to mount).
/// </summary>
internal sealed class ReadOnlyDirectory : IDisposable
{
    private readonly bool _mounted;

    private ReadOnlyDirectory(string path, bool mounted)
    {
        Path = path;
        _mounted = mounted;
    }

    public string Path { get; }

    /// <summary>How the directory was made read-only, for assertion messages.</summary>
    public string How => _mounted ? "read-only tmpfs mount" : "directory without write permission";

    public static ReadOnlyDirectory? TryCreate(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        Directory.CreateDirectory(path);
        if (!Environment.IsPrivilegedProcess)
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
            return new ReadOnlyDirectory(path, mounted: false);
        }

        return Run("mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", path) ? new ReadOnlyDirectory(path, mounted: true) : null;
    }

    private static bool Run(string program, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in args)
            {
                info.ArgumentList.Add(a);
            }

            using var p = Process.Start(info)!;
            p.WaitForExit(10_000);
            return p.HasExited && p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", Path);
        }
        else if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
