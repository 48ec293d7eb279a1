using System.Text.Json.Nodes;
using EseBackupPlugin.Abstractions;

namespace EseBackupPlugin.Worker.Protocol.Client;

/// <summary>How to start a worker process and what to tell it in <c>initialize</c>.</summary>
/// <param name="Executable">The worker executable (<c>esebackup-worker</c>, or the Native AOT binary).</param>
public sealed record WorkerStartInfo(string Executable)
{
    /// <summary>Arguments before the executable's own (for example the path of a JIT build's dll).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Environment variables to set (or, with a <see langword="null"/> value, remove) for the worker.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Working directory of the worker; <see langword="null"/> keeps the host's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>The host's name, sent in <c>initialize</c>.</summary>
    public string HostName { get; init; } = "EseBackupPlugin host";

    /// <summary>The host's version, sent in <c>initialize</c>.</summary>
    public string HostVersion { get; init; } = "0.0.0";

    /// <summary>Contract versions the host speaks.</summary>
    public IReadOnlyList<Version> ContractVersions { get; init; } = ContractVersion.Supported;

    /// <summary>The plugin's configuration section as JSON.</summary>
    public JsonObject? Configuration { get; init; }

    /// <summary>How long <c>shutdown</c> may take (it waits for running requests) before the worker is killed.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Receives every line the worker writes to standard error (its log), besides the host's logger.</summary>
    public Action<string>? StandardErrorLine { get; init; }
}
