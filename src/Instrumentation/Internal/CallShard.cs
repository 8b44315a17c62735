namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// One shard of the call table: a lock, an index by Call-ID (<see cref="CallIndex"/>), and a list of the shard's calls in
/// the order they were first seen (oldest first). Every member is used under <see cref="Lock"/>.
/// Sharding keeps threads that work on different calls from contending on one lock.
/// </summary>
internal sealed class CallShard
{
    // Below this room a shard is not worth trimming: its slots take a few kilobytes.
    private const int MinTrimmedCapacity = 256;

    // Dropped calls kept for reuse. A full table drops one call per new one, so a few suffice; the
    // bound only keeps a sweep that drops thousands at once from holding on to them all.
    private const int MaxSpareCalls = 64;

    private readonly Stack<CallState> _spare = new();

    // Keyed by the Call-ID's bytes, held in each call's own reusable buffer: no string per call for a
    // full table to keep alive and every garbage collection to promote.
    private readonly CallIndex _calls = new();

    private readonly OpenSpans _openSpans = new();

    private readonly KeptContexts _contexts = new();

#if NET9_0_OR_GREATER
    public Lock Lock { get; } = new();
#else
    public object Lock { get; } = new();
#endif

    public CallState? Head { get; private set; }

    public CallState? Tail { get; private set; }

    public int Count => _calls.Count;

    /// <summary>The call with this Call-ID; <paramref name="hash"/> is <see cref="CallIdKey.Hash(ReadOnlySpan{byte})"/> of it.</summary>
    public CallState? Find(ReadOnlySpan<byte> callId, int hash) => _calls.Find(callId, hash);

    /// <summary>Adds a new call, reusing the state of a dropped one when there is one.</summary>
    public CallState Add(ReadOnlySpan<byte> callId, int hash, long createdTicks)
    {
        CallState call;
        if (_spare.Count > 0)
        {
            call = _spare.Pop();
            call.Reuse(callId, hash, createdTicks);
        }
        else
        {
            call = new CallState(callId, hash, createdTicks, _openSpans, _contexts);
        }

        Add(call);
        return call;
    }

    private void Add(CallState call)
    {
        _calls.Add(call);
        Append(call);
    }

    public void Remove(CallState call)
    {
        PrefetchNextRemovals(call);
        _calls.Remove(call);
        Unlink(call);
        call.Release();
        if (_spare.Count < MaxSpareCalls)
        {
            _spare.Push(call);
        }
    }

    /// <summary>
    /// Starts loading what the next two removals from the old end will touch: the next call's index slot
    /// and the objects its state refers to, and the state of the call after it.
    /// </summary>
    /// <remarks>
    /// In a full table every new call removes the oldest, whose state was last touched a whole table of
    /// calls ago and is in no cache; each removal would stall on its state, then on its slot and its
    /// records, one after another. Loaded a removal or two ahead, those loads overlap with the messages
    /// in between. The next call's state was itself loaded by the removal before this one, which is what
    /// makes reading its hash and references here cheap.
    /// </remarks>
    private void PrefetchNextRemovals(CallState call)
    {
        CallState? next = call.Next;
        if (next is null)
        {
            return;
        }

        _calls.Prefetch(next.Key.HashCode);
        next.PrefetchParts();
        CacheLines.Prefetch(next.Next, CallState.LinesSpanned);
    }

    /// <summary>Moves a call to the young end (a call restarted after a challenge is as young as its new INVITE).</summary>
    public void MoveToTail(CallState call)
    {
        Unlink(call);
        Append(call);
    }

    /// <summary>
    /// Gives back the index's slots when the shard holds less than a quarter of what they have room
    /// for, keeping room for twice what it holds.
    /// </summary>
    /// <remarks>
    /// The index grows and never shrinks by itself: after a flood it keeps slots for the shard's share of
    /// <c>MaxTrackedCalls</c> whatever it holds now. Called by the sweep, not per message; the quarter and
    /// the doubling keep a steady load from growing and trimming the same shard in turns.
    /// </remarks>
    /// <returns>Whether the index was trimmed.</returns>
    public bool TrimIfMostlyEmpty()
    {
        int room = _calls.Room;
        int count = _calls.Count;
        if (room <= MinTrimmedCapacity || count >= room / 4)
        {
            return false;
        }

        _calls.Resize(Math.Max(count * 2, MinTrimmedCapacity));
        return true;
    }

    public List<CallState> DrainAll()
    {
        List<CallState> all = _calls.Drain();
        Head = null;
        Tail = null;
        return all;
    }

    private void Append(CallState call)
    {
        call.Previous = Tail;
        call.Next = null;
        if (Tail is null)
        {
            Head = call;
        }
        else
        {
            Tail.Next = call;
        }

        Tail = call;
    }

    private void Unlink(CallState call)
    {
        if (call.Previous is null)
        {
            Head = call.Next;
        }
        else
        {
            call.Previous.Next = call.Next;
        }

        if (call.Next is null)
        {
            Tail = call.Previous;
        }
        else
        {
            call.Next.Previous = call.Previous;
        }

        call.Previous = null;
        call.Next = null;
    }
}
