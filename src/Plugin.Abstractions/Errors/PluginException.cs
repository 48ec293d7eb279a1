namespace EseBackupPlugin.Abstractions.Errors;

/// <summary>
/// Wraps a <see cref="PluginError"/> for code that prefers exceptions. The contract's operations
/// return errors in their results; this type exists for hosts that want to throw them on.
/// </summary>
public sealed class PluginException : Exception
{
    /// <summary>Creates the exception for an error.</summary>
    /// <param name="error">The error it carries.</param>
    public PluginException(PluginError error)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message)
    {
        Error = error;
    }

    /// <summary>Creates the exception for an error with the exception that caused it.</summary>
    /// <param name="error">The error it carries.</param>
    /// <param name="innerException">The cause.</param>
    public PluginException(PluginError error, Exception? innerException)
        : base((error ?? throw new ArgumentNullException(nameof(error))).Message, innerException)
    {
        Error = error;
    }

    /// <summary>The error as data.</summary>
    public PluginError Error { get; }
}
