using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The message being recorded: the reader that validated it, what the tracer read from it, and how
/// and when the node saw it. Made once per message, in place, and passed by <see langword="in"/> from the facade
/// to the state machine and the span writer, which read it and never change it.
/// </summary>
internal readonly ref struct RecordedMessage
{
    /// <summary>The reader over the message; every later lookup trusts its validation.</summary>
    public readonly SipMessageReader Reader;

    /// <summary>The headers every message must carry, read once; meaningful only when <see cref="IsUsable"/>.</summary>
    public readonly SipMessageFacts Facts;

    /// <summary>Whether the message is complete and carries what every message must (see <see cref="SipMessageFacts.TryRead"/>).</summary>
    public readonly bool IsUsable;

    /// <summary>Why the message is unusable; <see langword="null"/> when it is usable.</summary>
    public readonly string? Problem;

    /// <summary>Whether the node received or sent it.</summary>
    public readonly SipDirection Direction;

    /// <summary>When it was received or sent: the time base of spans and events.</summary>
    public readonly DateTimeOffset Timestamp;

    /// <summary>The tracer's clock when it was recorded (UTC ticks): the time base of timers and ages.</summary>
    public readonly long Now;

    /// <summary>The caller's tags for the span this message starts, if it starts one.</summary>
    public readonly ReadOnlySpan<KeyValuePair<string, object?>> SpanTags;

    /// <summary>
    /// Reads <paramref name="bytes"/> and its facts where this value lives: the reader and the facts are
    /// several hundred bytes, and building them in place spares the copies a constructor taking them would make.
    /// </summary>
    public RecordedMessage(
        ReadOnlySpan<byte> bytes,
        SipDirection direction,
        DateTimeOffset timestamp,
        long now,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        Reader = new SipMessageReader(bytes);
        IsUsable = SipMessageFacts.TryRead(in Reader, out Facts, out Problem);
        Direction = direction;
        Timestamp = timestamp;
        Now = now;
        SpanTags = spanTags;
    }

    /// <summary>The same for a message its caller has read already (the HEP listener reads each packet once).</summary>
    public RecordedMessage(
        in SipMessageReader reader,
        SipDirection direction,
        DateTimeOffset timestamp,
        long now,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        Reader = reader;
        IsUsable = SipMessageFacts.TryRead(in Reader, out Facts, out Problem);
        Direction = direction;
        Timestamp = timestamp;
        Now = now;
        SpanTags = spanTags;
    }
}
