namespace EseBackupPlugin.Ese.Format;

/// <summary>Log header flags (<c>fLGFlags</c>, offset 639).</summary>
[Flags]
internal enum LogFileFlags : byte
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Written into a reserve log.</summary>
    ReserveLog = 0x01,

    /// <summary>Circular logging is on.</summary>
    CircularLogging = 0x02,

    /// <summary>Circular logging was on at some earlier point.</summary>
    CircularLoggingWasOn = 0x04,
}
