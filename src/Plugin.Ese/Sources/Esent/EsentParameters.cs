using System.Runtime.Versioning;
using EseBackupPlugin.Abstractions.Errors;
using EseBackupPlugin.Ese.Errors;
using EseBackupPlugin.Ese.Windows.Esent;

namespace EseBackupPlugin.Ese.Sources.Esent;

/// <summary>System parameters the private instances (file sets, restores) are set up with.</summary>
internal static class EsentParameters
{
    /// <summary>
    /// Sets the process-wide <c>JET_paramDatabasePageSize</c>, or confirms it already matches (it cannot change
    /// once an instance of the process is initialised).
    /// </summary>
    [SupportedOSPlatform("windows")]
    public static PluginError? EnsurePageSize(IEsentInstanceApi instances, int pageSize, string label)
    {
        var err = instances.SetParameter(null, JetParam.DatabasePageSize, (nuint)pageSize);
        if (err >= 0)
        {
            return null;
        }

        if (instances.GetParameter(null, JetParam.DatabasePageSize, out nuint current) >= 0 && current == (nuint)pageSize)
        {
            return null;
        }

        return EseErrorMapper.ToPluginError(err, $"JetSetSystemParameterW(JET_paramDatabasePageSize = {pageSize}; the process uses {current})", label);
    }

    /// <summary>A directory as ESE's path parameters want it: with exactly one trailing separator.</summary>
    public static string WithSeparator(string directory) => Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar;
}
