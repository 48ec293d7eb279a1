namespace EseBackupPlugin.HostSample.Hosting;

/// <summary>
/// Deterministic pause points for the kill tests (tests only; documented in the README). When the environment variable
/// <c>ESEBACKUP_TEST_PAUSE_AT</c> names one of the points below, the host writes <c>esebackup-test-hook: paused at
/// POINT</c> to standard error when it gets there and waits forever, so that a test can SIGKILL it exactly between two
/// steps of the store/complete workflow. When <c>ESEBACKUP_TEST_RESUME_WHEN</c> also names a file, the host waits only
/// until that file exists and then goes on: a gate a test opens when it is ready, so that what the test checks in between
/// (another process finding the target busy) does not depend on how fast the machine is. Unset (always, outside
/// tests), every call returns at once.
/// </summary>
internal static class HostTestHooks
{
    /// <summary>The environment variable that names the pause point.</summary>
    public const string Variable = "ESEBACKUP_TEST_PAUSE_AT";

    /// <summary>The environment variable that names the file whose creation ends the pause.</summary>
    public const string ResumeVariable = "ESEBACKUP_TEST_RESUME_WHEN";

    /// <summary>The catalog has the run's row (Running); nothing is staged yet.</summary>
    public const string RunRecorded = "run-recorded";

    /// <summary>The plugin committed the set in staging and is about to record it in the catalog.</summary>
    public const string StagedBeforeRecord = "staged-before-record";

    /// <summary>The catalog has the staged set (Staged); it is not stored yet.</summary>
    public const string StagedRecorded = "staged-recorded";

    /// <summary>The set was moved into the repository; the catalog still says Staged.</summary>
    public const string StoredBeforeRecord = "stored-before-record";

    /// <summary>The catalog says Stored; completion has not started.</summary>
    public const string StoredRecorded = "stored-recorded";

    /// <summary>The plugin finished phase two (truncation) and is about to record it in the catalog.</summary>
    public const string CompletionBeforeRecord = "completion-before-record";

    /// <summary>The catalog says Completed.</summary>
    public const string Completed = "completed";

    /// <summary>Every point, in the order a backup passes them.</summary>
    public static IReadOnlyList<string> All { get; } = [RunRecorded, StagedBeforeRecord, StagedRecorded, StoredBeforeRecord, StoredRecorded, CompletionBeforeRecord, Completed];

    private static readonly string? PauseAt = Environment.GetEnvironmentVariable(Variable);

    private static readonly string? ResumeWhen = Environment.GetEnvironmentVariable(ResumeVariable);

    /// <summary>Pauses (for good, or until the resume file exists) when <paramref name="point"/> is the configured one.</summary>
    public static void Reached(string point)
    {
        if (PauseAt is null || !string.Equals(PauseAt, point, StringComparison.Ordinal))
        {
            return;
        }

        Console.Error.WriteLine($"esebackup-test-hook: paused at {point}");
        Console.Error.Flush();
        if (string.IsNullOrEmpty(ResumeWhen))
        {
            Thread.Sleep(Timeout.Infinite);
        }

        // A test-only wait: polling is enough, and it keeps the hook free of anything a test could leave behind.
        while (!File.Exists(ResumeWhen))
        {
            Thread.Sleep(10);
        }

        Console.Error.WriteLine($"esebackup-test-hook: resumed at {point}");
        Console.Error.Flush();
    }
}
