using System.Text.Json;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using static EseBackupPlugin.Abstractions.Json.ContractJsonWriting;

namespace EseBackupPlugin.Abstractions.Json;

/// <summary>
/// Writes a <see cref="BackupManifest"/> with <see cref="Utf8JsonWriter"/> directly, byte for byte what
/// <see cref="ContractJsonContext"/> writes for any manifest the contract allows (its required members set): camelCase
/// names in declaration order, enums by their contract names, nulls omitted except <see cref="ChainInfo.PreviousSetId"/>,
/// indented, the default encoder.
/// <para>
/// Why not the serializer: every backup writes one manifest, and the first serialization in a process builds the
/// contract's JSON metadata, generic code over each property's type that the runtime compiles on first use (ReadyToRun
/// cannot precompile it across the framework's version bubble): 40–50 ms on the critical path of each <c>esebackup</c>
/// command on a 2-core EPYC, against ~1 ms here. Reading stays with the serializer (the source-generated metadata is the
/// one definition of the format); a property test pins this writer to it for random manifests, and a reflection test fails
/// when a contract type gains a member this writer does not write.
/// </para>
/// </summary>
internal static class ManifestWriter
{
    public static byte[] Write(BackupManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return Document(16 * 1024, w => Manifest(w, manifest));
    }

