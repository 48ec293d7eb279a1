using System.Buffers.Binary;

namespace EseBackupPlugin.Ese.Format;

/// <summary>The 4-byte backup type ESE stores next to several <see cref="BackupInfo"/> records.</summary>
internal enum BackupInfoType
{
    /// <summary>Streaming backup (<c>JetBackup</c>, the external backup API).</summary>
    Normal = 0,

    /// <summary>OS (VSS) snapshot backup.</summary>
    OsSnapshot = 1,

    /// <summary>Old snapshot design that never shipped.</summary>
    Snapshot = 2,

    /// <summary>Surrogate backup; only log records carry it, headers store it as <see cref="OsSnapshot"/>.</summary>
    Surrogate = 3,
}

/// <summary>
/// ESE's 24-byte <c>BKINFO</c>: the position and time of a backup's marker log record, and the log generations
/// that belong to the backup.
/// </summary>
/// <param name="Mark">Position of the backup's marker record; identifies the backup.</param>
/// <param name="MarkTime">Time of the marker.</param>
/// <param name="GenerationLow">First log generation of the backup set.</param>
/// <param name="GenerationHigh">Last log generation of the backup set.</param>
internal readonly record struct BackupInfo(LogPosition Mark, LogTime MarkTime, uint GenerationLow, uint GenerationHigh)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 24;

    /// <summary>True when no backup was recorded.</summary>
    public bool IsEmpty => Mark.IsZero && MarkTime.IsZero && GenerationLow == 0 && GenerationHigh == 0;

    /// <summary>Reads a BKINFO from the first 24 bytes of <paramref name="source"/>.</summary>
    public static BackupInfo Read(ReadOnlySpan<byte> source) => new(
        LogPosition.Read(source),
        LogTime.Read(source[8..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[16..]),
        BinaryPrimitives.ReadUInt32LittleEndian(source[20..]));

    /// <summary>Writes the 24 bytes.</summary>
    public void Write(Span<byte> destination)
    {
        Mark.Write(destination);
        MarkTime.Write(destination[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], GenerationLow);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], GenerationHigh);
    }
}
