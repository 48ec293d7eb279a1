using System.Security.Cryptography;
using System.Text;
using EseBackupPlugin.Ese.Format;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>
/// How an in-process instance target gets its stable id.
/// </summary>
/// <remarks>
/// <para>Primary: the instance's <b>log signature</b> (<c>signLog</c>), read from the engine with
/// JetGetInstanceMiscInfo(JET_InstanceMiscInfoLogSignature); it is the same value the checkpoint and every
/// log header carry. It identifies the lineage of log generations, so it survives restarts, renamed
/// instances and moved directories, and it changes exactly when ESE starts a new log stream (logs reset) —
/// which is also the moment the old backup chain stops applying, so a new target and a new chain are the
/// right outcome. Id = <c>esent-instance:</c> + 32 hex digits of SHA-256 over the signature's text
/// (<see cref="EseSignature.ToString"/>, the text manifests and file-set targets use too).</para>
/// <para>Fallback, when the engine has no log signature (logging off): SHA-256 over the instance name and
/// the database file names (names only, case-folded, sorted), prefixed <c>esent-instance-name:</c>.
/// Never a process id, a handle value or a time.</para>
/// </remarks>
internal static class EsentTargetIdentity
{
    /// <summary>Prefix of ids made from a log signature.</summary>
    public const string SignaturePrefix = "esent-instance:";

    /// <summary>Prefix of ids made from names.</summary>
    public const string NamePrefix = "esent-instance-name:";

    /// <summary>The id for a log signature, or <see langword="null"/> when it is unset (all zero).</summary>
    public static string? FromLogSignature(EseSignature signLog)
        => signLog.IsZero ? null : SignaturePrefix + StableHash(Encoding.UTF8.GetBytes(signLog.ToString()));

    /// <summary>The fallback id from the instance name and its databases' file names.</summary>
    public static string FromNames(string? instanceName, IEnumerable<string> databasePaths)
    {
        var names = databasePaths
            .Select(p => Path.GetFileName(p).ToUpperInvariant())
            .Order(StringComparer.Ordinal);
        var text = (instanceName ?? string.Empty) + "\n" + string.Join("\n", names);
        return NamePrefix + StableHash(Encoding.UTF8.GetBytes(text));
    }

    /// <summary>A short, stable hash (32 hex digits) of some bytes, for ids and names.</summary>
    public static string StableHash(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data))[..32];
}
