using System.Collections.Frozen;
using System.Globalization;

namespace EseBackupPlugin.Ese.Windows.Vss;

/// <summary>
/// HRESULTs a requester meets (vsserror.h plus the ordinary COM codes), with their names so that
/// every failure can be reported as "VSS_E_… (0x8004…)". A test pins every value to the reference.
/// </summary>
internal static class VssHResults
{
#pragma warning disable IDE1006 // The SDK's names, so that log lines and code can be searched for them.
    public const int S_OK = 0;
    public const int S_FALSE = 1;

    public const int VSS_S_ASYNC_PENDING = 0x00042309;
    public const int VSS_S_ASYNC_FINISHED = 0x0004230A;
    public const int VSS_S_ASYNC_CANCELLED = 0x0004230B;
    public const int VSS_S_SOME_SNAPSHOTS_NOT_IMPORTED = 0x00042321;

    public const int VSS_E_BAD_STATE = unchecked((int)0x80042301);
    public const int VSS_E_UNEXPECTED = unchecked((int)0x80042302);
    public const int VSS_E_PROVIDER_ALREADY_REGISTERED = unchecked((int)0x80042303);
    public const int VSS_E_PROVIDER_NOT_REGISTERED = unchecked((int)0x80042304);
    public const int VSS_E_PROVIDER_VETO = unchecked((int)0x80042306);
    public const int VSS_E_PROVIDER_IN_USE = unchecked((int)0x80042307);
    public const int VSS_E_OBJECT_NOT_FOUND = unchecked((int)0x80042308);
    public const int VSS_E_VOLUME_NOT_SUPPORTED = unchecked((int)0x8004230C);
    public const int VSS_E_OBJECT_ALREADY_EXISTS = unchecked((int)0x8004230D);
    public const int VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER = unchecked((int)0x8004230E);
    public const int VSS_E_UNEXPECTED_PROVIDER_ERROR = unchecked((int)0x8004230F);
    public const int VSS_E_CORRUPT_XML_DOCUMENT = unchecked((int)0x80042310);
    public const int VSS_E_INVALID_XML_DOCUMENT = unchecked((int)0x80042311);
    public const int VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED = unchecked((int)0x80042312);
    public const int VSS_E_FLUSH_WRITES_TIMEOUT = unchecked((int)0x80042313);
    public const int VSS_E_HOLD_WRITES_TIMEOUT = unchecked((int)0x80042314);
    public const int VSS_E_UNEXPECTED_WRITER_ERROR = unchecked((int)0x80042315);
    public const int VSS_E_SNAPSHOT_SET_IN_PROGRESS = unchecked((int)0x80042316);
    public const int VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED = unchecked((int)0x80042317);
    public const int VSS_E_WRITER_INFRASTRUCTURE = unchecked((int)0x80042318);
    public const int VSS_E_WRITER_NOT_RESPONDING = unchecked((int)0x80042319);
    public const int VSS_E_WRITER_ALREADY_SUBSCRIBED = unchecked((int)0x8004231A);
    public const int VSS_E_UNSUPPORTED_CONTEXT = unchecked((int)0x8004231B);
    public const int VSS_E_VOLUME_IN_USE = unchecked((int)0x8004231D);
    public const int VSS_E_MAXIMUM_DIFFAREA_ASSOCIATIONS_REACHED = unchecked((int)0x8004231E);
    public const int VSS_E_INSUFFICIENT_STORAGE = unchecked((int)0x8004231F);
    public const int VSS_E_UNSELECTED_VOLUME = unchecked((int)0x8004232A);
    public const int VSS_E_SNAPSHOT_NOT_IN_SET = unchecked((int)0x8004232B);
    public const int VSS_E_NESTED_VOLUME_LIMIT = unchecked((int)0x8004232C);
    public const int VSS_E_VOLUME_NOT_LOCAL = unchecked((int)0x8004232D);
    public const int VSS_E_CLUSTER_TIMEOUT = unchecked((int)0x8004232E);
    public const int VSS_E_NOT_SUPPORTED = unchecked((int)0x8004232F);
    public const int VSS_E_WRITERERROR_PARTIAL_FAILURE = unchecked((int)0x80042336);
    public const int VSS_E_WRITERERROR_INCONSISTENTSNAPSHOT = unchecked((int)0x800423F0);
    public const int VSS_E_WRITERERROR_OUTOFRESOURCES = unchecked((int)0x800423F1);
    public const int VSS_E_WRITERERROR_TIMEOUT = unchecked((int)0x800423F2);
    public const int VSS_E_WRITERERROR_RETRYABLE = unchecked((int)0x800423F3);
    public const int VSS_E_WRITERERROR_NONRETRYABLE = unchecked((int)0x800423F4);
    public const int VSS_E_WRITERERROR_RECOVERY_FAILED = unchecked((int)0x800423F5);
    public const int VSS_E_WRITER_STATUS_NOT_AVAILABLE = unchecked((int)0x80042409);
    public const int VSS_E_FSS_TIMEOUT = unchecked((int)0x80042417);

