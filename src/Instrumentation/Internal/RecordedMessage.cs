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

    /// <summary>
    /// The From value (empty when absent): what a recorded span shows of the sender. Read when asked, so
    /// that a message no span records does not pay for it.
    /// </summary>
    public ReadOnlySpan<byte> From => Reader.TryGetFirstValue(KnownSipHeader.From, out ReadOnlySpan<byte> from) ? from : default;

    // Read when first asked for: most provisional responses and every ACK need no time at all, and a
    // clock reading costs a noticeable part of what reading the message does.
    private readonly TimeProvider _clock;
    private readonly Span<long> _reading;
    private readonly DateTimeOffset _timestamp;
    private readonly bool _hasTimestamp;

    /// <summary>When it was received or sent: the time base of spans and events. The tracer's clock (<see cref="Now"/>) unless the caller gave the time.</summary>
    public DateTimeOffset Timestamp => _hasTimestamp ? _timestamp : new DateTimeOffset(Now, TimeSpan.Zero);

    /// <summary>The tracer's clock when it was recorded (UTC ticks): the time base of timers and ages. Read once, when first needed.</summary>
    public long Now
    {
        get
        {
            long ticks = _reading[0];
            if (ticks == Unread)
            {
                ticks = _clock.GetUtcNow().UtcTicks;
                _reading[0] = ticks;
            }

            return ticks;
        }
    }

    /// <summary>The caller's tags for the span this message starts, if it starts one.</summary>
    public readonly ReadOnlySpan<KeyValuePair<string, object?>> SpanTags;

    /// <summary>What a clock cell holds before the clock is read (UTC ticks are never negative).</summary>
    private const long Unread = long.MinValue;

    /// <summary>
    /// Reads <paramref name="bytes"/> and its facts where this value lives: the reader and the facts are
    /// several hundred bytes, and building them in place spares the copies a constructor taking them would make.
    /// </summary>
    /// <param name="bytes">The message.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <param name="clock">The tracer's clock.</param>
    /// <param name="reading">One cell on the caller's stack where the clock's reading is kept once taken.</param>
    /// <param name="timestamp">When the message was received or sent, if the caller knows; else the clock's reading.</param>
    /// <param name="spanTags">The caller's tags for the span this message starts.</param>
    public RecordedMessage(
        ReadOnlySpan<byte> bytes,
        SipDirection direction,
        TimeProvider clock,
        Span<long> reading,
        DateTimeOffset? timestamp,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        SipMessageReader.ReadInPlace(bytes, out Reader);
        IsUsable = SipMessageFacts.TryRead(in Reader, out Facts, out Problem);
        Direction = direction;
        _clock = clock;
        _reading = reading;
        _reading[0] = Unread;
        _hasTimestamp = timestamp.HasValue;
        _timestamp = timestamp.GetValueOrDefault();
        SpanTags = spanTags;
    }

    /// <summary>The same for a message its caller has read already (the HEP listener reads each packet once).</summary>
    public RecordedMessage(
        in SipMessageReader reader,
        SipDirection direction,
        TimeProvider clock,
        Span<long> reading,
        DateTimeOffset timestamp,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        Reader = reader;
        IsUsable = SipMessageFacts.TryRead(in Reader, out Facts, out Problem);
        Direction = direction;
        _clock = clock;
        _reading = reading;
        _reading[0] = Unread;
        _hasTimestamp = true;
        _timestamp = timestamp;
        SpanTags = spanTags;
    }
}
