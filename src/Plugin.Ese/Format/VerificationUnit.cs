namespace EseBackupPlugin.Ese.Format;

/// <summary>What one verified unit of a file is.</summary>
internal enum VerificationUnit
{
    /// <summary>Nothing is verified unit by unit (checkpoint, flush map, reserve logs, other files).</summary>
    None,

    /// <summary>Database pages.</summary>
    Page,

    /// <summary>4 KiB segments of v8 logs.</summary>
    Segment,

    /// <summary>LRCHECKSUM records of v7 logs.</summary>
    Record,
}

/// <summary>Names for <see cref="VerificationUnit"/>.</summary>
internal static class VerificationUnits
{
    /// <summary>The contract's name: <c>page</c>, <c>segment</c>, <c>record</c> or <c>none</c>.</summary>
    public static string ToName(this VerificationUnit unit) => unit switch
    {
        VerificationUnit.Page => "page",
        VerificationUnit.Segment => "segment",
        VerificationUnit.Record => "record",
        _ => "none",
    };
}
