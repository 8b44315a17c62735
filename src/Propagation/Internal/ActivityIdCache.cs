using System.Buffers.Binary;
using System.Diagnostics;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The BCL ids an <see cref="ActivityContext"/> needs, remembered per thread for the ids seen last.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ActivityTraceId"/> and <see cref="ActivitySpanId"/> each hold a hex string, so making
/// one from bytes allocates that string and hex-encodes into it: about 30 ns and 144 B per context,
/// the largest part of extracting one. A proxy extracts the same context again and again (every
/// request and response of a call carries the caller's traceparent: INVITE, its retransmissions,
/// CANCEL, ACK, PRACK, BYE), so a small direct-mapped table per thread answers most extractions with
/// the id already made: no allocation, no encoding. A miss costs one compare more than no cache.
/// </para>
/// <para>
/// Per thread, so that an entry (two or three words) is never read half-written by another thread,
/// with no locks or interlocked operations on the hot path; the ids themselves are immutable. A
/// thread's tables are 64 entries each, made on its first extraction: about 2.5 KB, plus up to about
/// 9 KB of id strings they keep alive until replaced.
/// </para>
/// </remarks>
internal static class ActivityIdCache
{
    private const int Entries = 64;

    [ThreadStatic]
    private static TraceIdEntry[]? t_traceIds;

    [ThreadStatic]
    private static SpanIdEntry[]? t_spanIds;

    /// <summary>The trace id with these 16 bytes (big-endian halves); not both zero.</summary>
    public static ActivityTraceId TraceId(ulong high, ulong low)
    {
        TraceIdEntry[] table = t_traceIds ??= new TraceIdEntry[Entries];
        // Trace ids are random (W3C asks for it), so their low bits spread entries evenly.
        ref TraceIdEntry entry = ref table[(int)(low & (Entries - 1))];
        if (entry.High == high && entry.Low == low && entry.Id != default)
        {
            return entry.Id;
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
        BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], low);
        var id = ActivityTraceId.CreateFromBytes(bytes);
        entry = new TraceIdEntry(high, low, id);
        return id;
    }

    /// <summary>The span id with these 8 bytes (big-endian); not zero.</summary>
    public static ActivitySpanId SpanId(ulong value)
    {
        SpanIdEntry[] table = t_spanIds ??= new SpanIdEntry[Entries];
        ref SpanIdEntry entry = ref table[(int)(value & (Entries - 1))];
        if (entry.Value == value && entry.Id != default)
        {
            return entry.Id;
        }

        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        var id = ActivitySpanId.CreateFromBytes(bytes);
        entry = new SpanIdEntry(value, id);
        return id;
    }

    private readonly record struct TraceIdEntry(ulong High, ulong Low, ActivityTraceId Id);

    private readonly record struct SpanIdEntry(ulong Value, ActivitySpanId Id);
}
