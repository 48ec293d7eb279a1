namespace EseBackupPlugin.Ese.Format;

/// <summary>Which copy of a doubled header was used.</summary>
internal enum HeaderCopy
{
    /// <summary>Neither copy is valid.</summary>
    None,

    /// <summary>The primary copy (offset 0).</summary>
    Primary,

    /// <summary>The shadow copy (second page / second 4 KiB).</summary>
    Shadow,
}

/// <summary>
/// Finds and validates a database header the way ESE does: try page sizes 2, 4, 8, 16 and 32 KiB; a copy is valid at
/// a size when its XOR checksum over that many bytes matches and its page-size field names that size. The primary
/// is preferred; a bad or different shadow is reported, a bad primary with a good shadow uses the shadow.
/// </summary>
internal sealed record DatabaseHeaderSelection : IHeaderCopies
{
    /// <summary>Candidate page sizes, ascending (ESE starts at the volume sector size, at least 2 KiB).</summary>
    public static ReadOnlySpan<int> CandidatePageSizes => [2048, 4096, 8192, 16384, 32768];

    /// <summary>Bytes needed at the start of a file to try every candidate.</summary>
    public const int MaxPrefixNeeded = 2 * 32768;

    /// <summary>The copy in use.</summary>
    public HeaderCopy UsedCopy { get; init; }

    /// <summary>The header of the copy in use; when neither copy is valid, the primary read as is (if long enough).</summary>
    public DatabaseHeader? Header { get; init; }

    /// <summary>The page size: where a copy validated, otherwise the best guess from the page-size fields, otherwise null.</summary>
    public int? PageSize { get; init; }

    /// <summary>True when the primary copy validated.</summary>
    public bool PrimaryValid { get; init; }

    /// <summary>True when the shadow copy validated.</summary>
    public bool ShadowValid { get; init; }

    /// <summary>True when both copies validated at the same size and are byte-identical.</summary>
    public bool CopiesIdentical { get; init; }

    /// <summary>Checksum stored in the primary (at <see cref="PageSize"/>).</summary>
    public uint PrimaryStored { get; init; }

    /// <summary>Checksum computed over the primary (at <see cref="PageSize"/>).</summary>
    public uint PrimaryComputed { get; init; }

    /// <summary>Checksum stored in the shadow.</summary>
    public uint ShadowStored { get; init; }

    /// <summary>Checksum computed over the shadow.</summary>
    public uint ShadowComputed { get; init; }

    /// <summary>True when the shadow could be read at all (the file holds two header pages).</summary>
    public bool ShadowPresent { get; init; }

    /// <summary>True when at least one copy is valid.</summary>
    public bool IsValid => UsedCopy != HeaderCopy.None;

    /// <summary>Runs the selection over the start of a file.</summary>
    /// <param name="prefix">The first bytes of the file (up to <see cref="MaxPrefixNeeded"/> are looked at).</param>
    /// <param name="fileLength">Length of the whole file; a candidate size is only tried when two pages fit.</param>
    public static DatabaseHeaderSelection Select(ReadOnlySpan<byte> prefix, long fileLength)
    {
        var available = (int)Math.Min(prefix.Length, Math.Min(fileLength, MaxPrefixNeeded));
        int primarySize = 0, shadowSize = 0;
        foreach (var cand in CandidatePageSizes)
        {
            if (available < 2 * cand)
            {
                break;
            }

            if (primarySize == 0 && CopyValidAt(prefix[..cand], cand))
            {
                primarySize = cand;
            }

            if (shadowSize == 0 && CopyValidAt(prefix.Slice(cand, cand), cand))
            {
                shadowSize = cand;
            }
        }

        HeaderCopy used;
        int? size;
        if (primarySize != 0)
        {
            used = HeaderCopy.Primary;
            size = primarySize;
        }
        else if (shadowSize != 0)
        {
            used = HeaderCopy.Shadow;
            size = shadowSize;
        }
        else
        {
            used = HeaderCopy.None;
            size = GuessPageSize(prefix[..available]);
        }

        var identical = primarySize != 0 && primarySize == shadowSize
            && prefix[..primarySize].SequenceEqual(prefix.Slice(primarySize, primarySize));

        // A copy that validated at this size has stored == computed: the loop already computed it.
        uint ps = 0, pc = 0, ss = 0, sc = 0;
        var shadowPresent = false;
        if (size is { } s && available >= s)
        {
            ps = XorChecksum.ReadStored(prefix);
            pc = primarySize == s ? ps : XorChecksum.Compute(prefix[..s]);
            if (available >= 2 * s)
            {
                shadowPresent = true;
                ss = XorChecksum.ReadStored(prefix[s..]);
                sc = shadowSize == s ? ss : XorChecksum.Compute(prefix.Slice(s, s));
            }
        }

        DatabaseHeader? header = used switch
        {
            HeaderCopy.Primary => DatabaseHeader.Read(prefix[..primarySize]),
            HeaderCopy.Shadow => DatabaseHeader.Read(prefix.Slice(shadowSize, shadowSize)),
            _ => available >= DatabaseHeader.UsedSize ? DatabaseHeader.Read(prefix) : null,
        };

        return new DatabaseHeaderSelection
        {
            UsedCopy = used,
            Header = header,
            PageSize = size,
            PrimaryValid = primarySize != 0,
            ShadowValid = shadowSize != 0,
            CopiesIdentical = identical,
            PrimaryStored = ps,
            PrimaryComputed = pc,
            ShadowStored = ss,
            ShadowComputed = sc,
            ShadowPresent = shadowPresent,
        };
    }

    private static bool CopyValidAt(ReadOnlySpan<byte> copy, int size) =>
        DatabaseHeader.PageSizeFromField(DatabaseHeader.ReadPageSizeField(copy)) == size && XorChecksum.IsValid(copy);

    // Neither copy validated: trust a page-size field that names a real size and fits the file, primary first.
    private static int? GuessPageSize(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length >= DatabaseHeader.UsedSize)
        {
            var primary = DatabaseHeader.PageSizeFromField(DatabaseHeader.ReadPageSizeField(prefix));
            if (DatabaseHeader.IsSupportedPageSize(primary) && prefix.Length >= primary)
            {
                return primary;
            }
        }

        foreach (var cand in CandidatePageSizes)
        {
            if (prefix.Length >= cand + DatabaseHeader.UsedSize
                && DatabaseHeader.PageSizeFromField(DatabaseHeader.ReadPageSizeField(prefix[cand..])) == cand)
            {
                return cand;
            }
        }

        return null;
    }
}
