using System.Globalization;
using System.Text.Json.Nodes;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Engine.Verification;

/// <summary>
/// The facts of a verified or inspected file as JSON with stable camelCase names (what esentutl /mh, /ml and /mk
/// print). Names are part of the contract: add new ones, never rename.
/// </summary>
internal static class EseFileDetails
{
    /// <summary>Builds the details object.</summary>
    /// <param name="result">What verification or inspection found.</param>
    /// <param name="length">File length.</param>
    /// <param name="verified">True when the whole file was verified (adds unit counters).</param>
    public static JsonObject ToJson(EseVerificationResult result, long length, bool verified)
    {
        var o = new JsonObject
        {
            ["kind"] = result.Kind.ToName(),
            ["kindReason"] = result.KindReason,
            ["fileName"] = Path.GetFileName(result.DisplayPath),
            ["length"] = length,
        };
        if (result.LogName is { } name)
        {
            o["baseName"] = name.BaseName;
            o["nameGeneration"] = name.Generation;
            o["isCurrentLog"] = name.Kind == LogFileNameKind.Current;
        }

        switch (result.Kind)
        {
            case EseFileKind.Database:
                AddDatabase(o, result, verified);
                break;
            case EseFileKind.Log or EseFileKind.TemporaryLog:
                AddLog(o, result, verified);
                break;
            case EseFileKind.Checkpoint:
                AddCheckpoint(o, result);
                break;
            case EseFileKind.FlushMap when result.FlushMap is { } fm:
                o["version"] = fm.Version;
                o["clean"] = fm.IsClean;
                o["created"] = Time(fm.Created);
                o["genMinRequired"] = fm.GenMinRequired;
                break;
        }

        // Re-parse so every number is a JSON number rather than a boxed CLR int/uint/long: callers can then read any
        // field with any numeric type, exactly as they would after the object crossed a process boundary.
        return JsonNode.Parse(o.ToJsonString())!.AsObject();
    }

    private static void AddDatabase(JsonObject o, EseVerificationResult r, bool verified)
    {
        o["headerCopy"] = r.HeaderCopyUsed switch
        {
            HeaderCopy.Primary => "primary",
            HeaderCopy.Shadow => "shadow",
            _ => "none",
        };
        o["pageSize"] = r.PageSize;
        if (verified)
        {
            o["pagesChecked"] = r.UnitsChecked;
            o["pagesUninitialized"] = r.UnitsUninitialized;
            o["pagesCorrupt"] = r.UnitsCorrupt;
            o["pagesNotVerified"] = r.UnitsNotVerified;
            o["legacyChecksumPages"] = r.LegacyChecksumPages;
            o["xeChecksumPages"] = r.XeChecksumPages;
        }

        if (r.Database is { } h)
        {
            AddDatabaseHeader(o, h);
            o["backupTrailer"] = r.Trailer is { } t
                ? new JsonObject
                {
                    ["backup"] = Backup(t.Backup, null),
                    ["databaseSignature"] = Signature(t.DatabaseSignature),
                    ["logSignature"] = Signature(t.LogSignature),
                    ["genMinRequired"] = t.GenMinRequired,
                    ["genMaxRequired"] = t.GenMaxRequired,
                    ["genMaxCommitted"] = t.GenMaxCommitted,
                }
                : null;
        }
    }

    private static void AddDatabaseHeader(JsonObject o, DatabaseHeader h)
    {
        o["state"] = h.State.ToString();
        o["stateValue"] = (long)h.StateValue;
        o["formatVersion"] = (long)h.FormatVersion;
        o["formatRevision"] = (long)h.FormatRevision;
        o["formatUpdateMinor"] = (long)h.FormatUpdateMinor;
        o["createdFormatVersion"] = (long)h.CreateVersion;
        o["createdFormatRevision"] = (long)h.CreateRevision;
        o["databaseSignature"] = Signature(h.DatabaseSignature);
        o["logSignature"] = Signature(h.LogSignature);
        o["created"] = Time(h.Created);
        o["requiredLogRange"] = h.RequiredLogRange is { } range ? new JsonObject { ["low"] = range.Low, ["high"] = range.High } : null;
        o["genMinRequired"] = h.GenMinRequired;
        o["genMaxRequired"] = h.GenMaxRequired;
        o["genMaxCommitted"] = h.GenMaxCommitted;
        o["genMinConsistent"] = h.GenMinConsistent;
        o["genMaxRequiredCreated"] = Time(h.GenMaxRequiredCreated);
        o["dbTimeDirtied"] = (long)h.DbTimeDirtied;
        o["consistent"] = Event(h.ConsistentPosition, h.ConsistentTime);
        o["attach"] = Event(h.AttachPosition, h.AttachTime);
        o["detach"] = Event(h.DetachPosition, h.DetachTime);
        o["databaseId"] = (long)h.DatabaseId;
        o["objidLast"] = (long)h.ObjidLast;
        o["fileType"] = (long)h.FileType;
        o["flags"] = (long)h.Flags;
        o["catalogShadowingDisabled"] = h.CatalogShadowingDisabled;
        o["isTemporaryDatabase"] = h.IsTemporaryDatabase;
        o["osVersion"] = new JsonObject
        {
            ["major"] = (long)h.OsMajorVersion,
            ["minor"] = (long)h.OsMinorVersion,
            ["build"] = (long)h.OsBuildNumber,
            ["servicePack"] = (long)h.OsServicePack,
        };
        o["repairCount"] = (long)h.RepairCount;
        o["repairTime"] = Time(h.RepairTime);
        o["backups"] = new JsonObject
        {
            ["fullPrevious"] = Backup(h.FullBackupPrevious, h.FullBackupPreviousType),
            ["incrementalPrevious"] = Backup(h.IncrementalBackupPrevious, h.IncrementalBackupPreviousType),
            ["copyPrevious"] = Backup(h.CopyBackupPrevious, h.CopyBackupPreviousType),
            ["differentialPrevious"] = Backup(h.DifferentialBackupPrevious, h.DifferentialBackupPreviousType),
            ["fullCurrent"] = Backup(h.FullBackupCurrent, null),
            ["snapshotCurrent"] = Backup(h.SnapshotBackupCurrent, null),
        };
        o["eccFixesSucceeded"] = (long)h.EccFixSucceeded.Count;
        o["eccFixesFailed"] = (long)h.EccFixFailed.Count;
        o["badChecksums"] = (long)h.BadChecksums.Count;
    }

