namespace EseBackupPlugin.Ese.Format;

/// <summary>Database page flags (<c>fFlags</c>, offset 36 of every page header).</summary>
[Flags]
internal enum PageFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>Root of a B-tree.</summary>
    Root = 0x0001,

    /// <summary>Leaf page.</summary>
    Leaf = 0x0002,

    /// <summary>Parent of leaf pages.</summary>
    ParentOfLeaf = 0x0004,

    /// <summary>Empty page.</summary>
    Empty = 0x0008,

    /// <summary>Touched by repair.</summary>
    Repair = 0x0010,

    /// <summary>Space-tree page.</summary>
    SpaceTree = 0x0020,

    /// <summary>Index page.</summary>
    Index = 0x0040,

    /// <summary>Long-value tree page.</summary>
    LongValue = 0x0080,

    /// <summary>Index with non-unique keys.</summary>
    NonUniqueKeys = 0x0400,

    /// <summary>New record format.</summary>
    NewRecordFormat = 0x0800,

    /// <summary>The page carries the XE (XOR + ECC) checksum rather than the legacy XOR checksum.</summary>
    NewChecksumFormat = 0x2000,

    /// <summary>Scrubbed.</summary>
    Scrubbed = 0x4000,

    /// <summary>Two-bit flush type (value shifted left by 15).</summary>
    FlushTypeMask = 0x18000,

    /// <summary>Allocated with a zero data area.</summary>
    PreInitialized = 0x20000,

    /// <summary>FDP-delete marker used by revert snapshots.</summary>
    FdpDelete = 0x40000,
}
