using System.Text.Json;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Abstractions.Files;
using EseBackupPlugin.Abstractions.Manifest;
using EseBackupPlugin.Abstractions.Targets;

namespace EseBackupPlugin.Abstractions.Json;

/// <summary>
/// What the hand-written JSON writers of contract types share (the manifest's here, the plugin's journal entry): the
/// contract's enum names, and how optional members and ranges are written, as the source-generated serializer writes them.
/// One source, compiled into the contract and linked into the plugin (the contract exposes none of it).
/// </summary>
internal static class ContractJsonWriting
{
    /// <summary>One indented document, as the serializer writes it (its default encoder and line ending).</summary>
    public static byte[] Document(int initialCapacity, Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(initialCapacity);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            body(w);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static void OptionalString(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    public static void OptionalNumber(Utf8JsonWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, v);
        }
    }

    public static void OptionalTime(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } v)
        {
            w.WriteString(name, v);
        }
    }

    /// <summary>A range, when there is one; <see cref="GenerationRange.Count"/> is computed but has a public getter, so it is written.</summary>
    public static void Range(Utf8JsonWriter w, string name, GenerationRange? range)
    {
        if (range is null)
        {
            return;
        }

        w.WriteStartObject(name);
        w.WriteNumber("low", range.Low);
        w.WriteNumber("high", range.High);
        w.WriteNumber("count", range.Count);
        w.WriteEndObject();
    }

    /// <summary>An enum member by its contract name; a value outside the enum has none and is written as its number, as the serializer does.</summary>
    public static void Enum(Utf8JsonWriter w, string name, string? text, int value)
    {
        if (text is null)
        {
            w.WriteNumber(name, value);
        }
        else
        {
            w.WriteString(name, text);
        }
    }

    // The contract's enum names (JsonStringEnumMemberName on each member); the writers' property tests hold them to the
    // serializer's.
    public static string? Name(BackupKind kind) => kind switch
    {
        BackupKind.Full => "full",
        BackupKind.Incremental => "incremental",
        BackupKind.Copy => "copy",
        _ => null,
    };

    public static string? Name(TargetKind kind) => kind switch
    {
        TargetKind.InProcessInstance => "inProcessInstance",
        TargetKind.VssWriter => "vssWriter",
        TargetKind.FileSet => "fileSet",
        _ => null,
    };

    public static string? Name(FileRole role) => role switch
    {
        FileRole.Database => "database",
        FileRole.Log => "log",
        FileRole.Checkpoint => "checkpoint",
        FileRole.Patch => "patch",
        FileRole.Other => "other",
        _ => null,
    };

    public static string? Name(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Info => "info",
        FindingSeverity.Warning => "warning",
        FindingSeverity.Corruption => "corruption",
        _ => null,
    };

    public static string? Name(TruncationMode mode) => mode switch
    {
        TruncationMode.Never => "never",
        TruncationMode.OnSuccessfulCompletion => "onSuccessfulCompletion",
        TruncationMode.DuringBackup => "duringBackup",
        _ => null,
    };

    public static string? Name(TruncationPerformer performer) => performer switch
    {
        TruncationPerformer.None => "none",
        TruncationPerformer.Plugin => "plugin",
        TruncationPerformer.Ese => "ese",
        TruncationPerformer.VssWriter => "vssWriter",
        _ => null,
    };

    public static string? Name(TruncationStatus status) => status switch
    {
        TruncationStatus.Truncated => "truncated",
        TruncationStatus.NothingToTruncate => "nothingToTruncate",
        TruncationStatus.NotAllowed => "notAllowed",
        TruncationStatus.Skipped => "skipped",
        TruncationStatus.DelegatedToWriter => "delegatedToWriter",
        TruncationStatus.DoneByEngine => "doneByEngine",
        TruncationStatus.Failed => "failed",
        TruncationStatus.NotApplicable => "notApplicable",
        _ => null,
    };

    public static string? Name(LogRemovalReason reason) => reason switch
    {
        LogRemovalReason.DecidedByEngine => "decidedByEngine",
        LogRemovalReason.InChain => "inChain",
        LogRemovalReason.OlderThanChain => "olderThanChain",
        _ => null,
    };

    public static string? Name(ErrorCategory category) => category switch
    {
        ErrorCategory.Usage => "usage",
        ErrorCategory.Busy => "busy",
        ErrorCategory.State => "state",
        ErrorCategory.Corruption => "corruption",
        ErrorCategory.Missing => "missing",
        ErrorCategory.Io => "io",
        ErrorCategory.Platform => "platform",
        ErrorCategory.Internal => "internal",
        ErrorCategory.Cancelled => "cancelled",
        _ => null,
    };
}
