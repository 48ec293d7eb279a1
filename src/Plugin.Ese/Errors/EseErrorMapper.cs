using System.Globalization;
using EseBackupPlugin.Abstractions.Errors;

namespace EseBackupPlugin.Ese.Errors;

/// <summary>Turns an ESE error number into the contract's <see cref="PluginError"/>, naming what failed.</summary>
internal static class EseErrorMapper
{
    /// <summary>
    /// Maps <paramref name="jetErr"/> (negative) to a <see cref="PluginError"/> whose code carries ESE's
    /// name and number, whose message names the operation, the target and the file, and whose
    /// <see cref="PluginError.NativeStatus"/> is the raw number.
    /// </summary>
    /// <param name="jetErr">The <c>JET_ERR</c> an esent.dll call returned.</param>
    /// <param name="operation">The native call or step, e.g. <c>JetReadFileInstance</c>.</param>
    /// <param name="target">A name for the target (instance name or target id), when known.</param>
    /// <param name="file">The file involved, when known.</param>
    /// <param name="targetId">The target's id, when known.</param>
    public static PluginError ToPluginError(int jetErr, string operation, string? target = null, string? file = null, string? targetId = null)
    {
        var info = JetErrTable.Get(jetErr);
        var where = (target, file) switch
        {
            (not null, not null) => $" for {target} (file {file})",
            (not null, null) => $" for {target}",
            (null, not null) => $" (file {file})",
            _ => string.Empty,
        };
        var message = $"{operation} failed{where}: {info.Name} ({jetErr.ToString(CultureInfo.InvariantCulture)})"
            + (info.Description is null ? "." : ". " + info.Description);
        return new PluginError(info.ToErrorCode(), message)
        {
            TargetId = targetId,
            File = file,
            NativeStatus = jetErr,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["eseName"] = info.Name,
                ["eseError"] = jetErr.ToString(CultureInfo.InvariantCulture),
                ["operation"] = operation,
            },
        };
    }

    /// <summary>A <see cref="PluginError"/> for a condition the plugin detects itself, reported by ESE's name (e.g. a restore pre-check).</summary>
    /// <param name="code">The ESE code that names the condition.</param>
    /// <param name="message">The sentence for the operator (names target and file).</param>
    /// <param name="file">The file involved, when known.</param>
    /// <param name="generation">The log generation involved, when known.</param>
    public static PluginError Detected(JetErr code, string message, string? file = null, long? generation = null)
    {
        var info = JetErrTable.Get(code);
        return new PluginError(info.ToErrorCode(), message)
        {
            File = file,
            Generation = generation,
            Details = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["eseName"] = info.Name,
                ["eseError"] = info.Number.ToString(CultureInfo.InvariantCulture),
                ["detectedBy"] = "plugin",
            },
        };
    }
}
