using System.Buffers;
using System.Diagnostics;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation;

/// <summary>
/// The call tracer: give it every SIP message a node receives and sends, and it produces the
/// <c>sip.call.setup</c> and <c>sip.call.teardown</c> spans and the call metrics of the SipTraceContext
/// conventions.
/// </summary>
/// <remarks>
/// <para>
/// Thread-safe: call <see cref="Record(ReadOnlySpan{byte}, SipDirection)"/> from any number of threads.
/// Calls are kept in a sharded table bounded by <see cref="SipCallTracerOptions.MaxTrackedCalls"/>
/// and <see cref="SipCallTracerOptions.MaxCallAge"/>; a timer on the <see cref="TimeProvider"/>
/// ends transactions past Timer B / Timer C / Timer F and evicts old calls. Dispose it to stop the timer
/// and end what is still open.
/// </para>
/// <para>
/// It never throws into the host for what it is fed or for what a user callback does: unusable
/// messages are counted in <c>sip.message.malformed</c>, callback failures are logged through the
/// <c>OpenTelemetry-Instrumentation-SipTraceContext-Instrumentation</c> event source.
/// </para>
/// </remarks>
public sealed class SipCallTracer : IDisposable
{
    private readonly SipCallMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly CallSpans _spans;
    private readonly CallStateMachine _calls;
    private readonly CallTable _table;
    private readonly SweepTimer _sweepTimer;
    private int _sweeping;
    private volatile bool _disposed;

    /// <summary>Creates a tracer with the default options on the system clock.</summary>
    public SipCallTracer()
        : this(new SipCallTracerOptions(), TimeProvider.System)
    {
    }

    /// <summary>Creates a tracer.</summary>
    /// <param name="options">The options; read once, here.</param>
    /// <param name="timeProvider">The clock for message timestamps and timers; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its <see cref="SipCallTracerOptions.Propagation"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit or timer in <paramref name="options"/> is out of range.</exception>
    public SipCallTracer(SipCallTracerOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _spans = new CallSpans(options);
        _metrics = new SipCallMetrics(options.MaxTrackedCalls, options.MetricTags);
        _calls = new CallStateMachine(_metrics, _spans, options.TimerB, options.TimerC);
        _table = new CallTable(options.MaxTrackedCalls, options.MaxCallAge, _calls);
        _sweepTimer = new SweepTimer(this, _metrics, _timeProvider, options.SweepInterval);
    }

    /// <summary>How many calls are tracked now (answered calls waiting for their BYE included).</summary>
    public int TrackedCalls => _table.Count;

    /// <summary>Records a raw SIP message (UTF-8 bytes) received or sent now.</summary>
    /// <param name="message">The message, at least its complete header section.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <returns>
    /// The context of the span the message belongs to (the setup span for the INVITE and the
    /// dialog's other requests, the teardown span for a BYE and its responses): inject it into the
    /// copy the node forwards. <c>default</c> when there is none.
    /// </returns>
    public ActivityContext Record(ReadOnlySpan<byte> message, SipDirection direction)
    {
        var recorded = new RecordedMessage(message, direction, _timeProvider, stackalloc long[1], timestamp: null, spanTags: default);
        return RecordCore(in recorded);
    }

    /// <summary>Records a raw SIP message (UTF-8 bytes) with the time it was received or sent (capture pipelines).</summary>
    /// <param name="message">The message, at least its complete header section.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <param name="timestamp">When it was received or sent; span times come from it, timers run on the tracer's clock.</param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    public ActivityContext Record(ReadOnlySpan<byte> message, SipDirection direction, DateTimeOffset timestamp)
    {
        var recorded = new RecordedMessage(message, direction, _timeProvider, stackalloc long[1], timestamp, spanTags: default);
        return RecordCore(in recorded);
    }

