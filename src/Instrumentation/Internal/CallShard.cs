namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// One shard of the call table: a lock, a dictionary by Call-ID, and a list of the shard's calls in
/// the order they were first seen (oldest first). Every member is used under <see cref="Lock"/>.
/// Sharding keeps threads that work on different calls from contending on one lock.
/// </summary>
internal sealed class CallShard
{
    // Below this capacity a shard is not worth trimming: its arrays are a few kilobytes.
    private const int MinTrimmedCapacity = 256;

    // Dropped calls kept for reuse. A full table drops one call per new one, so a few suffice; the
    // bound only keeps a sweep that drops thousands at once from holding on to them all.
    private const int MaxSpareCalls = 64;

    private readonly Stack<CallState> _spare = new();

    // Keyed by the Call-ID's bytes, held in each call's own reusable buffer: no string per call for a
    // full table to keep alive and every garbage collection to promote.
    private Dictionary<CallIdKey, CallState> _calls = new(CallIdKeyComparer.Instance);

    // Lookups copy the Call-ID here (under the lock) to make a key without allocating.
    private byte[] _probe = new byte[64];

    // Dictionary tells its capacity only on newer .NET, and netstandard2.0's cannot trim to one: the shard
    // keeps the most it has held since the dictionary was made and trims by copying into a smaller one.
    private int _capacity;

#if NET9_0_OR_GREATER
    public Lock Lock { get; } = new();
#else
    public object Lock { get; } = new();
#endif

    public CallState? Head { get; private set; }

    public CallState? Tail { get; private set; }

    public int Count => _calls.Count;

    /// <summary>The call with this Call-ID; <paramref name="hash"/> is <see cref="CallIdKey.Hash(ReadOnlySpan{byte})"/> of it.</summary>
    public CallState? Find(ReadOnlySpan<byte> callId, int hash)
    {
        if (callId.Length > _probe.Length)
        {
            _probe = new byte[Math.Max(callId.Length, _probe.Length * 2)];
        }

        callId.CopyTo(_probe);
        return _calls.TryGetValue(new CallIdKey(_probe, callId.Length, hash), out CallState? call) ? call : null;
    }

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
            call = new CallState(callId, hash, createdTicks);
        }

        Add(call);
        return call;
    }

    private void Add(CallState call)
    {
        _calls.Add(call.Key, call);
        _capacity = Math.Max(_capacity, _calls.Count);
        Append(call);
    }

    public void Remove(CallState call)
    {
        _calls.Remove(call.Key);
        Unlink(call);
        call.Release();
        if (_spare.Count < MaxSpareCalls)
        {
            _spare.Push(call);
        }
    }

    /// <summary>Moves a call to the young end (a call restarted after a challenge is as young as its new INVITE).</summary>
    public void MoveToTail(CallState call)
    {
        Unlink(call);
        Append(call);
    }

    /// <summary>
    /// Gives back the dictionary's arrays when the shard holds less than a quarter of what they have room
    /// for, keeping room for twice what it holds.
    /// </summary>
    /// <remarks>
    /// A dictionary keeps the capacity of its busiest moment: after a flood, arrays for the shard's share of
    /// <c>MaxTrackedCalls</c> whatever it holds now. Called by the sweep, not per message; the quarter and
    /// the doubling keep a steady load from growing and trimming the same shard in turns.
    /// </remarks>
    /// <returns>Whether the dictionary was trimmed.</returns>
    public bool TrimIfMostlyEmpty()
    {
        int capacity = _capacity;
        int count = _calls.Count;
        if (capacity <= MinTrimmedCapacity || count >= capacity / 4)
        {
            return false;
        }

        _capacity = Math.Max(count * 2, MinTrimmedCapacity);
        var trimmed = new Dictionary<CallIdKey, CallState>(_capacity, CallIdKeyComparer.Instance);
        foreach (KeyValuePair<CallIdKey, CallState> entry in _calls)
        {
            trimmed.Add(entry.Key, entry.Value);
        }

        _calls = trimmed;
        return true;
    }

    public List<CallState> DrainAll()
    {
        var all = new List<CallState>(_calls.Values);
        _calls.Clear();
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
