using System.Diagnostics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The dialog and transaction state machine of the call tracer: what each request and response does
/// to its call (RFC 3261 §13 and §15 for the INVITE and BYE transactions, §9 for CANCEL, §17 for
/// retransmissions), which metrics it records, and when the span writer starts, annotates or ends a span.
/// </summary>
/// <remarks>
/// Every method runs under the lock of the shard that holds the call; nothing here is shared between
/// calls but the metrics and the span writer, which are thread-safe.
/// </remarks>
internal sealed class CallStateMachine
{
    private readonly SipCallMetrics _metrics;
    private readonly CallSpans _spans;
    private readonly long _timerBTicks;
    private readonly long _timerCTicks;

    public CallStateMachine(SipCallMetrics metrics, CallSpans spans, TimeSpan timerB, TimeSpan timerC)
    {
        _metrics = metrics;
        _spans = spans;
        _timerBTicks = timerB.Ticks;
        _timerCTicks = timerC.Ticks;
    }

    /// <summary>
    /// Applies a request to its call, creating the call in <paramref name="shard"/> when the request
    /// starts one (then set in <paramref name="added"/>). Returns the context of the span the request belongs to.
    /// </summary>
    public ActivityContext OnRequest(CallShard shard, int callIdHash, in RecordedMessage message, ref CallState? added)
    {
        CallState? call = shard.Find(message.Facts.CallId, callIdHash);
        switch (message.Facts.Method)
        {
            case SipMethodKind.Invite:
                return OnInvite(shard, call, callIdHash, in message, ref added);
            case SipMethodKind.Bye:
                return OnBye(shard, call, callIdHash, in message, ref added);
            case SipMethodKind.Cancel:
                OnCancel(call, in message);
                return call?.SetupContext ?? default;
            default:
                // ACK, PRACK, UPDATE, INFO...: part of the call, no span of their own. The returned
                // context lets the host put the call's trace on every request of the dialog.
                return call?.SetupContext ?? default;
        }
    }

    /// <summary>Applies a response to its call. Returns the context of the span the response belongs to.</summary>
    public ActivityContext OnResponse(CallShard shard, int callIdHash, in RecordedMessage message)
    {
        ref readonly SipMessageFacts facts = ref message.Facts;
        int status = facts.StatusCode;
        string method = SipMethods.MetricValue(facts.MethodName);
        CallState? call = shard.Find(message.Facts.CallId, callIdHash);
        if (call is null)
        {
            // Outside any tracked call (OPTIONS pings, REGISTER): nothing to pair copies with.
            _metrics.Response(status, method);
            return default;
        }

        bool isNew = call.NoteResponse(facts.CSeq, facts.Method, status, CallStateHash.Of(facts.ToTag), message.Direction, out bool retransmission, out bool countRetransmission);
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
                Retransmitted(transaction, method, status, message.Direction, message.Timestamp);
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
                OnProvisional(transaction, in message);
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
        if (status >= 300 && message.Direction == (SipDirection)transaction.FirstDirection && transaction.SeenBothDirections)
        {
            return transaction.Context;
        }

        // Read before the call can end: an ended call keeps its contexts compactly.
        ActivityContext context = transaction.Context;
        if (transaction.Method == SipMethodKind.Invite)
        {
            FinishInvite(call, transaction, in message);
        }
        else
        {
            FinishBye(call, transaction, in message);
        }

        return context;
    }

    /// <summary>Ends the call's pending transactions whose timer (B, C or F) has fired by <paramref name="now"/>.</summary>
    public void TimeOut(CallState call, long now)
    {
        if (now < call.EarliestDeadlineTicks)
        {
            return;
        }

        TimeOut(call, call.Invite, now);
        TimeOut(call, call.Bye, now);
        call.EarliestDeadlineTicks = Math.Min(PendingDeadline(call.Invite), PendingDeadline(call.Bye));

        static long PendingDeadline(SipTransaction? transaction) => transaction is { IsPending: true } ? transaction.DeadlineTicks : long.MaxValue;
    }

