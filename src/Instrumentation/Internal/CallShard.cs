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

#if NET
    private readonly Dictionary<string, CallState> _calls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CallState>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public CallShard()
    {
        _bySpan = _calls.GetAlternateLookup<ReadOnlySpan<char>>();
    }
#else
    // netstandard2.0's Dictionary has no span lookup: its keys are CallIdKey, a stored call's Call-ID or,
    // to look one up without a string per message, the Call-ID copied into the shard's probe buffer.
    // Nor can it tell its capacity or trim to one: the shard keeps the most it has held since the
    // dictionary was made (what the capacity grew to, give or take the prime it rounds to) and trims by
    // copying into a smaller one.
    private Dictionary<CallIdKey, CallState> _calls = new(CallIdKeyComparer.Instance);
    private char[] _probe = new char[64];
    private int _capacity;
#endif

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
#if NET
        return _bySpan.TryGetValue(callId, out CallState? call) ? call : null;
#else
        if (callId.Length > _probe.Length)
        {
            _probe = new char[Math.Max(callId.Length, _probe.Length * 2)];
        }

        callId.CopyTo(_probe);
        return _calls.TryGetValue(new CallIdKey(_probe, callId.Length), out CallState? call) ? call : null;
#endif
    }

    /// <summary>Adds a new call, reusing the state of a dropped one when there is one.</summary>
    public CallState Add(string callId, long createdTicks)
    {
        CallState call;
        if (_spare.Count > 0)
        {
            call = _spare.Pop();
            call.Reuse(callId, createdTicks);
        }
        else
        {
            call = new CallState(callId, createdTicks);
        }

        Add(call);
        return call;
    }

    private void Add(CallState call)
    {
#if NET
        _calls.Add(call.CallId, call);
#else
        _calls.Add(new CallIdKey(call.CallId), call);
        _capacity = Math.Max(_capacity, _calls.Count);
#endif
        Append(call);
    }

    public void Remove(CallState call)
    {
#if NET
        _calls.Remove(call.CallId);
#else
        _calls.Remove(new CallIdKey(call.CallId));
#endif
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
#if NET
        // EnsureCapacity(0) reads the capacity without changing it (net8.0 has no Capacity property).
        int capacity = _calls.EnsureCapacity(0);
#else
        int capacity = _capacity;
#endif
        int count = _calls.Count;
        if (capacity <= MinTrimmedCapacity || count >= capacity / 4)
        {
            return false;
        }

#if NET
        _calls.TrimExcess(Math.Max(count * 2, MinTrimmedCapacity));
#else
        _capacity = Math.Max(count * 2, MinTrimmedCapacity);
        var trimmed = new Dictionary<CallIdKey, CallState>(_capacity, CallIdKeyComparer.Instance);
        foreach (KeyValuePair<CallIdKey, CallState> entry in _calls)
        {
            trimmed.Add(entry.Key, entry.Value);
        }

        _calls = trimmed;
#endif
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

#if !NET
    /// <summary>A stored call's Call-ID, or (a probe) the first <c>length</c> chars of a shard's buffer.</summary>
    private readonly struct CallIdKey
    {
        private readonly string? _value;
        private readonly char[]? _probe;
        private readonly int _length;

        public CallIdKey(string value) => _value = value;

        public CallIdKey(char[] probe, int length)
        {
            _probe = probe;
            _length = length;
        }

        public ReadOnlySpan<char> Chars => _value is not null ? _value.AsSpan() : _probe.AsSpan(0, _length);
    }

    /// <summary>Ordinal, as the net10.0 build's <see cref="StringComparer.Ordinal"/>.</summary>
    private sealed class CallIdKeyComparer : IEqualityComparer<CallIdKey>
    {
        public static readonly CallIdKeyComparer Instance = new();

        public bool Equals(CallIdKey x, CallIdKey y) => x.Chars.SequenceEqual(y.Chars);

        public int GetHashCode(CallIdKey obj) => string.GetHashCode(obj.Chars);
    }
#endif
}
