using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The traceparent values a thread turned into BCL ids last, keyed by their exact 55 bytes, so that the
/// same header seen again skips decoding and the id lookup as well.
/// </summary>
/// <remarks>
/// <para>
/// Every message of a call carries the same traceparent header, byte for byte, so a proxy sees each
/// value many times. <see cref="ActivityIdCache"/> already saves the id strings; this saves the work
/// before it: decoding 55 bytes and finding the ids by their numbers (two table lookups). A hit costs two
/// 32-byte compares. Only valid version-00-length values are kept, so a hit is exactly the result decoding
/// would give: the key is the whole value, and decoding depends on nothing else.
/// </para>
/// <para>
/// Per thread, so that an entry is never read half-written by another thread; 32 entries, about 4 KB a thread.
/// </para>
/// </remarks>
internal static class RecentTraceParents
{
    private const int Entries = 32;

    // The value's first 32 bytes and its last 32 (they overlap by 9).
    private const int TailOffset = TraceParent.Length - 32;

    [ThreadStatic]
    private static Entry[]? t_entries;

    /// <summary>The traceparent and BCL ids of <paramref name="value"/> if this thread kept them.</summary>
    /// <param name="value">Exactly <see cref="TraceParent.Length"/> bytes.</param>
    /// <param name="traceParent">The decoded value.</param>
    /// <param name="traceId">Its trace id.</param>
    /// <param name="spanId">Its parent id.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryGet(ReadOnlySpan<byte> value, out TraceParent traceParent, out ActivityTraceId traceId, out ActivitySpanId spanId)
    {
        Entry[]? entries = t_entries;
        if (entries is not null && value.Length == TraceParent.Length)
        {
            ref byte at = ref MemoryMarshal.GetReference(value);
            ref Entry entry = ref entries[Slot(ref at)];
            if (Vector256.LoadUnsafe(ref at) == entry.Head
                && Vector256.LoadUnsafe(ref at, TailOffset) == entry.Tail
                && entry.TraceParent.IsValid)
            {
                traceParent = entry.TraceParent;
                traceId = entry.TraceId;
                spanId = entry.SpanId;
                return true;
            }
        }

        traceParent = default;
        traceId = default;
        spanId = default;
        return false;
    }

    /// <summary>Keeps what <paramref name="value"/> decoded to, replacing the entry in its slot.</summary>
    /// <param name="value">Exactly <see cref="TraceParent.Length"/> bytes that decoded to <paramref name="traceParent"/>.</param>
    /// <param name="traceParent">A valid traceparent.</param>
    /// <param name="traceId">Its trace id.</param>
    /// <param name="spanId">Its parent id.</param>
    public static void Add(ReadOnlySpan<byte> value, in TraceParent traceParent, ActivityTraceId traceId, ActivitySpanId spanId)
    {
        if (value.Length != TraceParent.Length || !traceParent.IsValid)
        {
            return;
        }

        Entry[] entries = t_entries ??= new Entry[Entries];
        ref byte at = ref MemoryMarshal.GetReference(value);
        entries[Slot(ref at)] = new Entry(Vector256.LoadUnsafe(ref at), Vector256.LoadUnsafe(ref at, TailOffset), traceParent, traceId, spanId);
    }

    // The parent id's last two hex digits: random (W3C asks for it), so entries spread evenly.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(ref byte value) =>
        ((Unsafe.Add(ref value, 50) * 31) + Unsafe.Add(ref value, 51)) & (Entries - 1);

    private readonly record struct Entry(Vector256<byte> Head, Vector256<byte> Tail, TraceParent TraceParent, ActivityTraceId TraceId, ActivitySpanId SpanId);
}
