using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The message being recorded: the reader that validated it, what the tracer read from it, and how
/// and when the node saw it. Made once per message and passed by <see langword="in"/> from the facade
/// to the state machine and the span writer, which read it and never change it.
/// </summary>
internal readonly ref struct RecordedMessage
{
    /// <summary>The reader over the message; every later lookup trusts its validation.</summary>
    public readonly SipMessageReader Reader;

    /// <summary>The headers every message must carry, read once.</summary>
    public readonly SipMessageFacts Facts;

    /// <summary>Whether the node received or sent it.</summary>
    public readonly SipDirection Direction;

    /// <summary>When it was received or sent: the time base of spans and events.</summary>
    public readonly DateTimeOffset Timestamp;

    /// <summary>The tracer's clock when it was recorded (UTC ticks): the time base of timers and ages.</summary>
    public readonly long Now;

    /// <summary>The caller's tags for the span this message starts, if it starts one.</summary>
    public readonly ReadOnlySpan<KeyValuePair<string, object?>> SpanTags;

    public RecordedMessage(
        in SipMessageReader reader,
        in SipMessageFacts facts,
        SipDirection direction,
        DateTimeOffset timestamp,
        long now,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        Reader = reader;
        Facts = facts;
        Direction = direction;
        Timestamp = timestamp;
        Now = now;
        SpanTags = spanTags;
    }
}
