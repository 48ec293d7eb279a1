namespace EseBackupPlugin.Ese.Format;

/// <summary>What a file is, as far as ESE is concerned.</summary>
internal enum EseFileKind
{
    /// <summary>Not an ESE file.</summary>
    NotEse,

    /// <summary>Zero bytes long (and not a patch file).</summary>
    Empty,

    /// <summary>Looks like an ESE file but is too short to hold its header.</summary>
    Truncated,

    /// <summary>A database (<c>.edb</c>, <c>.dit</c>, <c>.dat</c>, ...).</summary>
    Database,

    /// <summary>A transaction log generation (current or archived).</summary>
    Log,

    /// <summary><c>&lt;base&gt;tmp.log</c>: the next log being pre-formatted; never part of a backup.</summary>
    TemporaryLog,

    /// <summary>Reserve log: an all-zero <c>.jrs</c>, or an old engine's <c>res1.log</c>/<c>res2.log</c>; never backed up.</summary>
    ReserveLog,

    /// <summary>The checkpoint file.</summary>
    Checkpoint,

    /// <summary>A flush map (<c>.jfm</c>, file type 7).</summary>
    FlushMap,

    /// <summary>A patch file (<c>.pat</c>, zero bytes since 2001).</summary>
    Patch,
}

/// <summary>Names for <see cref="EseFileKind"/> used in reports.</summary>
internal static class EseFileKinds
{
    /// <summary>The stable camelCase name (<c>database</c>, <c>log</c>, <c>notEse</c>, ...).</summary>
    public static string ToName(this EseFileKind kind) => kind switch
    {
        EseFileKind.NotEse => "notEse",
        EseFileKind.Empty => "empty",
        EseFileKind.Truncated => "truncated",
        EseFileKind.Database => "database",
        EseFileKind.Log => "log",
        EseFileKind.TemporaryLog => "temporaryLog",
        EseFileKind.ReserveLog => "reserveLog",
        EseFileKind.Checkpoint => "checkpoint",
        EseFileKind.FlushMap => "flushMap",
        EseFileKind.Patch => "patch",
        _ => "notEse",
    };
}