    public const int E_NOTIMPL = unchecked((int)0x80004001);
    public const int E_NOINTERFACE = unchecked((int)0x80004002);
    public const int E_POINTER = unchecked((int)0x80004003);
    public const int E_ABORT = unchecked((int)0x80004004);
    public const int E_FAIL = unchecked((int)0x80004005);
    public const int E_UNEXPECTED = unchecked((int)0x8000FFFF);
    public const int E_ACCESSDENIED = unchecked((int)0x80070005);
    public const int E_OUTOFMEMORY = unchecked((int)0x8007000E);
    public const int E_INVALIDARG = unchecked((int)0x80070057);
    public const int RPC_E_CHANGED_MODE = unchecked((int)0x80010106);
    public const int RPC_E_TOO_LATE = unchecked((int)0x80010119);

#pragma warning restore IDE1006

    /// <summary>ESE errors wrapped by ESE-based writers: MAKE_HRESULT(SEVERITY_ERROR, 0xE5E, err).</summary>
    private const int FacilityEseMask = unchecked((int)0x8E5E0000);

    /// <summary>
    /// ESE's own writer (eseshadow's <c>CallEse</c>) passes the negative JET error itself as MAKE_HRESULT's code. The
    /// macro ORs the three parts as unsigned longs, so the sign extension of the error covers severity and facility:
    /// -1018 becomes 0xFFFFFC06, which is the error itself read as an int. No real facility is 0x7FF, so an HRESULT
    /// whose upper sixteen bits are all set can only be such a wrapped error.
    /// </summary>
    private const int SignExtendedMask = unchecked((int)0xFFFF0000);

    private static readonly FrozenDictionary<int, string> Names = typeof(VssHResults)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Where(f => f.IsLiteral && f.FieldType == typeof(int))
        .ToFrozenDictionary(f => (int)f.GetRawConstantValue()!, f => f.Name);

    private static readonly FrozenSet<int> Retryable = new[]
    {
        VSS_E_SNAPSHOT_SET_IN_PROGRESS, VSS_E_FLUSH_WRITES_TIMEOUT, VSS_E_HOLD_WRITES_TIMEOUT,
        VSS_E_WRITERERROR_OUTOFRESOURCES, VSS_E_WRITERERROR_TIMEOUT, VSS_E_WRITERERROR_RETRYABLE,
        VSS_E_WRITER_NOT_RESPONDING, VSS_E_UNEXPECTED_PROVIDER_ERROR, VSS_E_PROVIDER_IN_USE,
    }.ToFrozenSet();

    /// <summary>Every named value, for tests and diagnostics.</summary>
    public static IReadOnlyDictionary<int, string> All => Names;

    /// <summary>True for failure codes (severity bit set).</summary>
    public static bool Failed(int hr) => hr < 0;

    /// <summary>The SDK name of <paramref name="hr"/>, or its hexadecimal value when it has none.</summary>
    public static string NameOf(int hr)
    {
        if (Names.TryGetValue(hr, out var name))
        {
            return name;
        }

        if (EseErrorOf(hr) is { } jetError)
        {
            return "FACILITY_ESE(" + jetError.ToString(CultureInfo.InvariantCulture) + ")";
        }

        return Hex(hr);
    }

    /// <summary>
    /// The JET error an ESE-based writer wrapped in <paramref name="hr"/>: either MAKE_HRESULT(1, 0xE5E, err) with the
    /// error's low sixteen bits in the code, or the same macro given the negative error, which sign-extends over
    /// severity and facility (<see cref="SignExtendedMask"/>). <see langword="null"/> for every other HRESULT.
    /// </summary>
    public static int? EseErrorOf(int hr)
    {
        var upper = hr & unchecked((int)0xFFFF0000);
        if (upper == FacilityEseMask)
        {
            // The low 16 bits are the (negative) JET error number.
            return (short)(hr & 0xFFFF);
        }

        return upper == SignExtendedMask ? hr : null;
    }

    /// <summary>"0x8004230F" style.</summary>
    public static string Hex(int hr) => "0x" + hr.ToString("X8", CultureInfo.InvariantCulture);

    /// <summary>"VSS_E_… (0x…)" style.</summary>
    public static string Describe(int hr)
    {
        var name = NameOf(hr);
        return name.StartsWith("0x", StringComparison.Ordinal) ? name : name + " (" + Hex(hr) + ")";
    }

    /// <summary>Whether the same request may succeed later without any change (the reference's "retry" rows).</summary>
    public static bool IsRetryable(int hr) => Retryable.Contains(hr);
}
