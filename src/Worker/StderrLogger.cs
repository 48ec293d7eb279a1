using Microsoft.Extensions.Logging;

namespace EseBackupPlugin.Worker;

/// <summary>
/// Writes log lines to standard error as <c>level: category: message</c> (standard output carries only the
/// protocol). Small and reflection-free, so the Native AOT build has no logging dependency beyond the abstractions.
/// </summary>
internal sealed class StderrLoggerProvider(TextWriter writer, LogLevel minimum) : ILoggerProvider
{
    private readonly Lock _gate = new();

    public ILogger CreateLogger(string categoryName) => new StderrLogger(this, categoryName);

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string category, string message, Exception? exception)
    {
        var tag = level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
        var line = exception is null ? $"{tag}: {category}: {message}" : $"{tag}: {category}: {message} ({exception.GetType().Name}: {exception.Message})";
        lock (_gate)
        {
            writer.WriteLine(line.ReplaceLineEndings(" "));
            writer.Flush();
        }
    }

    private sealed class StderrLogger(StderrLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider.Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, category, formatter(state, exception), exception);
            }
        }
    }

    private LogLevel Minimum => minimum;
}
