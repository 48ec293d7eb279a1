using System.Globalization;

namespace EseBackupPlugin.Ese.Format;

/// <summary>Log format version: major.minor.updateMajor.updateMinor, e.g. 8.4000.90.200.</summary>
/// <param name="Major">≤ 7: legacy LRCHECKSUM format; ≥ 8: 4 KiB segments with XE checksums.</param>
/// <param name="Minor">Deprecated: 3704 (v7) or 4000 (v8).</param>
/// <param name="UpdateMajor">Update (major).</param>
/// <param name="UpdateMinor">Update (minor); since x.xxxx.xx.11 it only grows.</param>
internal readonly record struct LogVersion(uint Major, uint Minor, uint UpdateMajor, uint UpdateMinor)
{
    /// <summary>First update-minor whose header stores the previous generation's accumulated segment checksum.</summary>
    public const uint AccumulatedChecksumUpdateMinor = 13;

    /// <summary>True for the segment (v8+) format.</summary>
    public bool IsSegmentFormat => Major >= 8;

    /// <summary>
    /// True when <c>checksumPrevLogAllSegments</c> is meaningful: the version is at least 8.4000.0.0 (where update-minor
    /// numbers are unified) and update-minor is at least 13.
    /// </summary>
    public bool HasPreviousLogChecksum => CompareTo(8, 4000, 0, 0) >= 0 && UpdateMinor >= AccumulatedChecksumUpdateMinor;

    /// <summary>True when segment files may end with zero-filled segments (format 8.4000.2 and later).</summary>
    public bool AllowsZeroFilledTail => CompareTo(8, 4000, 2, 0) >= 0;

    /// <summary>Compares with a version field by field.</summary>
    public int CompareTo(uint major, uint minor, uint updateMajor, uint updateMinor)
    {
        var c = Major.CompareTo(major);
        if (c == 0)
        {
            c = Minor.CompareTo(minor);
        }

        if (c == 0)
        {
            c = UpdateMajor.CompareTo(updateMajor);
        }

        return c != 0 ? c : UpdateMinor.CompareTo(updateMinor);
    }

    /// <summary><c>major.minor.updateMajor.updateMinor</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{UpdateMajor}.{UpdateMinor}");
}
