namespace EseBackupPlugin.Ese.Format;

/// <summary>Database state (<c>dbstate</c>, header offset 52). Values 6-8 are not in the public esent.h.</summary>
internal enum DatabaseState
{
    /// <summary>Not a known state (0 or a value ESE never writes).</summary>
    Unknown = 0,

    /// <summary>Creation never completed.</summary>
    JustCreated = 1,

    /// <summary>Needs log replay of generations genMinRequired..genMaxRequired of its log stream.</summary>
    DirtyShutdown = 2,

    /// <summary>Self-consistent: no logs needed.</summary>
    CleanShutdown = 3,

    /// <summary>Format upgrade in progress.</summary>
    BeingConverted = 4,

    /// <summary>Obsolete (removed 2008).</summary>
    ForceDetach = 5,

    /// <summary>Incremental reseed in progress: not usable.</summary>
    IncrementalReseedInProgress = 6,

    /// <summary>Dirty, and needs multi-log recovery after page patching.</summary>
    DirtyAndPatchedShutdown = 7,

    /// <summary>Being reverted with revert snapshots.</summary>
    RevertInProgress = 8,
}

/// <summary>Helpers for <see cref="DatabaseState"/>.</summary>
internal static class DatabaseStates
{
    /// <summary>Maps the stored value; anything unknown becomes <see cref="DatabaseState.Unknown"/>.</summary>
    public static DatabaseState FromValue(uint value) => value is >= 1 and <= 8 ? (DatabaseState)value : DatabaseState.Unknown;

    /// <summary>True for states that need log replay before the database can be used.</summary>
    public static bool NeedsLogs(this DatabaseState state) =>
        state is DatabaseState.DirtyShutdown or DatabaseState.DirtyAndPatchedShutdown;
}