    /// <summary>
    /// Ends a live call the table drops (capacity, age, an idle capture agent): its open spans end tagged
    /// with the reason, and it counts in <c>sip.call.evictions</c>. A call that already ended only lingered
    /// to recognise retransmissions: dropping it early loses nothing, so it is not counted.
    /// </summary>
    public void Evict(CallState call, string reason, long now)
    {
        if (call.Phase == CallPhase.Terminated)
        {
            return;
        }

        _metrics.Evicted(reason);
        SipInstrumentationEventSource.Log.CallEvicted(reason);
        EndOpenSpans(call, new DateTimeOffset(now, TimeSpan.Zero), reason);
        EndCall(call, now);
    }

    /// <summary>Ends what is still open of a call when the tracer is disposed.</summary>
    public void Close(CallState call, DateTimeOffset now)
    {
        EndOpenSpans(call, now, evictionReason: null);
        EndCall(call, now.UtcTicks);
    }

    private static void EndOpenSpans(CallState call, DateTimeOffset now, string? evictionReason)
    {
        CallSpans.EndOpen(call.Invite, now, evictionReason);
        CallSpans.EndOpen(call.Bye, now, evictionReason);
    }

    private ActivityContext OnInvite(CallShard shard, CallState? call, int callIdHash, in RecordedMessage message, ref CallState? added)
    {
        ref readonly SipMessageFacts facts = ref message.Facts;

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
                OnRequestRepeat(existing, in message);
                return existing.Context;
            }

            // A new initial INVITE on a call that failed (typically after a 401/407 challenge, with
            // the next CSeq) is a new attempt: it starts afresh. Anything else is stale or bogus.
            if (call.Phase != CallPhase.Terminated || call.Bye is not null || (existing is not null && facts.CSeq < existing.CSeq))
            {
                return call.SetupContext;
            }

