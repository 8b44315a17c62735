using System.Buffers;
using System.Diagnostics;
using System.Numerics;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Propagation;
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
/// Calls are kept in a sharded table bounded by <see cref="SipInstrumentationOptions.MaxTrackedCalls"/>
/// and <see cref="SipInstrumentationOptions.MaxCallAge"/>; a timer on the <see cref="TimeProvider"/>
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
    // Call-IDs up to this many bytes are looked up through a stack buffer.
    private const int StackCallIdLength = 256;

    // Below this many tracked calls one shard keeps eviction exactly oldest-first; above it the lock is
    // split so threads working on different calls do not wait for each other.
    private const int SingleShardLimit = 4096;
    private const int MaxShards = 64;

    private readonly ActivitySource _source;
    private readonly SipCallMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly SipRawPropagator _rawPropagator;
    private readonly SipTextMapPropagator _textMapPropagator;
    private readonly AddressFormatter _addresses;
    private readonly CallShard[] _shards;
    private readonly int _shardMask;
    private readonly int _maxTrackedCalls;
    private readonly long _timerBTicks;
    private readonly long _timerCTicks;
    private readonly long _maxAgeTicks;
    private readonly SipTrustMode _trustMode;
    private readonly SipTrustSelector? _trustSelector;
    private readonly bool _recordTrustMode;
    private readonly bool _recordTrying;
    private readonly bool _recordUserAgent;
    private readonly SipCallFilter? _filter;
    private readonly SipActivityEnricher? _enrichWithRequest;
    private readonly SipActivityEnricher? _enrichWithResponse;
    private readonly SweepTimer _sweepTimer;
    private int _count;
    private int _sweeping;
    private volatile bool _disposed;

    /// <summary>Creates a tracer with the default options on the system clock.</summary>
    public SipCallTracer()
        : this(new SipInstrumentationOptions(), TimeProvider.System)
    {
    }

    /// <summary>Creates a tracer.</summary>
    /// <param name="options">The options; read once, here.</param>
    /// <param name="timeProvider">The clock for message timestamps and timers; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its <see cref="SipInstrumentationOptions.Propagation"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit or timer in <paramref name="options"/> is out of range.</exception>
    public SipCallTracer(SipInstrumentationOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _timeProvider = timeProvider ?? TimeProvider.System;
        _rawPropagator = new SipRawPropagator(options.Propagation);
        _textMapPropagator = new SipTextMapPropagator(options.Propagation);
        _addresses = new AddressFormatter(options.AddressPrivacy, options.HashKey);
        _maxTrackedCalls = options.MaxTrackedCalls;
        _timerBTicks = options.TimerB.Ticks;
        _timerCTicks = options.TimerC.Ticks;
        _maxAgeTicks = options.MaxCallAge.Ticks;
        _trustMode = options.TrustMode;
        _trustSelector = options.TrustSelector;
        _recordTrustMode = options.TrustSelector is not null || options.TrustMode != SipTrustMode.Parent;
        _recordTrying = options.RecordTrying;
        _recordUserAgent = options.RecordUserAgent;
        _filter = options.Filter;
        _enrichWithRequest = options.EnrichWithRequest;
        _enrichWithResponse = options.EnrichWithResponse;

        int shards = _maxTrackedCalls < SingleShardLimit
            ? 1
            : (int)Math.Min(MaxShards, BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount * 4));
        _shards = new CallShard[shards];
        for (int i = 0; i < shards; i++)
        {
            _shards[i] = new CallShard();
        }

        _shardMask = shards - 1;
        _source = InstrumentationIdentity.CreateActivitySource();
        _metrics = new SipCallMetrics(_maxTrackedCalls, options.MetricTags);
        _sweepTimer = new SweepTimer(this, _timeProvider, options.SweepInterval);
    }

    /// <summary>How many calls are tracked now (answered calls waiting for their BYE included).</summary>
    public int TrackedCalls => Volatile.Read(ref _count);

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
        DateTimeOffset now = _timeProvider.GetUtcNow();
        var reader = new SipMessageReader(message);
        return RecordCore(in reader, direction, now, carrier: null, now.UtcTicks, spanTags: default);
    }

    /// <summary>Records a raw SIP message (UTF-8 bytes) with the time it was received or sent (capture pipelines).</summary>
    /// <param name="message">The message, at least its complete header section.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <param name="timestamp">When it was received or sent; span times come from it, timers run on the tracer's clock.</param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    public ActivityContext Record(ReadOnlySpan<byte> message, SipDirection direction, DateTimeOffset timestamp)
    {
        var reader = new SipMessageReader(message);
        return RecordCore(in reader, direction, timestamp, carrier: null, _timeProvider.GetUtcNow().UtcTicks, spanTags: default);
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
    /// tracer's) and before <see cref="SipInstrumentationOptions.EnrichWithRequest"/>. Ignored for every other
    /// message: a span carries the tags of the message that started it. Not kept after the call returns.
    /// </param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    public ActivityContext Record(ReadOnlySpan<byte> message, SipDirection direction, DateTimeOffset timestamp, ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        var reader = new SipMessageReader(message);
        return RecordCore(in reader, direction, timestamp, carrier: null, _timeProvider.GetUtcNow().UtcTicks, spanTags);
    }

    /// <summary>Records a SIP message given through a carrier adapter, received or sent now.</summary>
    /// <param name="message">The message.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public ActivityContext Record(ISipMessageCarrier message, SipDirection direction) =>
        Record(message, direction, _timeProvider.GetUtcNow());

    /// <summary>Records a SIP message given through a carrier adapter, with the time it was received or sent.</summary>
    /// <param name="message">The message.</param>
    /// <param name="direction">Whether the node received or sent it.</param>
    /// <param name="timestamp">When it was received or sent.</param>
    /// <returns>The context of the span the message belongs to, or <c>default</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public ActivityContext Record(ISipMessageCarrier message, SipDirection direction, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(message);
        byte[]? buffer;
        int length;
        try
        {
            buffer = CarrierMessage.Render(message, out length);
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
            var reader = new SipMessageReader(buffer.AsSpan(0, length));
            return RecordCore(in reader, direction, timestamp, message, _timeProvider.GetUtcNow().UtcTicks, spanTags: default);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Stops the timer, ends every open span, and releases the activity source and meter.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _sweepTimer.Dispose();
        DateTimeOffset now = _timeProvider.GetUtcNow();
        foreach (CallShard shard in _shards)
        {
            lock (shard.Lock)
            {
                foreach (CallState call in shard.DrainAll())
                {
                    EndOpenSpans(call, now, evictionReason: null);
                    EndCall(call, now.UtcTicks);
                }
            }
        }

        Volatile.Write(ref _count, 0);
        _metrics.Dispose();
        _source.Dispose();
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

        long now = _timeProvider.GetUtcNow().UtcTicks;
        foreach (CallShard shard in _shards)
        {
            lock (shard.Lock)
            {
                while (shard.Head is { } call)
                {
                    Evict(shard, call, reason, now);
                }
            }
        }
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
            long now = _timeProvider.GetUtcNow().UtcTicks;
            foreach (CallShard shard in _shards)
            {
                lock (shard.Lock)
                {
                    CallState? call = shard.Head;
                    while (call is not null)
                    {
                        CallState? next = call.Next;
                        SweepCall(shard, call, now);
                        call = next;
                    }

                    shard.TrimIfMostlyEmpty();
                }
            }
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

    private static SipDirection FirstDirection(SipTransaction transaction) => (SipDirection)transaction.FirstDirection;

    private static ActivityKind KindFor(SipDirection direction) => direction == SipDirection.In ? ActivityKind.Server : ActivityKind.Client;

    private static double Elapsed(DateTimeOffset start, DateTimeOffset now)
    {
        double elapsed = (now - start).TotalMilliseconds;
        return elapsed > 0 ? elapsed : 0;
    }

    private static string DirectionValue(SipDirection direction) =>
        direction == SipDirection.In ? SipAttributes.DirectionValues.In : SipAttributes.DirectionValues.Out;

    private static string Text(ReadOnlySpan<byte> value) => Encoding.UTF8.GetString(value);

    private static void EndSpan(Activity activity, DateTimeOffset end)
    {
        // Stop() makes the span's parent Activity.Current on this thread; the host's ambient span must
        // stay what it was.
        Activity? current = Activity.Current;
        DateTime endUtc = end.UtcDateTime;
        activity.SetEndTime(endUtc < activity.StartTimeUtc ? activity.StartTimeUtc : endUtc);
        activity.Stop();
        if (!ReferenceEquals(Activity.Current, current))
        {
            Activity.Current = current;
        }
    }

    private static void Drop(Activity activity)
    {
        // Not recorded means not exported: the SDK skips spans without the Recorded flag.
        activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        activity.IsAllDataRequested = false;
    }

    // 'now' is the tracer's clock (timers, age); 'timestamp' is when the message was sent or received
    // (span times). They are the same reading unless the caller passed a timestamp.
    private ActivityContext RecordCore(in SipMessageReader reader, SipDirection direction, DateTimeOffset timestamp, ISipMessageCarrier? carrier, long now, ReadOnlySpan<KeyValuePair<string, object?>> spanTags)
    {
        if (_disposed)
        {
            return default;
        }

        if (!SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out string? problem))
        {
            SipInstrumentationEventSource.Log.MalformedMessage(problem ?? "unreadable");
            _metrics.Malformed();
            return default;
        }

        // Call-IDs are case-sensitive byte strings (RFC 3261 §20.8); widening each byte to a char
        // keeps them distinct and gives the dictionary a key without decoding.
        Span<char> callId = facts.CallId.Length <= StackCallIdLength
            ? stackalloc char[StackCallIdLength]
            : new char[facts.CallId.Length];
        callId = callId[..Encoding.Latin1.GetChars(facts.CallId, callId)];

        int shardIndex = _shardMask == 0 ? 0 : string.GetHashCode(callId) & _shardMask;
        CallShard shard = _shards[shardIndex];
        ActivityContext result;
        CallState? added = null;
        try
        {
            lock (shard.Lock)
            {
                result = facts.IsRequest
                    ? OnRequest(shard, callId, ref facts, in reader, direction, timestamp, carrier, now, spanTags, ref added)
                    : OnResponse(shard, callId, ref facts, in reader, direction, timestamp, now);
            }
        }
#pragma warning disable CA1031 // Other ActivityListeners run inside StartActivity/Stop: whatever they throw must not reach the proxy's message loop.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.InternalError(exception);
            result = default;
        }

        if (added is not null && Interlocked.Increment(ref _count) > _maxTrackedCalls)
        {
            EvictForCapacity(shardIndex, added);
        }

        return result;
    }

    private ActivityContext OnRequest(
        CallShard shard,
        scoped ReadOnlySpan<char> callId,
        ref SipMessageFacts facts,
        in SipMessageReader reader,
        SipDirection direction,
        DateTimeOffset timestamp,
        ISipMessageCarrier? carrier,
        long now,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags,
        ref CallState? added)
    {
        CallState? call = shard.Find(callId);
        switch (facts.Method)
        {
            case SipMethodKind.Invite:
                return OnInvite(shard, call, callId, ref facts, in reader, direction, timestamp, carrier, now, spanTags, ref added);
            case SipMethodKind.Bye:
                return OnBye(shard, call, callId, ref facts, in reader, direction, timestamp, carrier, now, spanTags, ref added);
            case SipMethodKind.Cancel:
                OnCancel(call, ref facts, direction, timestamp);
                return call?.SetupContext ?? default;
            default:
                // ACK, PRACK, UPDATE, INFO...: part of the call, no span of their own. The returned
                // context lets the host put the call's trace on every request of the dialog.
                return call?.SetupContext ?? default;
        }
    }

    private ActivityContext OnInvite(
        CallShard shard,
        CallState? call,
        scoped ReadOnlySpan<char> callId,
        ref SipMessageFacts facts,
        in SipMessageReader reader,
        SipDirection direction,
        DateTimeOffset timestamp,
        ISipMessageCarrier? carrier,
        long now,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags,
        ref CallState? added)
    {
        // A To tag means the INVITE is inside a dialog (a re-INVITE): it never starts a call.
        if (!facts.ToTag.IsEmpty)
        {
            return call?.SetupContext ?? default;
        }

        if (call is not null)
        {
            SipTransaction? existing = call.Invite;
            if (existing is not null && existing.CSeq == facts.CSeq)
            {
                OnRequestRepeat(existing, ref facts, direction, timestamp);
                return existing.Context;
            }

            // A new initial INVITE on a call that failed (typically after a 401/407 challenge, with
            // the next CSeq) is a new attempt: it starts afresh. Anything else is stale or bogus.
            if (call.Phase != CallPhase.Terminated || call.Bye is not null || (existing is not null && facts.CSeq < existing.CSeq))
            {
                return call.SetupContext;
            }

            call.Restart(now);
            shard.MoveToTail(call);
        }
        else
        {
            call = new CallState(callId.ToString(), now);
            shard.Add(call);
            added = call;
        }

        var transaction = NewTransaction(ref facts, direction, timestamp, now);
        call.Invite = transaction;
        call.Phase = CallPhase.Setup;
        call.CountedActive = true;
        _metrics.ActiveChanged(1);
        call.Traced = RunFilter(in reader, direction);
        if (call.Traced)
        {
            Activity? activity = StartSpan(SipSpanNames.CallSetup, direction, default, fromDialog: false, in reader, carrier, timestamp, out string? trustMode);
            if (activity is not null)
            {
                transaction.Activity = activity;
                transaction.Context = activity.Context;
                call.SetupContext = activity.Context;
                if (activity.IsAllDataRequested)
                {
                    SetSetupTags(activity, call, ref facts, in reader, direction, trustMode);
                    SetSpanTags(activity, spanTags);
                    Enrich(_enrichWithRequest, nameof(SipInstrumentationOptions.EnrichWithRequest), activity, in reader);
                }
            }
        }

        return transaction.Context;
    }

    private ActivityContext OnBye(
        CallShard shard,
        CallState? call,
        scoped ReadOnlySpan<char> callId,
        ref SipMessageFacts facts,
        in SipMessageReader reader,
        SipDirection direction,
        DateTimeOffset timestamp,
        ISipMessageCarrier? carrier,
        long now,
        ReadOnlySpan<KeyValuePair<string, object?>> spanTags,
        ref CallState? added)
    {
        bool knownDialog = call is not null;
        if (call is not null)
        {
            SipTransaction? existing = call.Bye;
            if (existing is not null && existing.CSeq == facts.CSeq)
            {
                OnRequestRepeat(existing, ref facts, direction, timestamp);
                return existing.Context;
            }

            // One teardown at a time: a BYE from the other side while one is pending (both hung up at
            // once) is part of the same teardown. A call that is over has nothing left to tear down.
            if (existing is { IsPending: true } || call.Phase == CallPhase.Terminated)
            {
                return existing?.Context ?? call.SetupContext;
            }
        }
        else
        {
            // A BYE for a dialog this node never saw the INVITE of (it started before the tracer,
            // or the INVITE took another path): a teardown span without a setup span.
            call = new CallState(callId.ToString(), now) { Phase = CallPhase.Confirmed };
            shard.Add(call);
            added = call;
            call.Traced = RunFilter(in reader, direction);
        }

        var transaction = NewTransaction(ref facts, direction, timestamp, now);
        call.Bye = transaction;
        if (call.Traced)
        {
            Activity? activity = StartSpan(SipSpanNames.CallTeardown, direction, call.SetupContext, knownDialog, in reader, carrier, timestamp, out string? trustMode);
            if (activity is not null)
            {
                transaction.Activity = activity;
                transaction.Context = activity.Context;
                if (activity.IsAllDataRequested)
                {
                    SetTeardownTags(activity, call, ref facts, in reader, direction, trustMode);
                    SetSpanTags(activity, spanTags);
                    Enrich(_enrichWithRequest, nameof(SipInstrumentationOptions.EnrichWithRequest), activity, in reader);
                }
            }
        }

        return transaction.Context;
    }

    private void OnCancel(CallState? call, ref SipMessageFacts facts, SipDirection direction, DateTimeOffset timestamp)
    {
        // CANCEL carries the CSeq number of the INVITE it cancels (RFC 3261 §9.1).
        if (call?.Invite is not { IsPending: true } invite || invite.CSeq != facts.CSeq)
        {
            return;
        }

        byte bit = SipTransaction.DirectionBit(direction);
        if ((invite.CancelDirections & bit) != 0)
        {
            if (invite.CancelRepeats.Note(direction))
            {
                Retransmitted(invite, SipAttributes.MethodValues.Cancel, status: 0, direction, timestamp);
            }

            return;
        }

        bool first = invite.CancelDirections == 0;
        invite.CancelDirections |= bit;
        if (!first)
        {
            return;
        }

        invite.Cancelled = true;
        if (invite.Activity is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent(SipEventNames.Cancelled, timestamp, new ActivityTagsCollection
            {
                { SipAttributes.ElapsedMs, Elapsed(invite.Start, timestamp) },
                { SipAttributes.InitiatedBy, _addresses.Format(facts.From) },
            }));
        }
    }

    private void OnRequestRepeat(SipTransaction transaction, ref SipMessageFacts facts, SipDirection direction, DateTimeOffset timestamp)
    {
        ulong branch = SipSyntax.Hash(facts.Branch);
        byte bit = SipTransaction.DirectionBit(direction);
        if ((transaction.RequestDirections & bit) == 0)
        {
            // The same request in the other direction: a proxy forwarding what it received. The
            // outbound copy has the proxy's own Via branch on top.
            transaction.SetBranch(direction, branch);
            return;
        }

        // A proxy fed both its received and forwarded copies sees each retransmission in both
        // directions: only the first of the two counts.
        if (transaction.BranchFor(direction) == branch && transaction.RequestRepeats.Note(direction))
        {
            Retransmitted(transaction, SipMethods.MetricValue(facts.MethodName), status: 0, direction, timestamp);
        }

        // Same CSeq, same direction, another branch: a forking proxy's parallel copy. Not a retransmission.
    }

    private ActivityContext OnResponse(
        CallShard shard,
        scoped ReadOnlySpan<char> callId,
        ref SipMessageFacts facts,
        in SipMessageReader reader,
        SipDirection direction,
        DateTimeOffset timestamp,
        long now)
    {
        int status = facts.StatusCode;
        string method = SipMethods.MetricValue(facts.MethodName);
        CallState? call = shard.Find(callId);
        if (call is null)
        {
            // Outside any tracked call (OPTIONS pings, REGISTER): nothing to pair copies with.
            _metrics.Response(status, method);
            return default;
        }

        bool isNew = call.NoteResponse(facts.CSeq, facts.Method, status, SipSyntax.Hash(facts.ToTag), direction, out bool retransmission, out bool countRetransmission);
        if (isNew)
        {
            _metrics.Response(status, method);
        }

        SipTransaction? transaction = facts.Method switch
        {
            SipMethodKind.Invite => call.Invite,
            SipMethodKind.Bye => call.Bye,
            _ => null,
        };
        if (transaction is not null && transaction.CSeq != facts.CSeq)
        {
            // A response to a re-INVITE or an earlier BYE attempt: counted, nothing more.
            transaction = null;
        }

        if (retransmission)
        {
            // Not counted again: the mirrored copy of a retransmission already seen in the other direction.
            if (countRetransmission && transaction is not null)
            {
                Retransmitted(transaction, method, status, direction, timestamp);
            }
            else if (countRetransmission)
            {
                _metrics.Retransmission(method);
            }

            return transaction?.Context ?? call.SetupContext;
        }

        if (transaction is null)
        {
            return call.SetupContext;
        }

        if (status < 200)
        {
            if (isNew && transaction.Method == SipMethodKind.Invite)
            {
                OnProvisional(transaction, ref facts, timestamp);
            }

            return transaction.Context;
        }

        if (!transaction.IsPending)
        {
            // Another fork's 2xx after the first one answered, or a final after a timeout.
            return transaction.Context;
        }

        // A proxy that forwarded the request hears each downstream branch's final response, but only
        // the response it sends upstream ends the transaction (RFC 3261 §16.7 picks the best one);
        // a 2xx is always forwarded at once, so it ends the setup wherever it is seen first.
        if (status >= 300 && direction == FirstDirection(transaction) && transaction.SeenBothDirections)
        {
            return transaction.Context;
        }

        if (transaction.Method == SipMethodKind.Invite)
        {
            FinishInvite(call, transaction, ref facts, in reader, timestamp, now);
        }
        else
        {
            FinishBye(call, transaction, ref facts, in reader, timestamp, now);
        }

        return transaction.Context;
    }

    private void OnProvisional(SipTransaction invite, ref SipMessageFacts facts, DateTimeOffset timestamp)
    {
        if (invite.IsPending && !invite.ProvisionalSeen)
        {
            // A provisional stops Timer B; the INVITE may now wait up to Timer C for its final response.
            invite.ProvisionalSeen = true;
            invite.DeadlineTicks = invite.TrackedAtTicks + _timerCTicks;
        }

        int status = facts.StatusCode;
        if (invite.Activity is not { IsAllDataRequested: true } activity || (status == 100 && !_recordTrying))
        {
            return;
        }

        var tags = new ActivityTagsCollection
        {
            { SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status) },
            { SipAttributes.ElapsedMs, Elapsed(invite.Start, timestamp) },
        };
        string name = SipEventNames.Ringing;
        if (status != 180)
        {
            name = SipEventNames.Provisional;
            tags.Add(SipAttributes.ReasonPhrase, Text(facts.ReasonPhrase));
        }

        if (!facts.ToTag.IsEmpty)
        {
            tags.Add(SipAttributes.ToTag, Text(facts.ToTag));
        }

        activity.AddEvent(new ActivityEvent(name, timestamp, tags));
    }

    private void FinishInvite(CallState call, SipTransaction invite, ref SipMessageFacts facts, in SipMessageReader reader, DateTimeOffset timestamp, long now)
    {
        int status = facts.StatusCode;
        invite.FinalStatus = status;
        double elapsed = Elapsed(invite.Start, timestamp);
        Activity? activity = invite.Activity;
        invite.Activity = null;
        if (status < 300)
        {
            call.Phase = CallPhase.Confirmed;
            _metrics.SetupLatency(elapsed, invite.Transport);
            if (activity is not null)
            {
                if (activity.IsAllDataRequested)
                {
                    activity.SetTag(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status));
                    activity.SetTag(SipAttributes.SetupTimeMs, elapsed);
                    var answered = new ActivityTagsCollection
                    {
                        { SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status) },
                        { SipAttributes.SetupTimeMs, elapsed },
                    };
                    if (!facts.ToTag.IsEmpty)
                    {
                        string toTag = Text(facts.ToTag);
                        activity.SetTag(SipAttributes.ToTag, toTag);
                        answered.Add(SipAttributes.ToTag, toTag);
                    }

                    activity.AddEvent(new ActivityEvent(SipEventNames.Answered, timestamp, answered));
                    Enrich(_enrichWithResponse, nameof(SipInstrumentationOptions.EnrichWithResponse), activity, in reader);
                }

                EndSpan(activity, timestamp);
            }

            return;
        }

        string errorType = invite.Cancelled && status == 487 ? OtelAttributes.ErrorTypeValues.Cancelled : SipCallMetrics.StatusText(status);
        _metrics.Failed(errorType);
        EndCall(call, now);
        if (activity is not null)
        {
            if (activity.IsAllDataRequested)
            {
                SetFailureTags(activity, ref facts, errorType);
                Enrich(_enrichWithResponse, nameof(SipInstrumentationOptions.EnrichWithResponse), activity, in reader);
            }

            EndSpan(activity, timestamp);
        }
    }

    private void FinishBye(CallState call, SipTransaction bye, ref SipMessageFacts facts, in SipMessageReader reader, DateTimeOffset timestamp, long now)
    {
        int status = facts.StatusCode;
        bye.FinalStatus = status;
        Activity? activity = bye.Activity;
        bye.Activity = null;
        if (status < 300)
        {
            _metrics.TeardownLatency(Elapsed(bye.Start, timestamp), bye.Transport);
            EndCall(call, now);
            if (activity is not null)
            {
                if (activity.IsAllDataRequested)
                {
                    activity.SetTag(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status));
                    Enrich(_enrichWithResponse, nameof(SipInstrumentationOptions.EnrichWithResponse), activity, in reader);
                }

                EndSpan(activity, timestamp);
            }

            return;
        }

        // A challenged BYE (401/407) is sent again with credentials and a new CSeq: the dialog is still
        // up. Any other error (481, 408, 5xx) means there is no dialog left to tear down.
        if (status is not (401 or 407))
        {
            EndCall(call, now);
        }

        if (activity is not null)
        {
            if (activity.IsAllDataRequested)
            {
                SetFailureTags(activity, ref facts, SipCallMetrics.StatusText(status));
                Enrich(_enrichWithResponse, nameof(SipInstrumentationOptions.EnrichWithResponse), activity, in reader);
            }

            EndSpan(activity, timestamp);
        }
    }

    private void Retransmitted(SipTransaction transaction, string method, int status, SipDirection direction, DateTimeOffset timestamp)
    {
        transaction.RetransmissionCount++;
        _metrics.Retransmission(method);
        if (transaction.Activity is not { IsAllDataRequested: true } activity)
        {
            // The span already ended and was exported: the counter is all there is to record.
            return;
        }

        var tags = new ActivityTagsCollection();
        if (status == 0)
        {
            tags.Add(SipAttributes.Method, method);
        }
        else
        {
            tags.Add(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(status));
        }

        tags.Add(SipAttributes.RetransmissionCount, transaction.RetransmissionCount);
        tags.Add(SipAttributes.ElapsedMs, Elapsed(transaction.Start, timestamp));
        tags.Add(SipAttributes.Direction, DirectionValue(direction));
        activity.AddEvent(new ActivityEvent(SipEventNames.Retransmission, timestamp, tags));
        activity.SetTag(SipAttributes.RetransmissionCount, transaction.RetransmissionCount);
    }

    private SipTransaction NewTransaction(ref SipMessageFacts facts, SipDirection direction, DateTimeOffset timestamp, long now)
    {
        var transaction = new SipTransaction
        {
            CSeq = facts.CSeq,
            Method = facts.Method,
            FirstDirection = (byte)direction,
            Start = timestamp,
            TrackedAtTicks = now,
            DeadlineTicks = now + _timerBTicks,
            Transport = SipSyntax.Transport(facts.TopVia),
        };
        transaction.SetBranch(direction, SipSyntax.Hash(facts.Branch));
        return transaction;
    }

    private Activity? StartSpan(
        string name,
        SipDirection direction,
        ActivityContext dialogParent,
        bool fromDialog,
        in SipMessageReader reader,
        ISipMessageCarrier? carrier,
        DateTimeOffset timestamp,
        out string? trustMode)
    {
        trustMode = null;
        if (!_source.HasListeners())
        {
            return null;
        }

        ActivityContext parent = dialogParent;
        ActivityLink[]? links = null;
        bool detachFromAmbient = true;
        if (!fromDialog)
        {
            if (direction == SipDirection.In)
            {
                // A received request starts from what its headers say (per the trust mode), never
                // from whatever span happens to be ambient on the receiving thread.
                SipTrustMode mode = SelectTrust(in reader);
                if (_recordTrustMode)
                {
                    trustMode = mode switch
                    {
                        SipTrustMode.Parent => SipAttributes.TrustModeValues.Parent,
                        SipTrustMode.Link => SipAttributes.TrustModeValues.Link,
                        _ => SipAttributes.TrustModeValues.Ignore,
                    };
                }

                if (mode != SipTrustMode.Ignore && TryExtract(in reader, carrier, out ActivityContext remote))
                {
                    SipTrustBoundary boundary = SipTrustBoundary.Resolve(remote, mode);
                    parent = boundary.Parent;
                    links = boundary.CreateLinks();
                }
            }
            else if (TryExtract(in reader, carrier, out ActivityContext written))
            {
                // The node wrote these headers itself (or its host did): they name our own parent.
                parent = written;
            }
            else
            {
                // A request this node originates belongs under the host's ambient span, if any.
                detachFromAmbient = false;
            }
        }

        Activity? ambient = Activity.Current;
        if (detachFromAmbient && ambient is not null)
        {
            Activity.Current = null;
        }

        Activity? activity = _source.StartActivity(name, KindFor(direction), parent, tags: null, links, timestamp);

        // StartActivity makes the new span current; the host's context must not change under it.
        if (!ReferenceEquals(Activity.Current, ambient))
        {
            Activity.Current = ambient;
        }

        return activity;
    }

    private bool TryExtract(in SipMessageReader reader, ISipMessageCarrier? carrier, out ActivityContext context)
    {
        if (carrier is null)
        {
            return _rawPropagator.TryExtract(in reader, out context);
        }

        try
        {
            context = _textMapPropagator.Extract(default, carrier, SipHeaderCarrier.Getter).ActivityContext;
            return context.TraceId != default;
        }
#pragma warning disable CA1031 // The carrier is host code; a throwing getter means no context, not a failure of the host.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed("carrier", exception);
            context = default;
            return false;
        }
    }

    private SipTrustMode SelectTrust(in SipMessageReader reader)
    {
        if (_trustSelector is null)
        {
            return _trustMode;
        }

        try
        {
            return _trustSelector(in reader);
        }
#pragma warning disable CA1031 // User callbacks never throw into the host; an undecidable trust means trust nothing.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed(nameof(SipInstrumentationOptions.TrustSelector), exception);
            return SipTrustMode.Ignore;
        }
    }

    private bool RunFilter(in SipMessageReader reader, SipDirection direction)
    {
        if (_filter is null)
        {
            return true;
        }

        try
        {
            return _filter(in reader, direction);
        }
#pragma warning disable CA1031 // User callbacks never throw into the host; a failing filter means no span.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed(nameof(SipInstrumentationOptions.Filter), exception);
            return false;
        }
    }

    private static void Enrich(SipActivityEnricher? enricher, string name, Activity activity, in SipMessageReader message)
    {
        if (enricher is null)
        {
            return;
        }

        try
        {
            enricher(activity, in message);
        }
#pragma warning disable CA1031 // User callbacks never throw into the host; a span a failing enricher touched is dropped.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SipInstrumentationEventSource.Log.CallbackFailed(name, exception);
            Drop(activity);
        }
    }

    private void SetSetupTags(Activity activity, CallState call, ref SipMessageFacts facts, in SipMessageReader reader, SipDirection direction, string? trustMode)
    {
        facts.ReadSpanHeaders(in reader);
        activity.SetTag(SipAttributes.CallId, call.CallId);
        activity.SetTag(SipAttributes.Method, SipAttributes.MethodValues.Invite);
        activity.SetTag(SipAttributes.From, _addresses.Format(facts.From));
        activity.SetTag(SipAttributes.To, _addresses.Format(facts.To));
        activity.SetTag(SipAttributes.Via, Text(facts.TopVia));
        if (!facts.FromTag.IsEmpty)
        {
            activity.SetTag(SipAttributes.FromTag, Text(facts.FromTag));
        }

        SetCommonRequestTags(activity, ref facts, direction, trustMode);
        if (_recordUserAgent && !facts.UserAgent.IsEmpty)
        {
            activity.SetTag(OtelAttributes.UserAgentOriginal, Text(facts.UserAgent));
        }
    }

    private void SetTeardownTags(Activity activity, CallState call, ref SipMessageFacts facts, in SipMessageReader reader, SipDirection direction, string? trustMode)
    {
        facts.ReadSpanHeaders(in reader);
        activity.SetTag(SipAttributes.CallId, call.CallId);
        activity.SetTag(SipAttributes.Method, SipAttributes.MethodValues.Bye);
        activity.SetTag(SipAttributes.InitiatedBy, _addresses.Format(facts.From));
        SetCommonRequestTags(activity, ref facts, direction, trustMode);
    }

    private static void SetCommonRequestTags(Activity activity, ref SipMessageFacts facts, SipDirection direction, string? trustMode)
    {
        activity.SetTag(SipAttributes.Cseq, (long)facts.CSeq);
        if (!facts.Branch.IsEmpty)
        {
            activity.SetTag(SipAttributes.Branch, Text(facts.Branch));
        }

        activity.SetTag(SipAttributes.Direction, DirectionValue(direction));
        if (SipSyntax.Transport(facts.TopVia) is { } transport)
        {
            activity.SetTag(OtelAttributes.NetworkTransport, transport);
        }

        if (SipSyntax.TryGetHostPort(facts.RequestUri, out ReadOnlySpan<byte> host, out int port))
        {
            activity.SetTag(OtelAttributes.ServerAddress, Text(host));
            if (port > 0)
            {
                activity.SetTag(OtelAttributes.ServerPort, port);
            }
        }

        // Cross-leg correlators: a B2BUA changes the Call-ID, these survive it.
        if (!facts.SessionId.IsEmpty)
        {
            activity.SetTag(SipAttributes.SessionId, Text(SipSyntax.SessionUuid(facts.SessionId)));
        }

        if (!facts.XCid.IsEmpty)
        {
            activity.SetTag(SipAttributes.XCid, Text(facts.XCid));
        }

        if (!facts.ChargingVector.IsEmpty)
        {
            ReadOnlySpan<byte> icid = SipSyntax.ChargingId(facts.ChargingVector);
            if (!icid.IsEmpty)
            {
                activity.SetTag(ImsAttributes.Icid, Text(icid));
            }
        }

        if (trustMode is not null)
        {
            activity.SetTag(SipAttributes.TrustMode, trustMode);
        }
    }

    private static void SetSpanTags(Activity activity, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            activity.SetTag(tag.Key, tag.Value);
        }
    }

    private static void SetFailureTags(Activity activity, ref SipMessageFacts facts, string errorType)
    {
        string reason = Text(facts.ReasonPhrase);
        activity.SetTag(SipAttributes.StatusCode, SipCallMetrics.BoxedStatus(facts.StatusCode));
        activity.SetTag(SipAttributes.ReasonPhrase, reason);
        activity.SetTag(OtelAttributes.ErrorType, errorType);
        if (!facts.ToTag.IsEmpty)
        {
            activity.SetTag(SipAttributes.ToTag, Text(facts.ToTag));
        }

        activity.SetStatus(ActivityStatusCode.Error, reason);
    }

    private void SweepCall(CallShard shard, CallState call, long now)
    {
        TimeOut(call, call.Invite, now);
        TimeOut(call, call.Bye, now);
        if (call.Phase == CallPhase.Terminated)
        {
            if (now >= call.LingerUntilTicks)
            {
                Remove(shard, call);
            }

            return;
        }

        if (now - call.CreatedTicks >= _maxAgeTicks)
        {
            Evict(shard, call, SipAttributes.EvictionReasonValues.MaxAge, now);
        }
    }

    private void TimeOut(CallState call, SipTransaction? transaction, long now)
    {
        if (transaction is not { IsPending: true } || now < transaction.DeadlineTicks)
        {
            return;
        }

        // The span ends when the timer fired, not when the sweep noticed.
        TimeSpan waited = TimeSpan.FromTicks(transaction.DeadlineTicks - transaction.TrackedAtTicks);
        DateTimeOffset end = transaction.Start + waited;
        transaction.FinalStatus = -1;
        bool isInvite = transaction.Method == SipMethodKind.Invite;
        if (isInvite)
        {
            _metrics.Failed(OtelAttributes.ErrorTypeValues.Timeout);
        }

        EndCall(call, now);
        Activity? activity = transaction.Activity;
        transaction.Activity = null;
        if (activity is null)
        {
            return;
        }

        if (activity.IsAllDataRequested)
        {
            activity.AddEvent(new ActivityEvent(SipEventNames.Timeout, end, new ActivityTagsCollection
            {
                { SipAttributes.Method, isInvite ? SipAttributes.MethodValues.Invite : SipAttributes.MethodValues.Bye },
                { SipAttributes.ElapsedMs, waited.TotalMilliseconds },
            }));
            activity.SetTag(OtelAttributes.ErrorType, OtelAttributes.ErrorTypeValues.Timeout);
            activity.SetStatus(ActivityStatusCode.Error, isInvite && transaction.ProvisionalSeen ? "Timer C fired" : isInvite ? "Timer B fired" : "Timer F fired");
        }

        EndSpan(activity, end);
    }

    private void EvictForCapacity(int startShard, CallState added)
    {
        for (int i = 0; i < _shards.Length; i++)
        {
            CallShard shard = _shards[(startShard + i) & _shardMask];
            lock (shard.Lock)
            {
                CallState? victim = shard.Head;
                if (ReferenceEquals(victim, added))
                {
                    victim = victim.Next;
                }

                if (victim is not null)
                {
                    Evict(shard, victim, SipAttributes.EvictionReasonValues.Capacity, _timeProvider.GetUtcNow().UtcTicks);
                    return;
                }
            }
        }
    }

    private void Evict(CallShard shard, CallState call, string reason, long now)
    {
        if (call.Phase != CallPhase.Terminated)
        {
            // A call that already ended only lingered to recognise retransmissions: dropping it early
            // loses nothing, so only live calls count as evicted.
            _metrics.Evicted(reason);
            SipInstrumentationEventSource.Log.CallEvicted(reason);
            EndOpenSpans(call, new DateTimeOffset(now, TimeSpan.Zero), reason);
            EndCall(call, now);
        }

        Remove(shard, call);
    }

    private void Remove(CallShard shard, CallState call)
    {
        shard.Remove(call);
        Interlocked.Decrement(ref _count);
    }

    private static void EndOpenSpans(CallState call, DateTimeOffset now, string? evictionReason)
    {
        EndOpenSpan(call.Invite, now, evictionReason);
        EndOpenSpan(call.Bye, now, evictionReason);
    }

    private static void EndOpenSpan(SipTransaction? transaction, DateTimeOffset now, string? evictionReason)
    {
        if (transaction?.Activity is not { } activity)
        {
            return;
        }

        transaction.Activity = null;
        if (evictionReason is not null && activity.IsAllDataRequested)
        {
            activity.SetTag(SipAttributes.EvictionReason, evictionReason);
        }

        EndSpan(activity, now);
    }

    private void EndCall(CallState call, long now)
    {
        call.Phase = CallPhase.Terminated;
        call.LingerUntilTicks = now + _timerBTicks;
        if (call.CountedActive)
        {
            call.CountedActive = false;
            _metrics.ActiveChanged(-1);
        }
    }

    /// <summary>
    /// The sweep timer. It holds the tracer weakly so that a tracer the host forgot to dispose can
    /// still be collected; the timer then stops itself.
    /// </summary>
    private sealed class SweepTimer : IDisposable
    {
        private readonly WeakReference<SipCallTracer> _tracer;
        private readonly ITimer _timer;

        public SweepTimer(SipCallTracer tracer, TimeProvider timeProvider, TimeSpan interval)
        {
            _tracer = new WeakReference<SipCallTracer>(tracer);
            _timer = timeProvider.CreateTimer(static state => ((SweepTimer)state!).Tick(), this, interval, interval);
        }

        public void Dispose() => _timer.Dispose();

        private void Tick()
        {
            if (_tracer.TryGetTarget(out SipCallTracer? tracer))
            {
                tracer.Sweep();
            }
            else
            {
                _timer.Dispose();
            }
        }
    }
}
