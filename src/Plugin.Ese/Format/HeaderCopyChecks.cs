using EseBackupPlugin.Abstractions.Files;

namespace EseBackupPlugin.Ese.Format;

/// <summary>What the selection of a doubled header (database header, checkpoint) found about its two copies.</summary>
internal interface IHeaderCopies
{
    /// <summary>The copy in use.</summary>
    HeaderCopy UsedCopy { get; }

    /// <summary>True when the file holds a second copy.</summary>
    bool ShadowPresent { get; }

    /// <summary>True when the shadow copy validated.</summary>
    bool ShadowValid { get; }

    /// <summary>True when both copies validated and are byte-identical.</summary>
    bool CopiesIdentical { get; }

    /// <summary>Checksum stored in the primary.</summary>
    uint PrimaryStored { get; }

    /// <summary>Checksum computed over the primary.</summary>
    uint PrimaryComputed { get; }

    /// <summary>Checksum stored in the shadow.</summary>
    uint ShadowStored { get; }

    /// <summary>Checksum computed over the shadow.</summary>
    uint ShadowComputed { get; }
}

/// <summary>How one file kind words its header-copy findings.</summary>
/// <param name="NeitherValid">Neither copy passes its checksum (reported at the primary).</param>
/// <param name="ShadowBadToo">Added when neither is valid and a shadow exists (reported at the shadow).</param>
/// <param name="ShadowUsed">The primary fails, the shadow is valid and was used.</param>
/// <param name="ShadowBad">The primary is valid, the shadow fails.</param>
/// <param name="CopiesDiffer">Both copies are valid but differ.</param>
/// <param name="EseError">ESE's error for a copy that fails its checksum.</param>
/// <param name="DifferEseError">ESE's error for copies that differ, if any.</param>
internal sealed record HeaderCopyWording(
    string NeitherValid, string ShadowBadToo, string ShadowUsed, string ShadowBad, string CopiesDiffer, int EseError, int? DifferEseError);

/// <summary>The findings a doubled header's two copies deserve (shared by databases and checkpoints).</summary>
internal static class HeaderCopyChecks
{
    /// <summary>Adds the findings for the copies: none valid, shadow used, shadow bad, or both valid but different.</summary>
    /// <param name="copies">The selection.</param>
    /// <param name="shadowOffset">Where the shadow copy starts.</param>
    /// <param name="wording">The kind's messages and ESE errors.</param>
    /// <param name="path">The file, for findings.</param>
    /// <param name="findings">Finding sink.</param>
    /// <param name="severity">Severity of a copy that fails its checksum.</param>
    /// <param name="differSeverity">Severity of two valid copies that differ.</param>
    public static void Report(
        IHeaderCopies copies, long shadowOffset, HeaderCopyWording wording, string path, FindingCollector findings, FindingSeverity severity, FindingSeverity differSeverity)
    {
        switch (copies.UsedCopy)
        {
            case HeaderCopy.None:
                AddPrimary(wording.NeitherValid);
                if (copies.ShadowPresent)
                {
                    AddShadow(wording.ShadowBadToo);
                }

                break;
            case HeaderCopy.Shadow:
                AddPrimary(wording.ShadowUsed);
                break;
            case HeaderCopy.Primary when copies.ShadowPresent && !copies.ShadowValid:
                AddShadow(wording.ShadowBad);
                break;
            case HeaderCopy.Primary when copies.ShadowValid && !copies.CopiesIdentical:
                findings.Add(new Finding(FindingCodes.ShadowHeaderMismatch, differSeverity, wording.CopiesDiffer)
                {
                    File = path,
                    Offset = shadowOffset,
                    EseError = wording.DifferEseError,
                });
                break;
        }

        void AddPrimary(string message) =>
            findings.Add(new Finding(FindingCodes.HeaderChecksumMismatch, severity, message)
            {
                File = path,
                Offset = 0,
                Expected = FindingCollector.Hex(copies.PrimaryStored),
                Actual = FindingCollector.Hex(copies.PrimaryComputed),
                EseError = wording.EseError,
            });

        void AddShadow(string message) =>
            findings.Add(new Finding(FindingCodes.ShadowHeaderMismatch, severity, message)
            {
                File = path,
                Offset = shadowOffset,
                Expected = FindingCollector.Hex(copies.ShadowStored),
                Actual = FindingCollector.Hex(copies.ShadowComputed),
                EseError = wording.EseError,
            });
    }
}
