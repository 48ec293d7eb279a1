using System.Runtime.InteropServices;

namespace EseBackupPlugin.Ese.Windows.Esent;

// esent.dll structures (reference/ese-backup-api.md §4). Blittable, laid out exactly as the native
// ones: natural packing (8 on x64, 4 on x86) except the byte-packed LGPOS/LOGTIME/SIGNATURE/BKINFO
// group. Layout tests pin sizes and offsets. Field names are ours; each names its native field.

/// <summary><c>JET_LGPOS</c>: a log position (8 bytes, byte-packed).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct JetLgpos
{
    /// <summary><c>ib</c>.</summary>
    public ushort Ib;

    /// <summary><c>isec</c>.</summary>
    public ushort Isec;

    /// <summary><c>lGeneration</c>.</summary>
    public int Generation;
}

/// <summary><c>JET_LOGTIME</c> / <c>JET_BKLOGTIME</c> (8 bytes, byte-packed).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct JetLogTime
{
    /// <summary><c>bSeconds</c>.</summary>
    public byte Second;

    /// <summary><c>bMinutes</c>.</summary>
    public byte Minute;

    /// <summary><c>bHours</c>.</summary>
    public byte Hour;

    /// <summary><c>bDay</c>.</summary>
    public byte Day;

    /// <summary><c>bMonth</c> (1–12).</summary>
    public byte Month;

    /// <summary><c>bYear</c> (years since 1900).</summary>
    public byte YearSince1900;

    /// <summary>Bit 0: UTC; bits 1–7: milliseconds, low bits.</summary>
    public byte Filler1;

    /// <summary>Bit 0: reserved / <c>fOSSnapshot</c>; bits 1–3: milliseconds, high bits.</summary>
    public byte Filler2;

    /// <summary><c>fTimeIsUTC</c>: bit 0 of <see cref="Filler1"/>. Current engines set it; older ones stamped the local time.</summary>
    public readonly bool IsUtc => (Filler1 & 1) != 0;

    /// <summary>The time, when set (all zero means "not set"), in the machine's own time zone when it is not UTC.</summary>
    public readonly DateTimeOffset? ToDateTimeOffset() => ToDateTimeOffset(TimeZoneInfo.Local);

    /// <summary>
    /// The time, when set. <c>fTimeIsUTC</c> decides how the fields are read: as UTC, or as a wall-clock time of
    /// <paramref name="localZone"/> (the zone of the machine whose esent.dll wrote it, as ESE's own managed interop
    /// reads it: <c>DateTimeKind.Local</c>).
    /// </summary>
    /// <param name="localZone">The zone a time without the UTC bit was written in.</param>
    public readonly DateTimeOffset? ToDateTimeOffset(TimeZoneInfo localZone)
    {
        ArgumentNullException.ThrowIfNull(localZone);
        if (Month is < 1 or > 12 || Day is < 1 or > 31 || Hour > 23 || Minute > 59 || Second > 59)
        {
            return null;
        }

        var ms = (Filler1 >> 1) | (((Filler2 >> 1) & 7) << 7);
        try
        {
            var clock = new DateTime(1900 + YearSince1900, Month, Day, Hour, Minute, Second, Math.Min(ms, 999), DateTimeKind.Unspecified);
            return IsUtc ? new DateTimeOffset(clock, TimeSpan.Zero) : new DateTimeOffset(clock, localZone.GetUtcOffset(clock));
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }
}

/// <summary><c>JET_SIGNATURE</c> (28 bytes, byte-packed).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal unsafe struct JetSignature
{
    /// <summary><c>ulRandom</c>.</summary>
    public uint Random;

    /// <summary><c>logtimeCreate</c>.</summary>
    public JetLogTime CreateTime;

    /// <summary><c>szComputerName</c> (8-bit, NUL padded).</summary>
    public fixed byte ComputerName[16];

    /// <summary>The 28 bytes as stored.</summary>
    public readonly byte[] ToBytes()
    {
        var bytes = new byte[sizeof(JetSignature)];
        fixed (JetSignature* self = &this)
        {
            new ReadOnlySpan<byte>(self, sizeof(JetSignature)).CopyTo(bytes);
        }

        return bytes;
    }
}

/// <summary><c>JET_BKINFO</c> (24 bytes, byte-packed).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct JetBkInfo
{
    /// <summary><c>lgposMark</c>.</summary>
    public JetLgpos Mark;

    /// <summary><c>logtimeMark</c> (or <c>bklogtimeMark</c>).</summary>
    public JetLogTime MarkTime;

    /// <summary><c>genLow</c>.</summary>
    public uint GenLow;

    /// <summary><c>genHigh</c>.</summary>
    public uint GenHigh;
}

/// <summary><c>JET_SNPROG</c>: progress of a status notification (12 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct JetSnProg
{
    /// <summary><c>cbStruct</c> (12).</summary>
    public uint StructSize;

    /// <summary><c>cunitDone</c>.</summary>
    public uint UnitsDone;

    /// <summary><c>cunitTotal</c>.</summary>
    public uint UnitsTotal;
}

/// <summary><c>JET_INSTANCE_INFO_W</c> (48 bytes on x64, 24 on x86).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct JetInstanceInfoW
{
    /// <summary><c>hInstanceId</c> (<c>JET_INSTANCE</c>).</summary>
    public nuint InstanceId;

    /// <summary><c>szInstanceName</c> (may be NULL).</summary>
    public char* InstanceName;

    /// <summary><c>cDatabases</c> (<c>JET_API_PTR</c>).</summary>
    public nuint DatabaseCount;

    /// <summary><c>szDatabaseFileName</c>: array of <see cref="DatabaseCount"/> paths.</summary>
    public char** DatabaseFileNames;

    /// <summary><c>szDatabaseDisplayName</c> (entries currently NULL).</summary>
    public char** DatabaseDisplayNames;

    /// <summary><c>szDatabaseSLVFileName_Obsolete</c>.</summary>
    public char** DatabaseSlvFileNamesObsolete;
}

/// <summary><c>JET_LOGINFO_W</c> (20 bytes): the log range of a streaming backup.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct JetLogInfoW
{
    /// <summary><c>cbSize</c>: must be set to the structure's size (20) before the call.</summary>
    public uint Size;

    /// <summary><c>ulGenLow</c>.</summary>
    public uint GenLow;

    /// <summary><c>ulGenHigh</c> (inclusive).</summary>
    public uint GenHigh;

    /// <summary><c>szBaseName</c>: three UTF-16 characters and a NUL.</summary>
    public fixed ushort BaseName[4];

    /// <summary>A structure ready to pass in (<see cref="Size"/> set).</summary>
    public static JetLogInfoW Create() => new() { Size = (uint)sizeof(JetLogInfoW) };

    /// <summary>The base name as a string.</summary>
    public readonly string BaseNameText()
    {
        fixed (ushort* p = BaseName)
        {
            var chars = new ReadOnlySpan<char>(p, 4);
            var end = chars.IndexOf('\0');
            return new string(end < 0 ? chars : chars[..end]);
        }
    }
}

/// <summary><c>JET_RSTMAP_W</c> (16 bytes on x64, 8 on x86).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct JetRstMapW
{
    /// <summary><c>szDatabaseName</c>.</summary>
    public char* DatabaseName;

    /// <summary><c>szNewDatabaseName</c>.</summary>
    public char* NewDatabaseName;
}

/// <summary><c>JET_RSTINFO_W</c> (48 bytes on x64, 32 on x86): JetInit3's restore information.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct JetRstInfoW
{
    /// <summary><c>cbStruct</c>.</summary>
    public uint StructSize;

    /// <summary><c>rgrstmap</c>.</summary>
    public JetRstMapW* RestoreMap;

    /// <summary><c>crstmap</c>.</summary>
    public int RestoreMapCount;

    /// <summary><c>lgposStop</c>.</summary>
    public JetLgpos StopPosition;

    /// <summary><c>logtimeStop</c>.</summary>
    public JetLogTime StopTime;

    /// <summary><c>pfnStatus</c> (a <c>JET_PFNSTATUS</c> function pointer).</summary>
    public nint Status;
}
