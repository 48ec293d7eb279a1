using System.Buffers.Binary;
using System.Globalization;

namespace EseBackupPlugin.Ese.Format;

/// <summary>
/// ESE's 8-byte <c>LOGTIME</c>: seconds, minutes, hours, day, month (1-12), year-1900, then two bytes
/// that pack a UTC flag, an "OS snapshot" marker and an 11-bit millisecond count.
/// </summary>
/// <remarks>
/// The raw value is kept because ESE compares log times of consecutive generations byte for byte
/// (<c>tmPrevGen == tmCreate</c>); converting to <see cref="DateTimeOffset"/> would lose invalid values.
/// </remarks>
/// <param name="Raw">The eight bytes read as a little-endian 64-bit value.</param>
internal readonly record struct LogTime(ulong Raw)
{
    /// <summary>Size on disk.</summary>
    public const int Size = 8;

    private const int UtcBit = 0x01;
    private const int SnapshotBit = 0x01;

    /// <summary>All eight bytes zero: ESE's "not set".</summary>
    public static LogTime None => default;

    /// <summary>True when the time was never set.</summary>
    public bool IsZero => Raw == 0;

    /// <summary>Seconds (0-59 when valid).</summary>
    public int Second => Byte(0);

    /// <summary>Minutes (0-59 when valid).</summary>
    public int Minute => Byte(1);

    /// <summary>Hours (0-23 when valid).</summary>
    public int Hour => Byte(2);

    /// <summary>Day of month (1-31 when valid).</summary>
    public int Day => Byte(3);

    /// <summary>Month 1-12: ESE stores the calendar month as the OS reports it.</summary>
    public int Month => Byte(4);

    /// <summary>Full year (the byte stores year - 1900).</summary>
    public int Year => 1900 + Byte(5);

    /// <summary>Current engines always stamp UTC; older ones stored local time without saying which zone.</summary>
    public bool IsUtc => (Byte(6) & UtcBit) != 0;

    /// <summary>In backup timestamps this bit marks an OS (VSS) snapshot backup.</summary>
    public bool IsOsSnapshot => (Byte(7) & SnapshotBit) != 0;

    /// <summary>Milliseconds: low 7 bits in byte 6 (above the UTC bit), high 3 bits in byte 7.</summary>
    public int Millisecond => (Byte(6) >> 1) | (((Byte(7) >> 1) & 0x7) << 7);

    /// <summary>Reads a LOGTIME from the first eight bytes of <paramref name="source"/>.</summary>
    public static LogTime Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt64LittleEndian(source));

    /// <summary>Builds a LOGTIME for a moment (stored as UTC, like current engines do).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The year is outside 1900-2155, which one byte cannot hold.</exception>
    public static LogTime FromDateTimeOffset(DateTimeOffset value, bool osSnapshot = false)
    {
        var utc = value.UtcDateTime;
        if (utc.Year < 1900 || utc.Year > 1900 + byte.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A LOGTIME holds years 1900 to 2155 only.");
        }

        var ms = utc.Millisecond;
        Span<byte> b = stackalloc byte[Size];
        b[0] = (byte)utc.Second;
        b[1] = (byte)utc.Minute;
        b[2] = (byte)utc.Hour;
        b[3] = (byte)utc.Day;
        b[4] = (byte)utc.Month;
        b[5] = (byte)(utc.Year - 1900);
        b[6] = (byte)(UtcBit | ((ms & 0x7F) << 1));
        b[7] = (byte)((osSnapshot ? SnapshotBit : 0) | (((ms >> 7) & 0x7) << 1));
        return Read(b);
    }

    /// <summary>Writes the eight bytes.</summary>
    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt64LittleEndian(destination, Raw);

    /// <summary>
    /// The moment, or <see langword="null"/> when the time is unset or its fields are out of range.
    /// Times without the UTC bit are returned with offset zero: the file does not say which zone they were in.
    /// </summary>
    public DateTimeOffset? ToDateTimeOffset()
    {
        if (IsZero || Month is < 1 or > 12 || Day < 1 || Hour > 23 || Minute > 59 || Second > 59 || Millisecond > 999)
        {
            return null;
        }

        if (Day > DateTime.DaysInMonth(Year, Month))
        {
            return null;
        }

        return new DateTimeOffset(Year, Month, Day, Hour, Minute, Second, Millisecond, TimeSpan.Zero);
    }

    /// <summary>
    /// Orders like ESE does: year, month, day, hour, minute, second, then the millisecond bytes. The UTC and
    /// snapshot bits take no part, so two times can compare equal and still differ in their bytes.
    /// </summary>
    public static int Compare(LogTime left, LogTime right)
    {
        ReadOnlySpan<int> order = [5, 4, 3, 2, 1, 0];
        foreach (var i in order)
        {
            var c = left.Byte(i).CompareTo(right.Byte(i));
            if (c != 0)
            {
                return c;
            }
        }

        return left.Millisecond.CompareTo(right.Millisecond);
    }

    /// <summary>ISO 8601 text (with a trailing <c>Z</c> when the UTC bit is set), <c>none</c>, or the raw bytes in hex when invalid.</summary>
    public override string ToString()
    {
        if (IsZero)
        {
            return "none";
        }

        return ToDateTimeOffset() is { } t
            ? t.ToString(IsUtc ? "yyyy-MM-dd'T'HH:mm:ss.fff'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture)
            : "0x" + Raw.ToString("X16", CultureInfo.InvariantCulture);
    }

    private int Byte(int index) => (int)((Raw >> (8 * index)) & 0xFF);
}