    private static void AddLog(JsonObject o, EseVerificationResult r, bool verified)
    {
        o["headerValid"] = r.LogHeaderValid;
        if (verified)
        {
            o["unit"] = r.Unit.ToName();
            o["unitsChecked"] = r.UnitsChecked;
            o["unitsUninitialized"] = r.UnitsUninitialized;
            o["unitsCorrupt"] = r.UnitsCorrupt;
            if (r.Unit == VerificationUnit.Segment)
            {
                o["goodSegments"] = r.GoodSegments;
                o["shadowSegments"] = r.ShadowSegments;
                o["accumulatedSegmentChecksum"] = r.AccumulatedSegmentChecksum is { } acc ? Hex(acc) : null;
            }
        }

        if (r.Log is not { } h)
        {
            return;
        }

        o["generation"] = h.Generation;
        o["logSignature"] = Signature(h.Signature);
        o["created"] = Time(h.Created);
        o["previousGenerationCreated"] = Time(h.PreviousGenerationCreated);
        o["formatVersion"] = h.Version.ToString();
        o["segmentFormat"] = h.Version.IsSegmentFormat;
        o["sectorSize"] = (long)h.SectorSize;
        o["headerSectors"] = (long)h.HeaderSectors;
        o["fileSectors"] = (long)h.FileSectors;
        o["declaredLength"] = h.DeclaredFileLength;
        o["databasePageSize"] = h.DatabasePageSize;
        o["circularLogging"] = h.CircularLogging;
        o["flags"] = (int)h.Flags;
        o["checkpoint"] = h.Checkpoint.ToString();
        o["previousLogAccumulatedChecksum"] = h.Version.HasPreviousLogChecksum ? Hex(h.PreviousLogAccumulatedChecksum) : null;
        o["fileType"] = (long)h.FileType;
        o["systemPath"] = h.Dbms.SystemPath;
        o["logPath"] = h.Dbms.LogPath;
        o["attachedDatabases"] = Attached(h.AttachedDatabases);
    }

    private static void AddCheckpoint(JsonObject o, EseVerificationResult r)
    {
        o["headerCopy"] = r.HeaderCopyUsed switch
        {
            HeaderCopy.Primary => "primary",
            HeaderCopy.Shadow => "shadow",
            _ => "none",
        };
        if (r.Checkpoint is not { } c)
        {
            return;
        }

        o["generation"] = c.CheckpointGeneration;
        o["checkpoint"] = c.Checkpoint.ToString();
        o["logSignature"] = Signature(c.Signature);
        o["circularLogging"] = c.CircularLogging;
        o["lastFullBackupCheckpoint"] = Position(c.LastFullBackupCheckpoint);
        o["fullBackup"] = Event(c.FullBackup, c.FullBackupTime);
        o["incrementalBackup"] = Event(c.IncrementalBackup, c.IncrementalBackupTime);
        o["fileType"] = (long)c.FileType;
        o["systemPath"] = c.Dbms.SystemPath;
        o["logPath"] = c.Dbms.LogPath;
        o["attachedDatabases"] = Attached(c.AttachedDatabases);
    }

    private static JsonArray Attached(AttachInfoList list)
    {
        var a = new JsonArray();
        foreach (var e in list.Entries)
        {
            a.Add((JsonNode)new JsonObject
            {
                ["databaseId"] = (long)e.DatabaseId,
                ["path"] = e.Path,
                ["databaseSignature"] = Signature(e.DatabaseSignature),
                ["attach"] = Position(e.Attach),
                ["consistent"] = Position(e.Consistent),
            });
        }

        return a;
    }

    private static JsonObject? Backup(BackupInfo b, BackupInfoType? type)
    {
        if (b.IsEmpty)
        {
            return null;
        }

        var o = new JsonObject
        {
            ["mark"] = b.Mark.ToString(),
            ["markTime"] = Time(b.MarkTime),
            ["genLow"] = (long)b.GenerationLow,
            ["genHigh"] = (long)b.GenerationHigh,
        };
        if (type is { } t)
        {
            o["type"] = t switch
            {
                BackupInfoType.Normal => "normal",
                BackupInfoType.OsSnapshot => "osSnapshot",
                BackupInfoType.Snapshot => "snapshot",
                BackupInfoType.Surrogate => "surrogate",
                _ => ((int)t).ToString(CultureInfo.InvariantCulture),
            };
        }

        return o;
    }

    private static JsonObject? Event(LogPosition position, LogTime time) =>
        position.IsZero && time.IsZero ? null : new JsonObject { ["position"] = Position(position), ["time"] = Time(time) };

    private static string? Position(LogPosition p) => p.IsZero ? null : p.ToString();

    private static string? Time(LogTime t) => t.IsZero ? null : t.ToString();

    private static string? Signature(EseSignature s) => s.IsZero ? null : s.ToString();

    private static string Hex(ulong v) => "0x" + v.ToString("X16", CultureInfo.InvariantCulture);
}