    private static void Manifest(Utf8JsonWriter w, BackupManifest m)
    {
        w.WriteStartObject();
        w.WriteNumber("manifestVersion", m.ManifestVersion);
        w.WriteString("setId", m.SetId);
        w.WritePropertyName("target");
        Target(w, m.Target);
        Enum(w, "kind", Name(m.Kind), (int)m.Kind);
        w.WriteString("startedAt", m.StartedAt);
        w.WriteString("finishedAt", m.FinishedAt);
        w.WritePropertyName("chain");
        Chain(w, m.Chain);
        w.WritePropertyName("producer");
        Producer(w, m.Producer);
        w.WriteStartArray("files");
        foreach (var file in m.Files)
        {
            File(w, file);
        }

        w.WriteEndArray();
        Range(w, "logRange", m.LogRange);
        w.WritePropertyName("truncation");
        Truncation(w, m.Truncation);
        w.WritePropertyName("verification");
        Verification(w, m.Verification);
        OptionalString(w, "vssBackupComponentsDocument", m.VssBackupComponentsDocument);
        if (m.Properties is not null)
        {
            w.WriteStartObject("properties");
            foreach (var (key, value) in m.Properties)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void Target(Utf8JsonWriter w, TargetIdentity t)
    {
        w.WriteStartObject();
        w.WriteString("id", t.Id);
        Enum(w, "kind", Name(t.Kind), (int)t.Kind);
        w.WriteString("displayName", t.DisplayName);
        OptionalString(w, "location", t.Location);
        OptionalString(w, "instanceName", t.InstanceName);
        if (t.Vss is { } vss)
        {
            w.WriteStartObject("vss");
            w.WriteString("writerId", vss.WriterId);
            w.WriteString("writerName", vss.WriterName);
            w.WriteString("logicalPath", vss.LogicalPath);
            w.WriteString("componentName", vss.ComponentName);
            if (vss.WriterInstanceId is { } instance)
            {
                w.WriteString("writerInstanceId", instance);
            }

            OptionalString(w, "writerInstanceName", vss.WriterInstanceName);
            w.WriteBoolean("selectable", vss.Selectable);
            w.WriteEndObject();
        }

        OptionalString(w, "logSignature", t.LogSignature);
        OptionalString(w, "logBaseName", t.LogBaseName);
        if (t.DatabaseSignatures is not null)
        {
            w.WriteStartArray("databaseSignatures");
            foreach (var signature in t.DatabaseSignatures)
            {
                w.WriteStringValue(signature);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void Chain(Utf8JsonWriter w, ChainInfo c)
    {
        w.WriteStartObject();
        w.WriteString("chainId", c.ChainId);
        w.WriteString("previousSetId", c.PreviousSetId); // written even when null (a first full says so)
        w.WriteNumber("sequence", c.Sequence);
        w.WriteEndObject();
    }

    private static void Producer(Utf8JsonWriter w, ProducerInfo p)
    {
        w.WriteStartObject();
        w.WriteString("pluginId", p.PluginId);
        w.WriteString("pluginVersion", p.PluginVersion);
        w.WriteString("contractVersion", p.ContractVersion);
        w.WriteString("strategy", p.Strategy);
        w.WriteString("machineName", p.MachineName);
        w.WriteEndObject();
    }

    private static void File(Utf8JsonWriter w, ManifestFile f)
    {
        w.WriteStartObject();
        w.WriteString("path", f.Path);
        Enum(w, "role", Name(f.Role), (int)f.Role);
        w.WriteNumber("size", f.Size);
        w.WriteString("sha256", f.Sha256);
        OptionalString(w, "sourcePath", f.SourcePath);
        if (f.Database is { } d)
        {
            w.WriteStartObject("database");
            w.WriteNumber("pageSize", d.PageSize);
            w.WriteNumber("formatVersion", d.FormatVersion);
            w.WriteNumber("formatRevision", d.FormatRevision);
            w.WriteString("state", d.State);
            OptionalString(w, "databaseSignature", d.DatabaseSignature);
            OptionalString(w, "logSignature", d.LogSignature);
            Range(w, "requiredLogRange", d.RequiredLogRange);
            OptionalNumber(w, "committedGeneration", d.CommittedGeneration);
            w.WriteNumber("pagesVerified", d.PagesVerified);
            w.WriteBoolean("hasBackupTrailer", d.HasBackupTrailer);
            w.WriteEndObject();
        }

        if (f.Log is { } l)
        {
            w.WriteStartObject("log");
            w.WriteNumber("generation", l.Generation);
            OptionalString(w, "logSignature", l.LogSignature);
            OptionalTime(w, "created", l.Created);
            OptionalTime(w, "previousGenerationCreated", l.PreviousGenerationCreated);
            OptionalString(w, "formatVersion", l.FormatVersion);
            w.WriteBoolean("wasCurrentLog", l.WasCurrentLog);
            OptionalString(w, "replacesCopyInSetId", l.ReplacesCopyInSetId);
            w.WriteNumber("unitsVerified", l.UnitsVerified);
            w.WriteEndObject();
        }

        if (f.Checkpoint is { } c)
        {
            w.WriteStartObject("checkpoint");
            w.WriteNumber("checkpointGeneration", c.CheckpointGeneration);
            OptionalString(w, "logSignature", c.LogSignature);
            w.WriteEndObject();
        }

        if (f.Findings is not null)
        {
            w.WriteStartArray("findings");
            foreach (var finding in f.Findings)
            {
                Finding(w, finding);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    private static void Finding(Utf8JsonWriter w, Finding f)
    {
        w.WriteStartObject();
        w.WriteString("code", f.Code);
        Enum(w, "severity", Name(f.Severity), (int)f.Severity);
        w.WriteString("message", f.Message);
        OptionalString(w, "file", f.File);
        OptionalNumber(w, "page", f.Page);
        OptionalNumber(w, "sector", f.Sector);
        OptionalNumber(w, "offset", f.Offset);
        OptionalNumber(w, "generation", f.Generation);
        OptionalString(w, "expected", f.Expected);
        OptionalString(w, "actual", f.Actual);
        OptionalNumber(w, "correctableBit", f.CorrectableBit);
        OptionalNumber(w, "eseError", f.EseError);
        w.WriteEndObject();
    }

    private static void Truncation(Utf8JsonWriter w, TruncationPlan t)
    {
        w.WriteStartObject();
        Enum(w, "mode", Name(t.Mode), (int)t.Mode);
        Enum(w, "performer", Name(t.Performer), (int)t.Performer);
        Range(w, "expectedRange", t.ExpectedRange);
        w.WriteEndObject();
    }

    private static void Verification(Utf8JsonWriter w, VerificationSummary v)
    {
        w.WriteStartObject();
        w.WriteNumber("filesVerified", v.FilesVerified);
        w.WriteNumber("pagesVerified", v.PagesVerified);
        w.WriteNumber("uninitializedPages", v.UninitializedPages);
        w.WriteNumber("logUnitsVerified", v.LogUnitsVerified);
        w.WriteNumber("findings", v.Findings);
        w.WriteEndObject();
    }
}
