using System.Globalization;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Windows.Vss;

namespace EseBackupPlugin.Ese.Sources.Vss.Requester;

/// <summary>
/// Builds <see cref="ErrorCodes.VssFailure"/> errors. Every one names the writer (or <c>requester</c> when a
/// call of ours failed), the phase and the HRESULT by name, in the message and in
/// <see cref="PluginError.Details"/> (<c>writer</c>, <c>phase</c>, <c>hresultName</c>, <c>hresult</c>, ...).
/// </summary>
internal static class VssFailures
{
    /// <summary>The writer name used when a requester call failed rather than a writer.</summary>
    public const string Requester = "requester";

    /// <summary>A requester call returned a failure HRESULT.</summary>
    public static PluginError Call(string phase, string call, int hr, string? targetId, string? extra = null)
    {
        var message = $"VSS {call} failed during {phase}: {VssHResults.Describe(hr)}.";
        if (extra is not null)
        {
            message += " " + extra;
        }

        return Make(message, Requester, phase, hr, targetId, ("call", call));
    }

    /// <summary>An asynchronous VSS operation did not finish in time and was cancelled.</summary>
    public static PluginError Timeout(string phase, string call, TimeSpan timeout, string? targetId) =>
        Make(
            $"VSS {call} did not finish within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s during {phase} (still {VssHResults.NameOf(VssHResults.VSS_S_ASYNC_PENDING)}); it was cancelled.",
            Requester,
            phase,
            VssHResults.VSS_S_ASYNC_PENDING,
            targetId,
            ("call", call),
            ("timeout", timeout.ToString("c", CultureInfo.InvariantCulture)));

    /// <summary>A writer reported a failed state or a failure HRESULT.</summary>
    public static PluginError Writer(string phase, VssWriterStatus status, string? targetId)
    {
        ArgumentNullException.ThrowIfNull(status);
        var state = StateName(status.State);
        var message = $"VSS writer '{status.WriterName}' failed at {phase}: state {state}, {VssHResults.Describe(status.Failure)}.";
        return Make(message, status.WriterName, phase, status.Failure, targetId, ("writerState", state), ("writerId", status.WriterId.ToString("D")));
    }

    /// <summary>A writer or component the target needs is not there.</summary>
    public static PluginError Missing(string phase, string writerName, string message, string? targetId) =>
        Make(message, writerName, phase, VssHResults.VSS_E_OBJECT_NOT_FOUND, targetId);

    /// <summary>VSS_WS_… name of a writer state.</summary>
    public static string StateName(VssWriterState state) => state switch
    {
        VssWriterState.Unknown => "VSS_WS_UNKNOWN",
        VssWriterState.Stable => "VSS_WS_STABLE",
        VssWriterState.WaitingForFreeze => "VSS_WS_WAITING_FOR_FREEZE",
        VssWriterState.WaitingForThaw => "VSS_WS_WAITING_FOR_THAW",
        VssWriterState.WaitingForPostSnapshot => "VSS_WS_WAITING_FOR_POST_SNAPSHOT",
        VssWriterState.WaitingForBackupComplete => "VSS_WS_WAITING_FOR_BACKUP_COMPLETE",
        VssWriterState.FailedAtIdentify => "VSS_WS_FAILED_AT_IDENTIFY",
        VssWriterState.FailedAtPrepareBackup => "VSS_WS_FAILED_AT_PREPARE_BACKUP",
        VssWriterState.FailedAtPrepareSnapshot => "VSS_WS_FAILED_AT_PREPARE_SNAPSHOT",
        VssWriterState.FailedAtFreeze => "VSS_WS_FAILED_AT_FREEZE",
        VssWriterState.FailedAtThaw => "VSS_WS_FAILED_AT_THAW",
        VssWriterState.FailedAtPostSnapshot => "VSS_WS_FAILED_AT_POST_SNAPSHOT",
        VssWriterState.FailedAtBackupComplete => "VSS_WS_FAILED_AT_BACKUP_COMPLETE",
        VssWriterState.FailedAtPreRestore => "VSS_WS_FAILED_AT_PRE_RESTORE",
        VssWriterState.FailedAtPostRestore => "VSS_WS_FAILED_AT_POST_RESTORE",
        VssWriterState.FailedAtBackupShutdown => "VSS_WS_FAILED_AT_BACKUPSHUTDOWN",
        _ => "VSS_WS_" + ((int)state).ToString(CultureInfo.InvariantCulture),
    };

    private static PluginError Make(string message, string writer, string phase, int hr, string? targetId, params (string Key, string Value)[] extra)
    {
        var details = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["writer"] = writer,
            ["phase"] = phase,
            ["hresultName"] = VssHResults.NameOf(hr),
            ["hresult"] = VssHResults.Hex(hr),
            ["retryable"] = VssHResults.IsRetryable(hr) ? "true" : "false",
        };
        if (VssHResults.EseErrorOf(hr) is { } jetError)
        {
            // ESE's number and name, so that an operator can search them (the writer's own engine failed).
            var ese = JetErrTable.Get(jetError);
            details["eseError"] = jetError.ToString(CultureInfo.InvariantCulture);
            details["eseName"] = ese.Name;
        }

        foreach (var (key, value) in extra)
        {
            details[key] = value;
        }

        return new PluginError(ErrorCodes.VssFailure, message)
        {
            TargetId = targetId,
            NativeStatus = hr,
            Details = details,
        };
    }
}
