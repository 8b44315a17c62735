using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The open spans of a shard's transactions, each in a numbered slot. Used under the shard's lock.
/// </summary>
/// <remarks>
/// A transaction holds its span's slot rather than the span. A transaction's record lives long (the table
/// reuses it from call to call) and a span is new: a reference from the one to the other marks the
/// record's memory for the next garbage collection to search for the object it belongs to, and on a busy
/// table that is another record for every call. One array holds every shard's span instead, and the
/// collector finds its way in one array at once. Slots are reused; the array grows with the most spans
/// open at once and keeps that size.
/// </remarks>
internal sealed class OpenSpans
{
    private const int InitialSlots = 16;

    private Activity?[] _spans = new Activity?[InitialSlots];
    private int[] _free = new int[InitialSlots];
    private int _freeCount;
    private int _used;

    /// <summary>How many spans are open.</summary>
    public int Count => _used - _freeCount;

    /// <summary>The span in a slot from <see cref="Open"/>; <see langword="null"/> for slot 0 (none).</summary>
    public Activity? this[int slot] => slot == 0 ? null : _spans[slot - 1];

    /// <summary>Puts a span in a free slot and returns the slot (never 0).</summary>
    public int Open(Activity span)
    {
        int index;
        if (_freeCount > 0)
        {
            index = _free[--_freeCount];
        }
        else
        {
            if (_used == _spans.Length)
            {
                Array.Resize(ref _spans, _spans.Length * 2);
                Array.Resize(ref _free, _spans.Length);
            }

            index = _used++;
        }

        _spans[index] = span;
        return index + 1;
    }

    /// <summary>Puts another span in a slot from <see cref="Open"/>.</summary>
    public void Replace(int slot, Activity span) => _spans[slot - 1] = span;

    /// <summary>Empties a slot from <see cref="Open"/> for reuse.</summary>
    public void Close(int slot)
    {
        _spans[slot - 1] = null;
        _free[_freeCount++] = slot - 1;
    }
}
