namespace EseBackupPlugin.Tests.Support;

/// <summary>
/// One nested <c>dotnet publish</c>/<c>pack</c> of the repository at a time, across test assemblies: the packaging tests
/// and the Native AOT worker's fixture both build the same projects in Release into the same <c>obj/</c> folders, and
/// <c>dotnet test</c> runs test assemblies side by side, so two builds could write (and break) each other's outputs.
/// An exclusive lock on a file under <c>artifacts/</c> (an advisory lock the kernel drops if a test process dies).
/// Linked into each test project that builds the repository.
/// </summary>
internal static class NestedBuildLock
{
    /// <summary>Waits for the lock (up to <paramref name="timeout"/>) and returns it; dispose to release.</summary>
    /// <exception cref="TimeoutException">Another build held it all along.</exception>
    public static IDisposable Acquire(string repoRoot, TimeSpan timeout) =>
        AcquireAsync(repoRoot, timeout, wait: static d => { Thread.Sleep(d); return Task.CompletedTask; }).GetAwaiter().GetResult();

    /// <summary><see cref="Acquire"/> without blocking a thread while it waits.</summary>
    /// <exception cref="TimeoutException">Another build held it all along.</exception>
    public static Task<IDisposable> AcquireAsync(string repoRoot, TimeSpan timeout) =>
        AcquireAsync(repoRoot, timeout, wait: static d => Task.Delay(d));

    private static async Task<IDisposable> AcquireAsync(string repoRoot, TimeSpan timeout, Func<TimeSpan, Task> wait)
    {
        var path = Path.Combine(repoRoot, "artifacts", ".nested-build.lock");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await wait(TimeSpan.FromMilliseconds(250));
            }
            catch (IOException ex)
            {
                throw new TimeoutException($"Another nested build held {path} for {timeout}.", ex);
            }
        }
    }
}