            call.Restart(message.Now);
            shard.MoveToTail(call);
        }
        else
        {
            call = shard.Add(message.Facts.CallId, callIdHash, message.Now);
            added = call;
        }

        SipTransaction transaction = BeginTransaction(call, in message);
        call.Phase = CallPhase.Setup;
        call.CountedActive = true;
        _metrics.ActiveChanged(1);
        call.Traced = _spans.RunFilter(in message);
        if (call.Traced)
        {
            // A span the sampler dropped has a context to propagate but no Activity.
            transaction.Activity = _spans.StartSetup(in message, out ActivityContext context);
            if (context != default)
            {
                transaction.Context = context;
                call.ShareSetupContext(transaction);
            }
        }

        return transaction.Context;
    }

    private ActivityContext OnBye(CallShard shard, CallState? call, int callIdHash, in RecordedMessage message, ref CallState? added)
    {
        bool knownDialog = call is not null;
        if (call is not null)
        {
            SipTransaction? existing = call.Bye;
            if (existing is not null && existing.CSeq == message.Facts.CSeq)
            {
                OnRequestRepeat(existing, in message);
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
            call = shard.Add(message.Facts.CallId, callIdHash, message.Now);
            call.Phase = CallPhase.Confirmed;
            added = call;
            call.Traced = _spans.RunFilter(in message);
        }

        SipTransaction transaction = BeginTransaction(call, in message);
        if (call.Traced)
        {
            transaction.Activity = _spans.StartTeardown(call.SetupContext, knownDialog, in message, out ActivityContext context);
            if (context != default)
            {
                transaction.Context = context;
            }
        }

        return transaction.Context;
    }

    private void OnCancel(CallState? call, in RecordedMessage message)
    {
        // CANCEL carries the CSeq number of the INVITE it cancels (RFC 3261 §9.1).
        if (call?.Invite is not { IsPending: true } invite || invite.CSeq != message.Facts.CSeq)
        {
            return;
        }

        SipDirection direction = message.Direction;
        byte bit = SipTransaction.DirectionBit(direction);
        if ((invite.CancelDirections & bit) != 0)
        {
            if (invite.CancelRepeats.Note(direction))
            {
                Retransmitted(invite, SipAttributes.MethodValues.Cancel, status: 0, direction, message.Timestamp);
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
        _spans.Cancelled(invite, in message);
    }

    private void OnRequestRepeat(SipTransaction transaction, in RecordedMessage message)
    {
        SipDirection direction = message.Direction;
        ulong branch = CallStateHash.Of(message.Facts.Branch);
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
            Retransmitted(transaction, SipMethods.MetricValue(message.Facts.MethodName), status: 0, direction, message.Timestamp);
        }

        // Same CSeq, same direction, another branch: a forking proxy's parallel copy. Not a retransmission.
    }

    private void OnProvisional(SipTransaction invite, in RecordedMessage message)
    {
        if (invite.IsPending && !invite.ProvisionalSeen)
        {
            // A provisional stops Timer B; the INVITE may now wait up to Timer C for its final response.
            invite.ProvisionalSeen = true;
            invite.DeadlineTicks = invite.TrackedAtTicks + _timerCTicks;
        }

        _spans.Provisional(invite, in message);
    }

    private void FinishInvite(CallState call, SipTransaction invite, in RecordedMessage message)
    {
        int status = message.Facts.StatusCode;
        invite.FinalStatus = status;
        double elapsed = CallSpans.Elapsed(invite.Start, message.Timestamp);
        Activity? activity = invite.Activity;
        invite.Activity = null;
        if (status < 300)
        {
            call.Phase = CallPhase.Confirmed;
            _metrics.SetupLatency(elapsed, invite.Transport);
            if (activity is not null)
            {
                _spans.EndAnswered(activity, elapsed, in message);
            }

            return;
        }

        string errorType = invite.Cancelled && status == 487 ? OtelAttributes.ErrorTypeValues.Cancelled : SipCallMetrics.StatusText(status);
        _metrics.Failed(errorType);
        EndCall(call, message.Now);
        if (activity is not null)
        {
            _spans.EndFailed(activity, errorType, invite.Cancelled, in message);
        }
    }

    private void FinishBye(CallState call, SipTransaction bye, in RecordedMessage message)
    {
        int status = message.Facts.StatusCode;
        bye.FinalStatus = status;
        Activity? activity = bye.Activity;
        bye.Activity = null;
        if (status < 300)
        {
            _metrics.TeardownDuration(CallSpans.Elapsed(bye.Start, message.Timestamp), bye.Transport);
            EndCall(call, message.Now);
            if (activity is not null)
            {
                _spans.EndTornDown(activity, in message);
            }

            return;
        }

        // A challenged BYE (401/407) is sent again with credentials and a new CSeq: the dialog is still
        // up. Any other error (481, 408, 5xx) means there is no dialog left to tear down.
        if (status is not (401 or 407))
        {
            EndCall(call, message.Now);
        }

        if (activity is not null)
        {
            _spans.EndFailed(activity, SipCallMetrics.StatusText(status), cancelled: false, in message);
        }
    }

    private void Retransmitted(SipTransaction transaction, string method, int status, SipDirection direction, DateTimeOffset timestamp)
    {
        transaction.RetransmissionCount++;
        _metrics.Retransmission(method);
        CallSpans.Retransmitted(transaction, method, status, direction, timestamp);
    }

    private SipTransaction BeginTransaction(CallState call, in RecordedMessage message)
    {
        ref readonly SipMessageFacts facts = ref message.Facts;
        SipTransaction transaction = call.BeginTransaction(facts.Method);
        transaction.CSeq = facts.CSeq;
        transaction.Method = facts.Method;
        transaction.FirstDirection = (byte)message.Direction;
        transaction.Start = message.Timestamp;
        transaction.TrackedAtTicks = message.Now;
        transaction.DeadlineTicks = message.Now + _timerBTicks;

        // A provisional response later moves an INVITE's deadline out to Timer C; the bound stays valid.
        call.EarliestDeadlineTicks = Math.Min(call.EarliestDeadlineTicks, transaction.DeadlineTicks);
        transaction.Transport = NetworkTransport.FromVia(facts.TopVia);
        transaction.SetBranch(message.Direction, CallStateHash.Of(facts.Branch));
        return transaction;
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
        if (transaction.Method == SipMethodKind.Invite)
        {
            _metrics.Failed(OtelAttributes.ErrorTypeValues.Timeout);
        }

        EndCall(call, now);
        Activity? activity = transaction.Activity;
        transaction.Activity = null;
        if (activity is not null)
        {
            CallSpans.EndTimedOut(activity, transaction, waited, end);
        }
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
}
