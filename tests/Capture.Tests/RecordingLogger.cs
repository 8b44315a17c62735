using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SipTraceContext.Capture.Tests;

/// <summary>One log call as a <see cref="RecordingLogger"/> saw it.</summary>
internal sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception, IReadOnlyList<KeyValuePair<string, object?>> State)
{
    /// <summary>A value of the structured state (a message template's placeholder).</summary>
    public object? this[string name] => State.FirstOrDefault(p => p.Key == name).Value;
}

/// <summary>
/// An <see cref="ILogger"/> that keeps every entry: Microsoft.Extensions.Logging has no in-memory
/// provider, and the tests need to see what the listener logged.
/// </summary>
internal class RecordingLogger(string category, ConcurrentQueue<LogEntry> entries) : ILogger
{
    public RecordingLogger()
        : this(string.Empty, new ConcurrentQueue<LogEntry>())
    {
    }

    public IReadOnlyList<LogEntry> Entries => [.. entries];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        IReadOnlyList<KeyValuePair<string, object?>> values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
        entries.Enqueue(new LogEntry(category, logLevel, eventId, formatter(state, exception), exception, values));
    }

    /// <summary>The entries of one event, by its name.</summary>
    public IReadOnlyList<LogEntry> Named(string eventName) => [.. entries.Where(e => e.EventId.Name == eventName)];
}

/// <summary>The typed logger a constructor takes.</summary>
internal sealed class RecordingLogger<T>() : RecordingLogger(typeof(T).FullName!, new ConcurrentQueue<LogEntry>()), ILogger<T>;

/// <summary>A provider for a host's logging: every logger it makes records into one shared list.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, _entries);

    public void Dispose()
    {
    }
}