    /// <summary>
    /// Records a raw SIP message (UTF-8 bytes) with the time it was received or sent and tags for the span
    /// it starts: what a capture pipeline knows about the message and the SIP stack does not (the capture
    /// agent, the addresses and ports of the packet).
    /// </summary>
    /// <param name="message">The message, at least its complete header section.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <param name="timestamp">When it was received or sent; span times come from it, timers run on the tracer's clock.</param>
    /// <param name="spanTags">
    /// Tags set on the span this message starts (the setup span for an initial INVITE, the teardown span for
    /// a BYE) when that span is sampled, after the tracer's own tags (a tag of the same name replaces the
    /// tracer's) and before <see cref="SipCallTracerOptions.EnrichWithRequest"/>. Ignored for every other
    /// message: a span carries the tags of the message that started it. Not kept after the call returns.
    /// </param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    public ActivityContext Record(ReadOnlySpan<byte> message, SipDirection direction, DateTimeOffset timestamp, ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        var recorded = new RecordedMessage(message, direction, _timeProvider, stackalloc long[1], timestamp, spanTags);
        return RecordCore(in recorded);
    }

    /// <summary>Records a message its caller has read already (the HEP listener reads each packet once).</summary>
    internal ActivityContext Record(in SipMessageReader reader, SipDirection direction, DateTimeOffset timestamp, ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        var recorded = new RecordedMessage(in reader, direction, _timeProvider, stackalloc long[1], timestamp, spanTags);
        return RecordCore(in recorded);
    }

    /// <summary>Records a SIP message given through a carrier adapter, received or sent now.</summary>
    /// <param name="message">The message.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public ActivityContext Record(ISipMessageCarrier message, SipDirection direction) =>
        RecordCarrier(message, direction, timestamp: null);

    /// <summary>Records a SIP message given through a carrier adapter, with the time it was received or sent.</summary>
    /// <param name="message">The message.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <param name="timestamp">When it was received or sent.</param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public ActivityContext Record(ISipMessageCarrier message, SipDirection direction, DateTimeOffset timestamp) =>
        RecordCarrier(message, direction, timestamp);

    private ActivityContext RecordCarrier(ISipMessageCarrier message, SipDirection direction, DateTimeOffset? timestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[]? buffer;
        int length;
        try
        {
            buffer = CarrierMessage.Render(message, _spans.ExtractedHeaderNames, out length);
        }
#pragma warning disable CA1031 // A carrier is host code: whatever it throws is logged, never rethrown into the host.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed("carrier", exception);
            _metrics.Malformed();
            return default;
        }

        if (buffer is null)
        {
            SipInstrumentationEventSource.Log.MalformedMessage("carrier without a start line, or with a value holding CR, LF or NUL");
            _metrics.Malformed();
            return default;
        }

        try
        {
            var recorded = new RecordedMessage(buffer.AsSpan(0, length), direction, _timeProvider, stackalloc long[1], timestamp, spanTags: default);
            return RecordCore(in recorded);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Stops the timer, ends every open span, and takes the tracer's capacity out of <c>sip.call.limit</c>.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _sweepTimer.Dispose();
        _table.Close(_timeProvider.GetUtcNow());
        _metrics.Dispose();
        _spans.Dispose();
    }

    /// <summary>
    /// Evicts every tracked call now: open spans end tagged with <paramref name="reason"/>, and live calls
    /// count in <c>sip.call.evictions</c>, as capacity evictions do. The HEP listener calls it before it
    /// disposes the tracer of a capture agent that went quiet, so those calls are not lost silently.
    /// </summary>
    internal void EvictAll(string reason)
    {
        if (_disposed)
        {
            return;
        }

        _table.EvictAll(reason, _timeProvider.GetUtcNow().UtcTicks);
    }

    /// <summary>Runs one sweep now: timeouts, aged calls, lingering state. The timer calls it; tests may too.</summary>
    internal void Sweep()
    {
        if (_disposed || Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            _table.Sweep(_timeProvider.GetUtcNow().UtcTicks);
            _metrics.FlushResponses();
        }
#pragma warning disable CA1031 // This runs on a timer thread: an exception escaping it would end the process.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.InternalError(exception);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    // The message's 'Now' is the tracer's clock (timers, age); its 'Timestamp' is when it was sent or
    // received (span times). They are the same reading unless the caller passed a timestamp.
    private ActivityContext RecordCore(in RecordedMessage message)
    {
        if (_disposed)
        {
            return default;
        }

        if (!message.IsUsable)
        {
            SipInstrumentationEventSource.Log.MalformedMessage(message.Problem ?? "unreadable");
            _metrics.Malformed();
            return default;
        }

        ref readonly SipMessageFacts facts = ref message.Facts;
        int callIdHash = CallIdKey.Hash(facts.CallId);
        int shardIndex = _table.ShardIndex(callIdHash);
        CallShard shard = _table.Shard(shardIndex);
        ActivityContext result;
        CallState? added = null;
        try
        {
            lock (shard.Lock)
            {
                result = facts.IsRequest
                    ? _calls.OnRequest(shard, callIdHash, in message, ref added)
                    : _calls.OnResponse(shard, callIdHash, in message);
            }
        }
#pragma warning disable CA1031 // Other ActivityListeners run inside StartActivity/Stop: whatever they throw must not reach the proxy's message loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.InternalError(exception);
            result = default;
        }

        if (added is not null)
        {
            _table.Added(shardIndex, added, message.Now);
        }

        return result;
    }
}
