namespace EseBackupPlugin.Ese.Sources.Vss.Metadata;

/// <summary>A VSS writer known to keep its data in ESE (reference §12).</summary>
/// <param name="Key">Short stable key, e.g. <c>ntds</c>.</param>
/// <param name="WriterId">Writer class id, when it is documented.</param>
/// <param name="Application">What the writer protects, for people.</param>
/// <param name="HoldsEseData">
/// False for writers that are ESE-based but never a backup target of their own (the search writer only
/// removes index files from new shadow copies; the DFSR writer reports replicated folders).
/// </param>
internal sealed record KnownEseWriter(string Key, Guid? WriterId, string Application, bool HoldsEseData)
{
    /// <summary>Exact writer names (case-insensitive) that identify this writer when its id is not known.</summary>
    public IReadOnlyList<string> Names { get; init; } = [];

    /// <summary>A name prefix and suffix for multi-instance writers whose names carry the instance (AD LDS).</summary>
    public (string Prefix, string Suffix)? NamePattern { get; init; }

    /// <summary>
    /// Whether file-group files other than logs and checkpoints are databases (the ESE recovery writer
    /// reports whatever database it was pointed at as a file group).
    /// </summary>
    public bool FileGroupFilesAreDatabases { get; init; }

    internal bool MatchesName(string name)
    {
        if (Names.Any(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        return NamePattern is { } p
            && name.StartsWith(p.Prefix, StringComparison.OrdinalIgnoreCase)
            && name.EndsWith(p.Suffix, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Recognises ESE-based writers by class id first, then by reported name.</summary>
internal static class EseWriterCatalog
{
    /// <summary>Every writer the plugin treats as ESE-based.</summary>
    public static IReadOnlyList<KnownEseWriter> Known { get; } =
    [
        new("ntds", new Guid("B2014C9E-8711-4C5C-A5A9-3CF384484757"), "Active Directory Domain Services", true) { Names = ["NTDS"] },
        new("adlds", new Guid("DD846AAA-A1B6-42A8-AAF8-03DCB6114BFD"), "Active Directory Lightweight Directory Services", true)
        {
            NamePattern = ("ADAM (", ") Writer"),
        },
        new("exchange", new Guid("76FE1AC4-15F7-4BCD-987E-8E1ACB462FB7"), "Microsoft Exchange", true) { Names = ["Microsoft Exchange Writer"] },
        new("exchange-replica", null, "Microsoft Exchange (replica)", true) { Names = ["Microsoft Exchange Replica Writer"] },
        new("dhcp", new Guid("BE9AC81E-3619-421F-920F-4C6FEA9E93AD"), "DHCP Server", true) { Names = ["Dhcp Jet Writer"] },
        new("wins", new Guid("F08C1483-8407-4A26-8C26-6C267A629741"), "WINS", true) { Names = ["WINS Jet Writer"] },
        new("certsvc", new Guid("6F5B15B5-DA24-4D88-B737-63063E3A1F86"), "Active Directory Certificate Services", true) { Names = ["Certificate Authority"] },
        new("rdlicensing", new Guid("5382579C-98DF-47A7-AC6C-98A6D7106E09"), "Remote Desktop Licensing", true) { Names = ["TermServLicensing"] },
        new("ese-recovery", new Guid("BCEDCF69-E5B4-49ED-9723-7BE9F7CD0992"), "esentutl /vssrec recovery writer", true)
        {
            Names = ["EseRecoveryWriter"],
            FileGroupFilesAreDatabases = true,
        },
        new("mssearch", new Guid("CD3F2362-8BEF-46C7-9181-D62844CDC0B2"), "Windows Search", false) { Names = ["MSSearch Service Writer"] },
        new("dfsr", null, "DFS Replication", false) { Names = ["DFS Replication service writer"] },
    ];

    /// <summary>The known writer for an identity, or <see langword="null"/> for writers that are not ESE-based.</summary>
    public static KnownEseWriter? Recognize(Guid writerId, string? writerName)
    {
        if (writerId != Guid.Empty)
        {
            var byId = Known.FirstOrDefault(k => k.WriterId == writerId);
            if (byId is not null)
            {
                return byId;
            }
        }

        return string.IsNullOrWhiteSpace(writerName) ? null : Known.FirstOrDefault(k => k.MatchesName(writerName.Trim()));
    }

    /// <summary>Recognises a parsed writer.</summary>
    public static KnownEseWriter? Recognize(VssWriterMetadata writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        return Recognize(writer.WriterId, writer.FriendlyName);
    }
}
