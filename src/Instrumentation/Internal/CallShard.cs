namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// One shard of the call table: a lock, a dictionary by Call-ID, and a list of the shard's calls in
/// the order they were first seen (oldest first). Every member is used under <see cref="Lock"/>.
/// Sharding keeps threads that work on different calls from contending on one lock.
/// </summary>
internal sealed class CallShard
{
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
