using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ChatAspire.Testing;

public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Fields);

/// <summary>An in-memory logger provider so tests can assert on structured log records.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _records = new();

    public IReadOnlyCollection<CapturedLog> Records => _records;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _records);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> records) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var fields = state is IReadOnlyList<KeyValuePair<string, object?>> list
                ? list.ToDictionary(kv => kv.Key, kv => kv.Value)
                : new Dictionary<string, object?>();
            records.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), fields));
        }
    }
}
