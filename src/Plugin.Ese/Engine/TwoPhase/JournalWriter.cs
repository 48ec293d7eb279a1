using System.Text.Json;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Manifest;
using static EseBackupPlugin.Abstractions.Json.ContractJsonWriting;

namespace EseBackupPlugin.Ese.Engine.TwoPhase;

/// <summary>
/// Writes a <see cref="JournalEntry"/> with <see cref="Utf8JsonWriter"/> directly, byte for byte what
/// <see cref="JournalJsonContext"/> writes (the manifest has the same treatment, <c>ManifestJson.Serialize</c>).
/// <para>
/// Why: every backup writes its journal entry, and it was the process's first use of the JSON serializer, whose start
/// (options, converters, the generic metadata code the runtime compiles on first use) cost ~40 ms on the critical path of
/// each command on a 2-core EPYC; this writes it in about one. Reading stays with the serializer; a property test pins this
/// writer to it for random entries, and a reflection test fails when a journal type gains a member this writer does not
/// write.
/// </para>
/// </summary>
internal static class JournalWriter
{
    public static byte[] Write(JournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return Document(2048, w => Entry(w, entry));
    }

    private static void Entry(Utf8JsonWriter w, JournalEntry e)
    {
        w.WriteStartObject();
        w.WriteString("setId", e.SetId);
        w.WriteString("targetId", e.TargetId);
        Enum(w, "kind", Name(e.Kind), (int)e.Kind);
        Enum(w, "targetKind", Name(e.TargetKind), (int)e.TargetKind);
        w.WriteString("strategy", e.Strategy);
        w.WriteString("stagedAt", e.StagedAt);
        w.WriteString("leaseExpiresAt", e.LeaseExpiresAt);
        Enum(w, "state", StateName(e.State), (int)e.State);
        if (e.Verdict is { } verdict)
        {
            w.WriteBoolean("verdict", verdict);
        }

        w.WriteBoolean("leaseExpired", e.LeaseExpired);
        if (e.Intent is not null)
        {
            Logs(w, "intent", e.Intent);
        }

        if (e.Report is { } report)
        {
            w.WritePropertyName("report");
            Report(w, report);
        }

        w.WriteBoolean("catalogRecorded", e.CatalogRecorded);
        var set = e.Set; // computed, but a public getter: the serializer writes it
        w.WriteStartObject("set");
        w.WriteString("setId", set.SetId);
        w.WriteString("targetId", set.TargetId);
        Enum(w, "kind", Name(set.Kind), (int)set.Kind);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Logs(Utf8JsonWriter w, string name, IReadOnlyList<TruncatedLog> logs)
    {
        w.WriteStartArray(name);
        foreach (var log in logs)
        {
            w.WriteStartObject();
            w.WriteString("path", log.Path);
            w.WriteNumber("generation", log.Generation);
            w.WriteNumber("size", log.Size);
            Enum(w, "reason", Name(log.Reason), (int)log.Reason);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void Report(Utf8JsonWriter w, TruncationReport r)
    {
        w.WriteStartObject();
        w.WriteString("setId", r.SetId);
        w.WriteString("targetId", r.TargetId);
        Enum(w, "kind", Name(r.Kind), (int)r.Kind);
        w.WriteBoolean("hostSucceeded", r.HostSucceeded);
        Enum(w, "status", Name(r.Status), (int)r.Status);
        Enum(w, "performedBy", Name(r.PerformedBy), (int)r.PerformedBy);
        if (r.Removed is not null)
        {
            Logs(w, "removed", r.Removed);
        }

        Range(w, "range", r.Range);
        OptionalString(w, "reason", r.Reason);

        w.WriteString("at", r.At);
        if (r.Error is { } error)
        {
            w.WritePropertyName("error");
            Error(w, error);
        }

        w.WriteEndObject();
    }

    private static void Error(Utf8JsonWriter w, PluginError e)
    {
        w.WriteStartObject();
        w.WriteStartObject("code");
        w.WriteString("name", e.Code.Name);
        if (e.Code.EseError is { } ese)
        {
            w.WriteNumber("eseError", ese);
        }
        else
        {
            w.WriteNull("eseError"); // written even when null, as the contract says
        }

        w.WriteString("eseName", e.Code.EseName);
        Enum(w, "category", Name(e.Code.Category), (int)e.Code.Category);
        w.WriteBoolean("isTransient", e.Code.IsTransient);
        w.WriteEndObject();
        w.WriteString("message", e.Message);
        OptionalString(w, "targetId", e.TargetId);
        OptionalString(w, "file", e.File);
        OptionalNumber(w, "page", e.Page);
        OptionalNumber(w, "offset", e.Offset);
        OptionalNumber(w, "generation", e.Generation);
        OptionalNumber(w, "nativeStatus", e.NativeStatus);
        if (e.Details is not null)
        {
            w.WriteStartObject("details");
            foreach (var (key, value) in e.Details)
            {
                w.WriteString(key, value);
            }

            w.WriteEndObject();
        }

        w.WriteBoolean("isTransient", e.IsTransient);
        w.WriteEndObject();
    }

    private static string? StateName(StagedSetState state) => state switch
    {
        StagedSetState.Staged => "staged",
        StagedSetState.Completing => "completing",
        StagedSetState.Completed => "completed",
        StagedSetState.Abandoned => "abandoned",
        _ => null,
    };
}
