using System.Numerics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// A shard's calls by Call-ID: open addressing with linear probing over slots that hold each call's
/// Call-ID hash beside the call. In a full table every new call's first lookup finds nothing and every
/// evicted call is removed; both touch one run of adjacent slots, where a chained dictionary touches a
/// bucket and then entries elsewhere, each a cache miss once the table outgrows the caches.
/// </summary>
/// <remarks>
/// At most half the slots are used, so every probe ends at an empty slot. Removal shifts the rest of a
/// run back (no tombstones), so a lookup never walks past entries that are gone. The hash is
/// <see cref="CallIdKey.Hash(ReadOnlySpan{byte})"/>, randomized per process: a sender cannot choose
/// Call-IDs that pile up in one run.
/// </remarks>
internal sealed class CallIndex
{
    private const int MinSlots = 16;

    private Slot[] _slots = new Slot[MinSlots];

    /// <summary>How many calls are indexed.</summary>
    public int Count { get; private set; }

    /// <summary>How many calls fit before the slots grow: half of them.</summary>
    public int Room => _slots.Length / 2;

    /// <summary>The call with this Call-ID, whose hash is <paramref name="hash"/>.</summary>
    public CallState? Find(ReadOnlySpan<byte> callId, int hash)
    {
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            CallState? call = slots[i].Call;
            if (call is null)
            {
                return null;
            }

            if (slots[i].Hash == hash && call.Key.Bytes.SequenceEqual(callId))
            {
                return call;
            }
        }
    }

    /// <summary>Adds a call whose Call-ID is not indexed yet.</summary>
    public void Add(CallState call)
    {
        if (Count + 1 > Room)
        {
            Resize(Room * 2);
        }

        Insert(_slots, call);
        Count++;
    }

    /// <summary>Starts loading the slot where a lookup of this hash begins (see <see cref="CacheLines"/>).</summary>
    public void Prefetch(int hash)
    {
        Slot[] slots = _slots;
        CacheLines.Prefetch(ref slots[hash & (slots.Length - 1)]);
    }

    /// <summary>Removes a call; <see langword="false"/> when it is not indexed.</summary>
    public bool Remove(CallState call)
    {
        Slot[] slots = _slots;
        int mask = slots.Length - 1;
        int hole = call.Key.HashCode & mask;
        while (!ReferenceEquals(slots[hole].Call, call))
        {
            if (slots[hole].Call is null)
            {
                return false;
            }

            hole = (hole + 1) & mask;
        }

        // Move each later entry of the run into the hole when the hole lies between its home slot and
        // where it is: it stays reachable from its home slot, and the run keeps no gap.
        for (int next = (hole + 1) & mask; slots[next].Call is not null; next = (next + 1) & mask)
        {
            int home = slots[next].Hash & mask;
            if (((next - home) & mask) >= ((next - hole) & mask))
            {
                slots[hole] = slots[next];
                hole = next;
            }
        }

        slots[hole] = default;
        Count--;
        return true;
    }

    /// <summary>Makes room for <paramref name="calls"/> calls (at least the ones indexed), giving back larger slots.</summary>
    public void Resize(int calls)
    {
        int slots = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(Math.Max(calls, Count) * 2, MinSlots));
        if (slots == _slots.Length)
        {
            return;
        }

        var resized = new Slot[slots];
        foreach (Slot slot in _slots)
        {
            if (slot.Call is not null)
            {
                Insert(resized, slot.Call);
            }
        }

        _slots = resized;
    }

    /// <summary>Empties the index, returning what it held.</summary>
    public List<CallState> Drain()
    {
        var all = new List<CallState>(Count);
        foreach (Slot slot in _slots)
        {
            if (slot.Call is not null)
            {
                all.Add(slot.Call);
            }
        }

        _slots = new Slot[MinSlots];
        Count = 0;
        return all;
    }

    private static void Insert(Slot[] slots, CallState call)
    {
        int mask = slots.Length - 1;
        int hash = call.Key.HashCode;
        int i = hash & mask;
        while (slots[i].Call is not null)
        {
            i = (i + 1) & mask;
        }

        slots[i] = new Slot(hash, call);
    }

    private readonly struct Slot
    {
        public readonly int Hash;
        public readonly CallState? Call;

        public Slot(int hash, CallState call)
        {
            Hash = hash;
            Call = call;
        }
    }
}
