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

    private readonly Dictionary<string, CallState> _calls = new(StringComparer.Ordinal);
#if NET9_0_OR_GREATER
    private readonly Dictionary<string, CallState>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
#endif

    public CallShard()
    {
#if NET9_0_OR_GREATER
        _bySpan = _calls.GetAlternateLookup<ReadOnlySpan<char>>();
#endif
    }

#if NET9_0_OR_GREATER
    public Lock Lock { get; } = new();
#else
    public object Lock { get; } = new();
#endif

    public CallState? Head { get; private set; }

    public CallState? Tail { get; private set; }

    public int Count => _calls.Count;

    public CallState? Find(ReadOnlySpan<char> callId)
    {
#if NET9_0_OR_GREATER
        return _bySpan.TryGetValue(callId, out CallState? call) ? call : null;
#else
        // net8.0 has no span lookup on Dictionary: one string per message there.
        return _calls.TryGetValue(callId.ToString(), out CallState? call) ? call : null;
#endif
    }

    public void Add(CallState call)
    {
        _calls.Add(call.CallId, call);
        Append(call);
    }

    public void Remove(CallState call)
    {
        _calls.Remove(call.CallId);
        Unlink(call);
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
        // EnsureCapacity(0) reads the capacity without changing it (net8.0 has no Capacity property).
        int capacity = _calls.EnsureCapacity(0);
        int count = _calls.Count;
        if (capacity <= MinTrimmedCapacity || count >= capacity / 4)
        {
            return false;
        }

        _calls.TrimExcess(Math.Max(count * 2, MinTrimmedCapacity));
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
